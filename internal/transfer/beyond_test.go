package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/store"
)

// beyondLab is the lab with Deck and Talk: alice (who leaves) owns a board
// shared with carol, is shared carol's board, moderates three conversations
// (the only moderator of one, with bob already in another), takes part in
// carol's and has a one-to-one conversation with carol.
type beyondLab struct {
	*lab
	board, carolBoard            int
	bureau, permanences, accueil string
	cafe, oneToOne               string
}

func newBeyondLab(t testing.TB) *beyondLab {
	t.Helper()
	l := &beyondLab{lab: newLab(t)}
	nc := l.nc
	nc.EnableDeck(true)
	nc.EnableTalk(true)
	l.board = nc.AddBoard(nextcloudtest.DeckBoard{Title: "Bureau 2027", Owner: "alice",
		Shares: []nextcloudtest.DeckShare{{With: "carol", Edit: true}},
		Stacks: []nextcloudtest.DeckStack{
			{Title: "À faire", Cards: []nextcloudtest.DeckCard{{Title: "Préparer l'AG", Assigned: []string{"carol"}}, {Title: "Assurance", Owner: "carol"}}},
			{Title: "Fait", Cards: []nextcloudtest.DeckCard{{Title: "Budget"}}}}})
	l.carolBoard = nc.AddBoard(nextcloudtest.DeckBoard{Title: "Fête", Owner: "carol", Shares: []nextcloudtest.DeckShare{{With: "alice"}}})
	p := func(uid string, typ int) nextcloudtest.TalkParticipant {
		return nextcloudtest.TalkParticipant{UID: uid, Type: typ}
	}
	l.bureau = nc.AddConversation(nextcloudtest.TalkRoom{Name: "Bureau", Participants: []nextcloudtest.TalkParticipant{
		p("alice", nextcloudtest.TalkOwner), p("carol", nextcloudtest.TalkUser)}})
	l.permanences = nc.AddConversation(nextcloudtest.TalkRoom{Name: "Permanences", Participants: []nextcloudtest.TalkParticipant{
		p("carol", nextcloudtest.TalkOwner), p("alice", nextcloudtest.TalkModerator)}})
	l.accueil = nc.AddConversation(nextcloudtest.TalkRoom{Name: "Accueil", Type: nextcloudtest.TalkPublic, Participants: []nextcloudtest.TalkParticipant{
		p("alice", nextcloudtest.TalkOwner), p("bob", nextcloudtest.TalkUser)}})
	l.cafe = nc.AddConversation(nextcloudtest.TalkRoom{Name: "Café", Participants: []nextcloudtest.TalkParticipant{
		p("carol", nextcloudtest.TalkOwner), p("alice", nextcloudtest.TalkUser)}})
	l.oneToOne = nc.AddConversation(nextcloudtest.TalkRoom{Name: "carol", Type: nextcloudtest.TalkOneToOne, Participants: []nextcloudtest.TalkParticipant{
		p("alice", nextcloudtest.TalkOwner), p("carol", nextcloudtest.TalkOwner)}})
	return l
}

// beyond chooses every board and conversation that can move, without the
// source's share or seat left behind, and disabling alice.
func (l *beyondLab) beyond() Choice {
	return Choice{DisableSource: true, BeyondChoice: BeyondChoice{Boards: []int{l.board}, RemoveBoardShares: true,
		Conversations: []string{l.accueil, l.bureau, l.permanences}, LeaveConversations: true}}
}

