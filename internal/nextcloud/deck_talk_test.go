package nextcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
)

func newDeckTalkFake(t *testing.T) (*nextcloudtest.Server, *nextcloud.Client) {
	t.Helper()
	nc := nextcloudtest.NewServer(t)
	nc.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "s"})
	for _, u := range []string{"hugo", "lea", "chloe"} {
		nc.AddUser(nextcloudtest.User{ID: u, Enabled: true})
	}
	nc.EnableDeck(true)
	nc.EnableTalk(true)
	c, err := nextcloud.New(nextcloud.Config{BaseURL: nc.URL(), AppID: "assokit", AppSecret: "s", AppVersion: "0.1.0",
		Retries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return nc, c
}

func TestApps(t *testing.T) {
	nc, c := newDeckTalkFake(t)
	ctx := context.Background()
	for _, tt := range []struct{ deck, talk bool }{{true, true}, {false, true}, {true, false}, {false, false}} {
		nc.EnableDeck(tt.deck)
		nc.EnableTalk(tt.talk)
		got, err := c.As("hugo").Apps(ctx)
		if err != nil || got.Deck != tt.deck || got.Talk != tt.talk {
			t.Errorf("Apps() = %+v, %v; want deck %v talk %v", got, err, tt.deck, tt.talk)
		}
	}
}

func TestDeckHandOver(t *testing.T) {
	nc, c := newDeckTalkFake(t)
	ctx := context.Background()
	id := nc.AddBoard(nextcloudtest.DeckBoard{Title: "Bureau 2027", Owner: "hugo",
		Shares: []nextcloudtest.DeckShare{{With: "chloe", Edit: true}},
		Stacks: []nextcloudtest.DeckStack{{Title: "À faire", Cards: []nextcloudtest.DeckCard{{Title: "AG", Assigned: []string{"chloe"}}}}}})
	boards, err := c.As("hugo").Boards(ctx)
	if err != nil || len(boards) != 2 { // and the welcome board of the first listing
		t.Fatalf("Boards() = %+v, %v", boards, err)
	}
	stacks, err := c.As("hugo").Stacks(ctx, id)
	if err != nil || len(stacks) != 1 || len(stacks[0].Cards) != 1 || stacks[0].Cards[0].Owner.UID != "hugo" {
		t.Fatalf("Stacks() = %+v, %v", stacks, err)
	}
	if err := c.As("lea").TransferBoard(ctx, id, "chloe"); !errors.Is(err, nextcloud.ErrNotBoardOwner) {
		t.Fatalf("TransferBoard by a stranger = %v; want ErrNotBoardOwner", err)
	}
	if err := c.As("hugo").TransferBoard(ctx, id, "lea"); err != nil {
		t.Fatal(err)
	}
	if err := c.As("hugo").TransferBoard(ctx, id, "lea"); !errors.Is(err, nextcloud.ErrNotBoardOwner) {
		t.Fatalf("second TransferBoard = %v; want ErrNotBoardOwner (434)", err)
	}
	b, err := c.As("lea").Board(ctx, id)
	if err != nil || b.Owner.UID != "lea" || len(b.Shares) != 2 || b.Shares[1].Participant.UID != "hugo" || !b.Shares[1].Manage {
		t.Fatalf("Board() as the new owner = %+v, %v", b, err)
	}
	if err := c.As("lea").RemoveBoardShare(ctx, id, b.Shares[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.As("hugo").Board(ctx, id); !errors.Is(err, nextcloud.ErrForbidden) {
		t.Fatalf("Board() after the share went = %v; want ErrForbidden", err)
	}
	if _, err := c.As("hugo").Board(ctx, 999); !errors.Is(err, nextcloud.ErrNotFound) {
		t.Fatalf("Board(999) = %v; want ErrNotFound", err)
	}
	nc.EnableDeck(false)
	if _, err := c.As("hugo").Boards(ctx); !errors.Is(err, nextcloud.ErrNotFound) {
		t.Fatalf("Boards() without Deck = %v; want ErrNotFound", err)
	}
}

func TestTalkHandOver(t *testing.T) {
	nc, c := newDeckTalkFake(t)
	ctx := context.Background()
	token := nc.AddConversation(nextcloudtest.TalkRoom{Name: "Bureau", Participants: []nextcloudtest.TalkParticipant{
		{UID: "hugo", Type: nextcloudtest.TalkOwner}, {UID: "chloe", Type: nextcloudtest.TalkUser}}})
	hugo := c.As("hugo")
	rooms, err := hugo.Conversations(ctx)
	if err != nil || len(rooms) != 4 || rooms[0].Token != token || !rooms[0].Moderates() {
		t.Fatalf("Conversations() = %+v, %v; want Bureau and Talk's three own", rooms, err)
	}
	if err := hugo.LeaveConversation(ctx, token); !errors.Is(err, nextcloud.ErrLastModerator) {
		t.Fatalf("LeaveConversation as the only owner = %v; want ErrLastModerator", err)
	}
	if _, err := c.As("lea").Participants(ctx, token); !errors.Is(err, nextcloud.ErrNotFound) {
		t.Fatalf("Participants() as a stranger = %v; want ErrNotFound", err)
	}
	if err := hugo.AddParticipant(ctx, token, "lea"); err != nil {
		t.Fatal(err)
	}
	parts, err := hugo.Participants(ctx, token)
	if err != nil || len(parts) != 3 || parts[2].ActorID != "lea" {
		t.Fatalf("Participants() = %+v, %v", parts, err)
	}
	if err := hugo.PromoteModerator(ctx, token, parts[2].AttendeeID); err != nil {
		t.Fatal(err)
	}
	if err := hugo.LeaveConversation(ctx, token); err != nil {
		t.Fatal(err)
	}
	room, err := c.As("lea").Conversation(ctx, token)
	if err != nil || room.ParticipantType != nextcloud.ParticipantModerator {
		t.Fatalf("Conversation() as lea = %+v, %v; want moderator", room, err)
	}
	if _, err := hugo.Conversation(ctx, token); !errors.Is(err, nextcloud.ErrNotFound) {
		t.Fatalf("Conversation() after leaving = %v; want ErrNotFound (516)", err)
	}
	solo := nc.AddConversation(nextcloudtest.TalkRoom{Name: "Brouillon", Participants: []nextcloudtest.TalkParticipant{{UID: "hugo", Type: nextcloudtest.TalkOwner}}})
	if err := hugo.LeaveConversation(ctx, solo); err != nil {
		t.Fatal(err)
	}
	for _, r := range nc.Conversations() {
		if r.Token == solo {
			t.Fatal("a conversation whose last user left still exists (529)")
		}
	}
	if err := c.As("admin").SetAccountEnabled(ctx, "hugo", false); err != nil {
		t.Fatal(err)
	}
	if _, err := hugo.Conversations(ctx); !errors.Is(err, nextcloud.ErrUnauthorized) {
		t.Fatalf("Conversations() as a disabled account = %v; want ErrUnauthorized (314)", err)
	}
}

// FuzzBoardsAnswer decodes arbitrary answers of Deck's board listing, whose
// owner is an object (426) or a bare uid (432): never a panic, and a uid
// read back from either form.
func FuzzBoardsAnswer(f *testing.F) {
	f.Add([]byte(`[{"id":2,"title":"Bureau 2027","owner":{"primaryKey":"hugo","uid":"hugo","displayname":"Hugo Bernard","type":0},"acl":[{"id":1,"participant":{"uid":"chloe","displayname":"Chloé Dubois","type":0},"type":0,"permissionEdit":true}]}]`))
	f.Add([]byte(`[{"id":2,"owner":"lea","acl":[],"deletedAt":0}]`))
	f.Add([]byte(`[{"owner":null},{"owner":7}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var boards []nextcloud.Board
		if err := json.Unmarshal(raw, &boards); err != nil {
			return
		}
		for _, b := range boards {
			_ = b.Owner.UID
		}
	})
}

// TestTransferBoardRefusedAccount: Deck's "not the owner" is 401 with an
// empty array (434); a 401 that refuses the acting account itself (a
// disabled account, treated as OCS treats it, 314) is not read as that.
func TestTransferBoardRefusedAccount(t *testing.T) {
	nc, c := newDeckTalkFake(t)
	ctx := context.Background()
	id := nc.AddBoard(nextcloudtest.DeckBoard{Title: "Bureau 2027", Owner: "hugo"})
	nc.AddUser(nextcloudtest.User{ID: "hugo", Enabled: false})
	err := c.As("hugo").TransferBoard(ctx, id, "lea")
	if err == nil || errors.Is(err, nextcloud.ErrNotBoardOwner) {
		t.Fatalf("TransferBoard as a disabled owner = %v; want an error other than ErrNotBoardOwner", err)
	}
	if !errors.Is(err, nextcloud.ErrUnauthorized) {
		t.Errorf("TransferBoard as a disabled owner = %v; want ErrUnauthorized", err)
	}
}

// TestNotifyShowsTextAsGiven: names with '%', '|' and {word} in a
// notification are shown as given, though AppAPI's notifier passes the
// text through Nextcloud's l10n (vsprintf, no '|') and the rich-object
// validator (a parameter for every {word}).
func TestNotifyShowsTextAsGiven(t *testing.T) {
	nc, c := newDeckTalkFake(t)
	ctx := context.Background()
	text := "Le tableau « Trésorerie 50 % | bilan {annee} » et la conversation « 100%25 {} {a-b} »"
	if err := c.As("lea").Notify(ctx, nextcloud.Notification{ObjectID: "t", Subject: "Fin {x} 10%", Message: text}); err != nil {
		t.Fatal(err)
	}
	notes := nc.Notifications()
	if len(notes) != 1 {
		t.Fatalf("notifications = %+v; want one", notes)
	}
	if n := notes[0]; n.Subject != "Fin {x} 10%" || n.Message != strings.ReplaceAll(text, "|", "∣") {
		t.Errorf("shown %q / %q\nwant  %q", n.Subject, n.Message, text)
	}
}
