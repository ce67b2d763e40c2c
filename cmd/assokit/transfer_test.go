package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"assokit/internal/transfer"
)

// TestTransferEndToEnd runs a transfer through the demo stack: Hugo leaves,
// Camille takes over; the admin API is closed to members.
func TestTransferEndToEnd(t *testing.T) {
	transferPoll = 50 * time.Millisecond
	demo := startDemo(t)
	if st := asUser(t, demo, "lea", "GET", "/api/admin/transfer/inventory?source=hugo&target=camille", nil); st != http.StatusForbidden {
		t.Errorf("inventory as a member: %d, want 403", st)
	}
	var people []struct{ UID, Name string }
	asUser(t, demo, "camille", "GET", "/api/admin/transfer/accounts?q=moreau", &people)
	if len(people) != 1 || people[0].UID != "hugo" {
		t.Errorf("search for moreau = %+v", people)
	}
	var inv transfer.Inventory
	if st := asUser(t, demo, "camille", "GET", "/api/admin/transfer/inventory?source=hugo&target=camille", &inv); st != http.StatusOK {
		t.Fatalf("inventory: %d", st)
	}
	if inv.FilesCount != 4 || len(inv.Calendars) != 2 || len(inv.AddressBooks) != 1 || len(inv.Shares) != 2 {
		t.Fatalf("inventory = %+v", inv)
	}
	if b := inv.BeyondFiles; !b.Deck || !b.Talk || len(b.Boards) != 2 || len(b.BoardsShared) != 1 || len(b.Conversations) != 3 ||
		len(b.ConversationsJoined) != 1 || len(b.ConversationsOneToOne) != 1 {
		t.Fatalf("boards and conversations = %+v", b)
	}
	var bad map[string]string
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/transfers", map[string]any{"source": "hugo", "target": "hugo",
		"choice": map[string]any{"allFiles": true}}, &bad); st != http.StatusBadRequest || bad["code"] != "transfer_same_account" {
		t.Errorf("transfer to oneself: %d %v", st, bad)
	}
	choice := transfer.Choice{AllFiles: true, DisableSource: true}
	for _, c := range inv.Calendars {
		choice.Calendars = append(choice.Calendars, c.Path)
	}
	for _, b := range inv.AddressBooks {
		choice.AddressBooks = append(choice.AddressBooks, b.Path)
	}
	for _, b := range inv.Boards {
		choice.Boards = append(choice.Boards, b.ID)
	}
	for _, c := range inv.Conversations {
		choice.Conversations = append(choice.Conversations, c.Token)
	}
	choice.RemoveBoardShares, choice.LeaveConversations = true, true
	var started struct{ ID int64 }
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/transfers", map[string]any{"source": "hugo", "target": "camille", "choice": choice}, &started); st != http.StatusAccepted {
		t.Fatalf("start: %d", st)
	}
	var view struct {
		Transfer struct{ State string }
		Items    []struct{ Kind, State, Error string }
	}
	deadline := time.Now().Add(30 * time.Second)
	for view.Transfer.State != "done" && view.Transfer.State != "partial" && view.Transfer.State != "failed" {
		if time.Now().After(deadline) {
			t.Fatalf("transfer not over: %+v", view)
		}
		time.Sleep(100 * time.Millisecond)
		asUser(t, demo, "camille", "GET", "/api/admin/transfers/"+itoa(started.ID), &view)
	}
	if view.Transfer.State != "done" || len(view.Items) != 10 {
		t.Fatalf("transfer = %+v", view)
	}
	for _, b := range demo.NC.Boards() {
		if b.Title == "Potager 2027" && (b.Owner != "camille" || len(b.Shares) != 2) {
			t.Errorf("Potager 2027: owner %s, shares %+v", b.Owner, b.Shares)
		}
	}
	for _, c := range demo.NC.Conversations() {
		if c.Name != "Bureau" && c.Name != "Arrosage" && c.Name != "Fête des récoltes" {
			continue
		}
		roles := map[string]int{}
		for _, p := range c.Participants {
			roles[p.UID] = p.Type
		}
		if _, in := roles["hugo"]; in || (roles["camille"] != 1 && roles["camille"] != 2) {
			t.Errorf("%s: participants %v; want camille moderating, hugo gone", c.Name, roles)
		}
	}
	for _, u := range demo.NC.Users() {
		if u.ID == "hugo" && u.Enabled {
			t.Error("hugo is still enabled")
		}
	}
	var list []struct{ ID int64 }
	asUser(t, demo, "camille", "GET", "/api/admin/transfers", &list)
	if len(list) != 1 || list[0].ID != started.ID {
		t.Errorf("history = %+v", list)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
