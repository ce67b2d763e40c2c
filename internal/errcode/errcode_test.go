package errcode

import (
	"fmt"
	"slices"
	"testing"
)

var (
	errOne = New("test_one", "errcode: one")
	errTwo = New(NotFound, "errcode: two")
)

func TestIs(t *testing.T) {
	for _, c := range []struct {
		err  error
		code string
		want bool
	}{
		{errOne, "test_one", true},
		{fmt.Errorf("wrapped: %w", errOne), "test_one", true},
		{errOne, NotFound, false},
		{errTwo, NotFound, true},
		{fmt.Errorf("%w: %w", errOne, errTwo), NotFound, true},
		{fmt.Errorf("plain"), "test_one", false},
		{nil, "test_one", false},
	} {
		if got := Is(c.err, c.code); got != c.want {
			t.Errorf("Is(%v, %q) = %v, want %v", c.err, c.code, got, c.want)
		}
	}
	if errOne.Error() != "errcode: one" || errOne.Code() != "test_one" {
		t.Errorf("errOne = %q %q", errOne.Error(), errOne.Code())
	}
}

func TestCodes(t *testing.T) {
	got := Codes()
	want := []string{BadRequest, Internal, NotFound, "test_one"}
	if !slices.Equal(got, want) {
		t.Errorf("Codes() = %v, want %v (sorted, once each)", got, want)
	}
}
