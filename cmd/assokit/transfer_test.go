package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"assokit/internal/devstack"
	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
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
		choice.Calendars = append(choice.Calendars, c.URI)
	}
	for _, b := range inv.AddressBooks {
		choice.AddressBooks = append(choice.AddressBooks, b.URI)
	}
	for _, b := range inv.Boards {
		choice.Boards = append(choice.Boards, b.ID)
	}
	for _, c := range inv.Conversations {
		choice.Conversations = append(choice.Conversations, c.Token)
	}
	choice.RemoveBoardShares, choice.LeaveConversations = true, true
	view, id := runTransfer(t, demo, "hugo", "camille", choice)
	if view.Transfer.State != "done" || len(view.Items) != 10 {
		t.Fatalf("transfer = %+v", view)
	}
	if n := len(demo.NC.Objects("camille", "calendars", "planning")); n != 12 {
		t.Errorf("camille's copy of the planning has %d events", n)
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
	if len(list) != 1 || list[0].ID != id {
		t.Errorf("history = %+v", list)
	}
}

// runTransfer starts a transfer as camille and waits for its report.
func runTransfer(t *testing.T, demo *devstack.Demo, source, target string, choice transfer.Choice) (transfer.Detail, int64) {
	t.Helper()
	var started struct{ ID int64 }
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/transfers", map[string]any{"source": source, "target": target, "choice": choice}, &started); st != http.StatusAccepted {
		t.Fatalf("start: %d", st)
	}
	var report transfer.Detail
	deadline := time.Now().Add(60 * time.Second)
	for report.Transfer.State != "done" && report.Transfer.State != "partial" && report.Transfer.State != "failed" {
		if time.Now().After(deadline) {
			t.Fatalf("transfer not over: %+v", report)
		}
		time.Sleep(100 * time.Millisecond)
		asUser(t, demo, "camille", "GET", "/api/admin/transfers/"+itoa(started.ID), &report)
	}
	return report, started.ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTransferAsNextcloud32EndToEnd runs, through the demo, the transfer of