func TestBeyondInventory(t *testing.T) {
	l := newBeyondLab(t)
	inv, err := l.svc.Inventory(context.Background(), "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	b := inv.BeyondFiles
	if !b.Deck || !b.Talk {
		t.Fatalf("apps = deck %v talk %v; want both", b.Deck, b.Talk)
	}
	if got := fmt.Sprint(b.Boards); got != fmt.Sprintf("[{%d Bureau 2027 Alice Départ 2 3 [Carol]}]", l.board) {
		t.Errorf("boards = %s", got)
	}
	if len(b.BoardsLeftOut) != 1 || b.BoardsLeftOut[0].Title != "Bienvenue dans Nextcloud Deck !" {
		t.Errorf("left out = %+v; want the welcome board Deck made on the first listing", b.BoardsLeftOut)
	}
	if len(b.BoardsShared) != 1 || b.BoardsShared[0].Title != "Fête" || b.BoardsShared[0].Owner != "Carol" {
		t.Errorf("shared with alice = %+v", b.BoardsShared)
	}
	want := "[{" + l.accueil + " Accueil true [Bob Relève] true participant} {" + l.bureau + " Bureau false [Carol] true } {" +
		l.permanences + " Permanences false [Carol] false }]"
	if got := fmt.Sprint(b.Conversations); got != want {
		t.Errorf("conversations = %s\nwant %s", got, want)
	}
	if len(b.ConversationsJoined) != 1 || b.ConversationsJoined[0].Name != "Café" {
		t.Errorf("joined = %+v", b.ConversationsJoined)
	}
	if len(b.ConversationsOneToOne) != 1 || b.ConversationsOneToOne[0].Token != l.oneToOne {
		t.Errorf("one-to-one = %+v", b.ConversationsOneToOne)
	}
}

// checkBeyondMoved checks that bob owns the board, carol's share and the
// cards' authors and assignment kept, alice's share gone; that bob moderates
// the three conversations, alice out of them, none deleted.
func (l *beyondLab) checkBeyondMoved(t testing.TB) {
	t.Helper()
	for _, b := range l.nc.Boards() {
		if b.ID != l.board {
			continue
		}
		if b.Owner != "bob" || fmt.Sprint(b.Shares) != "[{1 carol false true false false}]" {
			t.Errorf("board = owner %s shares %v", b.Owner, b.Shares)
		}
		if got := fmt.Sprint(b.Stacks); got != fmt.Sprintf("[{%d À faire [{%d Préparer l'AG alice [carol]} {%d Assurance carol []}]} {%d Fait [{%d Budget alice []}]}]",
			b.Stacks[0].ID, b.Stacks[0].Cards[0].ID, b.Stacks[0].Cards[1].ID, b.Stacks[1].ID, b.Stacks[1].Cards[0].ID) {
			t.Errorf("stacks = %s", got)
		}
	}
	rooms := map[string]nextcloudtest.TalkRoom{}
	for _, r := range l.nc.Conversations() {
		rooms[r.Token] = r
	}
	for _, tok := range []string{l.accueil, l.bureau, l.permanences} {
		r, ok := rooms[tok]
		if !ok {
			t.Errorf("conversation %s was deleted", tok)
			continue
		}
		bob := 0
		for _, p := range r.Participants {
			switch {
			case p.UID == "alice":
				t.Errorf("%s: alice is still in it", r.Name)
			case p.UID == "bob" && p.Type != nextcloudtest.TalkModerator && p.Type != nextcloudtest.TalkOwner:
				t.Errorf("%s: bob is %d, not moderator", r.Name, p.Type)
			}
			if p.UID == "bob" {
				bob++
			}
		}
		if bob != 1 {
			t.Errorf("%s: bob is in it %d times", r.Name, bob)
		}
	}
	if r := rooms[l.cafe]; len(r.Participants) != 2 {
		t.Errorf("Café, where alice only takes part, changed: %+v", r)
	}
}

func TestBeyondTransfer(t *testing.T) {
	l := newBeyondLab(t)
	ctx := context.Background()
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.beyond())
	if err != nil {
		t.Fatal(err)
	}
	l.runDone(t, id)
	l.checkBeyondMoved(t)
	if got := l.journal(t, id); got != "[board:unshared conversation:left conversation:left conversation:left disable:disabled]" {
		t.Errorf("journal = %s", got)
	}
	// What each person is told: the board and the conversations, with what
	// became of them (bob reads English, alice French).
	want := map[string][]string{
		"bob":   {"the board “Bureau 2027” (its cards keep their authors and assignees)", "the conversation “Bureau” (as moderator: Talk cannot make anyone owner)"},
		"alice": {"Confié à Bob Relève : le tableau « Bureau 2027 »", "la conversation « Permanences » (comme modérateur·rice"},
	}
	for _, n := range l.nc.Notifications() {
		for _, w := range want[n.User] {
			if !strings.Contains(n.Message, w) {
				t.Errorf("notification of %s = %q; want %q in it", n.User, n.Message, w)
			}
		}
		delete(want, n.User)
	}
	if len(want) > 0 {
		t.Errorf("no notification for %v", want)
	}
}

// TestBeyondResumeAfterEveryStep stops the run after each journaled step,
// then runs it again: no board handed over twice, never a conversation
// without a moderator, none deleted.
func TestBeyondResumeAfterEveryStep(t *testing.T) {
	resumeAfterEveryStep(t, 9, func(t testing.TB) (*lab, Choice, func(testing.TB)) {
		l := newBeyondLab(t)
		return l.lab, l.beyond(), l.checkBeyondMoved
	})
}

