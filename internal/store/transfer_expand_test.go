package store

import (
	"fmt"
	"testing"
)

func TestExpandTransfer(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	id, err := s.CreateTransfer(ctx, Transfer{Source: "alice", Target: "bob", Admin: "camille"},
		[]TransferItem{{Kind: "files", Ref: "/"}, {Kind: "discover", Ref: "alice"}, {Kind: "disable", Ref: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	items, _ := s.TransferItems(ctx, id)
	d := items[1]
	d.Step, d.State = "listed", "done"
	got, err := s.ExpandTransfer(ctx, d, []TransferItem{{Kind: "board", Ref: "7", Label: "Bureau"}, {Kind: "conversation", Ref: "cyjwg2as", Label: "Bureau"}})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, it := range got {
		lines = append(lines, fmt.Sprintf("%s:%s:%s", it.Kind, it.Ref, it.State))
	}
	if fmt.Sprint(lines) != "[files:/:pending discover:alice:done board:7:pending conversation:cyjwg2as:pending disable:alice:pending]" {
		t.Errorf("items = %v", lines)
	}
	if _, err := s.ExpandTransfer(ctx, d, []TransferItem{{Kind: "nonsense"}}); err == nil {
		t.Error("an item of an unknown kind was added")
	}
	if again, _ := s.TransferItems(ctx, id); len(again) != 5 {
		t.Errorf("a failed expansion left %d items; want 5", len(again))
	}
}