// an account Nextcloud 32 makes hard: its uid has a space, it is disabled,
// it owns a calendar shared with a group holding an event organized by the
// target, and the target lacks space for its files. The calendar moves,
// shared with the group, mailing no one; the files stay; each person is
// told the truth; the source ends disabled again.
func TestTransferAsNextcloud32EndToEnd(t *testing.T) {
	transferPoll = 50 * time.Millisecond
	demo := startDemo(t)
	nc := demo.NC
	nc.AddUser(nextcloudtest.User{ID: "jean dupont", DisplayName: "Jean Dupont", Email: "jean.dupont@jardins-partages.example",
		Password: "demo", Enabled: false, Language: "fr"})
	for _, u := range nc.Users() {
		if u.ID == "lea" {
			u.Quota = 64
			nc.AddUser(u)
		}
	}
	if err := nc.PutFile("jean dupont", "/Archives/rapport 2026.txt", []byte(strings.Repeat("rapport ", 40))); err != nil {
		t.Fatal(err)
	}
	nc.PutCalendar("jean dupont", "permanences", "Permanences")
	ev := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//AssoKit test//FR\r\nBEGIN:VEVENT\r\nUID:perm-lea@jardins-partages.example\r\n" +
		"DTSTAMP:20261130T010000Z\r\nDTSTART:20270315T170000Z\r\nDTEND:20270315T180000Z\r\nSUMMARY:Permanence\r\n" +
		"ORGANIZER;CN=Léa Laurent:mailto:lea@jardins-partages.example\r\n" +
		"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:voisin@external.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	nc.PutObject("jean dupont", "calendars", "permanences", "perm.ics", []byte(ev))
	if err := nc.ShareCollection("jean dupont", "calendars", "permanences", "principals/groups/bureau", true); err != nil {
		t.Fatal(err)
	}

	q := "?source=" + url.QueryEscape("jean dupont") + "&target=lea"
	var inv transfer.Inventory
	if st := asUser(t, demo, "camille", "GET", "/api/admin/transfer/inventory"+q, &inv); st != http.StatusOK {
		t.Fatalf("inventory: %d", st)
	}
	if inv.Source.Enabled || inv.SharesListed || inv.FilesFit || inv.Target.Unlimited || inv.Target.Free >= inv.FilesSize || len(inv.Calendars) != 1 {
		t.Fatalf("inventory = %+v", inv)
	}
	perm, ok := findCal(inv.Calendars, "permanences")
	if !ok || len(perm.Sharees) != 1 || perm.Sharees[0].Kind() != "group" || perm.Objects != 1 {
		t.Fatalf("permanences in the inventory = %+v", perm)
	}
	var refused map[string]string
	if st := sendAs(t, demo, "camille", "POST", "/api/admin/transfers", map[string]any{"source": "jean dupont", "target": "lea",
		"choice": transfer.Choice{AllFiles: true}}, &refused); st != http.StatusBadRequest || refused["code"] != "transfer_source_disabled" {
		t.Errorf("files of a disabled source without enabling it: %d %v", st, refused)
	}
	choice := transfer.Choice{AllFiles: true, Calendars: []string{"permanences"}, EnableSource: true}
	report, _ := runTransfer(t, demo, "jean dupont", "lea", choice)
	states := map[string]string{}
	for _, it := range report.Items {
		states[it.Kind] = it.State + " " + it.Error
	}
	if report.Transfer.State != "partial" || states["files"] != "failed transfer_files_no_space" || states["calendar"] != "done " ||
		states["enable"] != "done " || states["disable"] != "done " {
		t.Fatalf("report = %+v", report)
	}
	// Nothing lost: the files are still the source's; the event is copied
	// byte for byte, shared with the group, and no one was mailed.
	client, err := nextcloud.New(nextcloud.Config{BaseURL: demo.URL, AppID: devstack.AppID, AppSecret: demo.Secret, AppVersion: devstack.AppVersion})
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := client.As("jean dupont").ListFiles(context.Background(), "/Archives", false); len(files) != 2 {
		t.Errorf("jean dupont's archives = %+v", files)
	}
	if got := nc.Objects("lea", "calendars", "permanences")["perm.ics"]; string(got) != ev {
		t.Errorf("lea's copy = %q", got)
	}
	cals, _ := client.As("lea").Collections(context.Background(), nextcloud.Calendars)
	if c, ok := findColl(cals, "permanences"); !ok || c.Name != "Permanences" || len(c.Sharees) != 1 || c.Sharees[0].Principal != "principals/groups/bureau" {
		t.Errorf("lea's copy of the calendar = %+v", c)
	}
	if m := nc.Mails(); len(m) != 0 {
		t.Errorf("mails sent: %+v", m)
	}
	for _, u := range nc.Users() {
		if u.ID == "jean dupont" && u.Enabled {
			t.Error("jean dupont is enabled after the transfer")
		}
	}
	notes := map[string]string{}
	for _, n := range nc.Notifications() {
		if n.App == "assokit" && strings.HasPrefix(n.ObjectID, "transfer-") {
			notes[n.User] = n.Subject + " / " + n.Message
		}
	}
	for uid, want := range map[string]string{
		"jean dupont": "Resté dans votre compte : tous les fichiers (probablement faute de place chez Léa Laurent)",
		"lea":         "Reçu de Jean Dupont : l'agenda « Permanences ». Non transféré, resté chez Jean Dupont : tous les fichiers",
		"camille":     "Transfert terminé en partie : de Jean Dupont vers Léa Laurent",
	} {
		if !strings.Contains(notes[uid], want) {
			t.Errorf("%s reads %q; want %q in it", uid, notes[uid], want)
		}
	}
}

func findCal(cals []transfer.CalendarInfo, uri string) (transfer.CalendarInfo, bool) {
	for _, c := range cals {
		if c.URI == uri {
			return c, true
		}
	}
	return transfer.CalendarInfo{}, false
}

func findColl(colls []nextcloud.Collection, uri string) (nextcloud.Collection, bool) {
	for _, c := range colls {
		if c.URI == uri {
			return c, true
		}
	}
	return nextcloud.Collection{}, false
}