// resumeAfterEveryStep counts the journaled steps of an uninterrupted
// transfer (at least minSteps), then, for each step in turn, stops a fresh
// transfer there, as a crash would, runs it again to the end and checks the
// outcome with check.
func resumeAfterEveryStep(t *testing.T, minSteps int, setUp func(testing.TB) (*lab, Choice, func(testing.TB))) {
	l, ch, _ := setUp(t)
	steps := 0
	l.svc.afterStep = func(store.TransferItem) error { steps++; return nil }
	id, err := l.svc.Start(context.Background(), "camille", "alice", "bob", ch)
	if err != nil {
		t.Fatal(err)
	}
	l.runToEnd(t, id)
	if steps < minSteps {
		t.Fatalf("only %d steps", steps)
	}
	for stopAt := 1; stopAt <= steps; stopAt++ {
		t.Run(fmt.Sprintf("stop after step %d", stopAt), func(t *testing.T) {
			l, ch, check := setUp(t)
			ctx := context.Background()
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", ch)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			l.svc.afterStep = func(store.TransferItem) error {
				if n++; n == stopAt {
					return errStop
				}
				return nil
			}
			if err := runWaiting(ctx, l.svc, id); !errors.Is(err, errStop) {
				t.Fatalf("first run: %v", err)
			}
			l.svc.afterStep = nil
			l.runDone(t, id)
			check(t)
		})
	}
}

// runDone runs transfer id to its end and fails the test unless everything
// was done.
func (l *lab) runDone(t testing.TB, id int64) {
	t.Helper()
	if tr := l.runToEnd(t, id); tr.State != "done" {
		items, _ := l.st.TransferItems(context.Background(), id)
		t.Fatalf("state %s: %+v", tr.State, items)
	}
}

