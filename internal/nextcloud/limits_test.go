package nextcloud

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadAtMostNeverCutsInSilence(t *testing.T) {
	if raw, err := readAtMost(strings.NewReader("abcd"), 4); err != nil || string(raw) != "abcd" {
		t.Errorf("at the limit: %q, %v", raw, err)
	}
	if raw, err := readAtMost(bytes.NewReader(make([]byte, 5)), 4); !errors.Is(err, ErrTooLarge) || raw != nil {
		t.Errorf("past the limit: %d bytes, %v", len(raw), err)
	}
}