// TestTransferBoardsOfDisabledSourceEndToEnd hands over, through the demo,
// the board and the conversation of a disabled account whose uid has a
// space: the inventory cannot list them (Deck and Talk refuse a disabled
// account), the transfer enables the account, lists and hands them over,
// and disables it again; the report and the target's notification say
// what moved.
func TestTransferBoardsOfDisabledSourceEndToEnd(t *testing.T) {
	transferPoll = 50 * time.Millisecond
	demo := startDemo(t)
	nc := demo.NC
	nc.AddUser(nextcloudtest.User{ID: "jean dupont", DisplayName: "Jean Dupont", Password: "demo", Enabled: false, Language: "fr"})
	board := nc.AddBoard(nextcloudtest.DeckBoard{Title: "Plan de l'AG", Owner: "jean dupont", Shares: []nextcloudtest.DeckShare{{With: "lea", Edit: true}},
		Stacks: []nextcloudtest.DeckStack{{Title: "À faire", Cards: []nextcloudtest.DeckCard{{Title: "Salle", Assigned: []string{"lea"}}}}}})
	token := nc.AddConversation(nextcloudtest.TalkRoom{Name: "Bénévoles", Participants: []nextcloudtest.TalkParticipant{
		{UID: "jean dupont", Type: nextcloudtest.TalkOwner}, {UID: "lea", Type: nextcloudtest.TalkUser}}})

	var inv transfer.Inventory
	if st := asUser(t, demo, "camille", "GET", "/api/admin/transfer/inventory?source="+url.QueryEscape("jean dupont")+"&target=chloe", &inv); st != http.StatusOK {
		t.Fatalf("inventory: %d", st)
	}
	if b := inv.BeyondFiles; b.Listed || !b.Deck || !b.Talk {
		t.Fatalf("inventory of a disabled source = %+v", b)
	}
	choice := transfer.Choice{EnableSource: true, BeyondChoice: transfer.BeyondChoice{AllBoards: true, AllConversations: true,
		RemoveBoardShares: true, LeaveConversations: true}}
	report, _ := runTransfer(t, demo, "jean dupont", "chloe", choice)
	var got []string
	for _, it := range report.Items {
		got = append(got, it.Kind+" "+it.Label+" "+it.State+" "+it.Step)
	}
	want := "[enable Jean Dupont done enabled discover Jean Dupont done listed board Plan de l'AG done unshared conversation Bénévoles done left disable Jean Dupont done disabled]"
	if report.Transfer.State != "done" || fmt.Sprint(got) != want {
		t.Fatalf("report = %s; want %s", got, want)
	}
	for _, b := range nc.Boards() {
		if b.ID == board && (b.Owner != "chloe" || len(b.Shares) != 1 || b.Shares[0].With != "lea" || b.Stacks[0].Cards[0].Owner != "jean dupont") {
			t.Errorf("board = %+v", b)
		}
	}
	for _, c := range nc.Conversations() {
		if c.Token == token && fmt.Sprint(c.Participants) != fmt.Sprint([]nextcloudtest.TalkParticipant{
			{UID: "lea", Type: nextcloudtest.TalkUser, AttendeeID: c.Participants[0].AttendeeID},
			{UID: "chloe", Type: nextcloudtest.TalkModerator, AttendeeID: c.Participants[1].AttendeeID}}) {
			t.Errorf("conversation = %+v", c)
		}
	}
	for _, u := range nc.Users() {
		if u.ID == "jean dupont" && u.Enabled {
			t.Error("jean dupont is enabled after the transfer")
		}
	}
	told := false
	for _, n := range nc.Notifications() {
		if n.User == "chloe" && strings.Contains(n.Message, "le tableau « Plan de l'AG » (ses cartes gardent leurs auteurs") &&
			strings.Contains(n.Message, "la conversation « Bénévoles » (comme modérateur·rice") {
			told = true
		}
	}
	if !told {
		t.Errorf("chloe's notifications = %+v", nc.Notifications())
	}
}