// TestBeyondCrashBeforeJournal plays a crash between Nextcloud's answer and
// the journal line: the board was handed over and the source left the
// conversations, but the journal still says nothing happened.
func TestBeyondCrashBeforeJournal(t *testing.T) {
	l := newBeyondLab(t)
	ctx := context.Background()
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.beyond())
	if err != nil {
		t.Fatal(err)
	}
	alice := l.svc.nc.As("alice")
	if err := alice.TransferBoard(ctx, l.board, "bob"); err != nil {
		t.Fatal(err)
	}
	parts, _ := alice.Participants(ctx, l.accueil)
	for _, p := range parts {
		if p.ActorID == "bob" {
			if err := alice.PromoteModerator(ctx, l.accueil, p.AttendeeID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := alice.LeaveConversation(ctx, l.accueil); err != nil {
		t.Fatal(err)
	}
	l.runDone(t, id)
	l.checkBeyondMoved(t)
}

// TestBeyondNotOwned: a board the source does not own cannot be chosen, and
// a board given to someone else between the preview and the run fails
// alone, untouched.
func TestBeyondNotOwned(t *testing.T) {
	l := newBeyondLab(t)
	ctx := context.Background()
	ch := l.beyond()
	ch.Boards = []int{l.carolBoard}
	if _, err := l.svc.Start(ctx, "camille", "alice", "bob", ch); !errors.Is(err, ErrNotInInventory) {
		t.Fatalf("Start with carol's board = %v; want ErrNotInInventory", err)
	}
	ch = Choice{BeyondChoice: BeyondChoice{Boards: []int{l.board}, Conversations: []string{l.bureau}}}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", ch)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.svc.nc.As("alice").TransferBoard(ctx, l.board, "carol"); err != nil {
		t.Fatal(err)
	}
	if tr := l.runToEnd(t, id); tr.State != "partial" {
		t.Fatalf("state %s; want partial", tr.State)
	}
	items, _ := l.st.TransferItems(ctx, id)
	if items[0].State != "failed" || items[0].Error != "transfer_board_not_owned" || items[1].State != "done" {
		t.Errorf("journal = %+v", items)
	}
	for _, b := range l.nc.Boards() {
		if b.ID == l.board && b.Owner != "carol" {
			t.Errorf("board owner = %s; want carol still", b.Owner)
		}
	}
}

// TestBeyondAbsent: without Deck or Talk the inventory says so and lists
// nothing, and choosing a board or a conversation is refused.
func TestBeyondAbsent(t *testing.T) {
	for _, tt := range []struct{ deck, talk bool }{{false, true}, {true, false}, {false, false}} {
		t.Run(fmt.Sprintf("deck %v talk %v", tt.deck, tt.talk), func(t *testing.T) {
			l := newBeyondLab(t)
			l.nc.EnableDeck(tt.deck)
			l.nc.EnableTalk(tt.talk)
			ctx := context.Background()
			inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
			if err != nil {
				t.Fatal(err)
			}
			b := inv.BeyondFiles
			if b.Deck != tt.deck || b.Talk != tt.talk || (!tt.deck && len(b.Boards)+len(b.BoardsShared)+len(b.BoardsLeftOut) > 0) ||
				(!tt.talk && len(b.Conversations)+len(b.ConversationsJoined)+len(b.ConversationsOneToOne) > 0) {
				t.Fatalf("inventory = %+v", b)
			}
			ch := Choice{AllFiles: true}
			if !tt.deck {
				ch.Boards = []int{l.board}
			} else {
				ch.Conversations = []string{l.bureau}
			}
			if _, err := l.svc.Start(ctx, "camille", "alice", "bob", ch); !errors.Is(err, ErrNotInInventory) {
				t.Fatalf("Start = %v; want ErrNotInInventory", err)
			}
		})
	}
}

// disabledBeyondLab is the beyond lab with alice's account disabled before
// the transfer, as admins often do first.
func disabledBeyondLab(t testing.TB) *beyondLab {
	t.Helper()
	l := newBeyondLab(t)
	if err := l.svc.nc.As("camille").SetAccountEnabled(context.Background(), "alice", false); err != nil {
		t.Fatal(err)
	}
	return l
}

// allBeyond chooses every board and conversation, to be listed once alice's
// account is enabled for the transfer.
func allBeyond() Choice {
	return Choice{EnableSource: true, BeyondChoice: BeyondChoice{AllBoards: true, AllConversations: true,
		RemoveBoardShares: true, LeaveConversations: true}}
}

// TestBeyondDisabledSource: Deck and Talk refuse a disabled account, so
// the inventory cannot list its boards and conversations; the transfer
// enables the account, lists them, hands them over and disables it again.
func TestBeyondDisabledSource(t *testing.T) {
	l := disabledBeyondLab(t)
	ctx := context.Background()
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if b := inv.BeyondFiles; b.Listed || !b.Deck || !b.Talk || len(b.Boards)+len(b.Conversations) > 0 {
		t.Fatalf("inventory of a disabled source = %+v", b)
	}
	ch := allBeyond()
	ch.EnableSource = false
	if _, err := l.svc.Start(ctx, "camille", "alice", "bob", ch); !errors.Is(err, ErrSourceDisabled) {
		t.Fatalf("Start without enabling = %v; want ErrSourceDisabled", err)
	}
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", allBeyond())
	if err != nil {
		t.Fatal(err)
	}
	l.runDone(t, id)
	l.checkBeyondMoved(t)
	if got := l.journal(t, id); got != "[enable:enabled discover:listed board:unshared conversation:left conversation:left conversation:left disable:disabled]" {
		t.Errorf("journal = %s", got)
	}
	for _, u := range l.nc.Users() {
		if u.ID == "alice" && u.Enabled {
			t.Error("alice is enabled after the transfer")
		}
	}
}

// TestBeyondDisabledSourceResume stops the transfer of a disabled source
// after each journaled step: the boards and conversations are listed once
// and handed over once.
func TestBeyondDisabledSourceResume(t *testing.T) {
	resumeAfterEveryStep(t, 8, func(t testing.TB) (*lab, Choice, func(testing.TB)) {
		l := disabledBeyondLab(t)
		return l.lab, allBeyond(), func(t testing.TB) {
			l.checkBeyondMoved(t)
			items, _ := l.st.TransferItems(context.Background(), 1)
			if len(items) != 7 {
				t.Errorf("%d journal lines; want 7 (enable, discover, a board, 3 conversations, disable)", len(items))
			}
		}
	})
}

// journal lists the journal of transfer id as "kind:last step" lines.
func (l *beyondLab) journal(t testing.TB, id int64) string {
	t.Helper()
	items, err := l.st.TransferItems(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, it := range items {
		steps = append(steps, it.Kind+":"+it.Step)
	}
	return fmt.Sprint(steps)
}
