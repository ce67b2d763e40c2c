package transfer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"assokit/internal/nextcloud"
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

// TestEndTextBeyondHalfDone: a board or a conversation whose last step
// failed after the target got it is told as handed over, with what was
// left undone; a board given to someone else meanwhile is in neither
// account and told so, not as "still in your account".
func TestEndTextBeyondHalfDone(t *testing.T) {
	alice := Person{UID: "alice", Name: "Alice", Lang: "fr"}
	bob := Person{UID: "bob", Name: "Bob", Lang: "en"}
	items := []store.TransferItem{
		{Kind: "board", Label: "Bureau", Step: stepBoardMoved, State: "failed", Error: "transfer_error"},
		{Kind: "conversation", Label: "Accueil", Step: stepTalkPromoted, State: "failed", Error: "nextcloud_unreachable"},
		{Kind: "board", Label: "Fête", State: "failed", Error: errBoardNotOwned.Code()},
		{Kind: "conversation", Label: "Café", Step: stepTalkPromoted, State: "failed", Error: errNoModerator.Code()},
	}
	for _, tt := range []struct {
		to        Person
		want, not []string
	}{
		{bob, []string{"Received from Alice: the board “Bureau” (its cards keep their authors and assignees; the former owner's access could not be removed), " +
			"the conversation “Accueil” (as moderator: Talk cannot make anyone owner; the former moderator could not leave it).",
			"Not transferred, still with Alice: the conversation “Café”.",
			"Given to someone else meanwhile, left as it is: the board “Fête”."}, []string{"still with Alice: the board"}},
		{alice, []string{"Confié à Bob : le tableau « Bureau » (ses cartes gardent leurs auteurs et les personnes assignées ; l'accès de l'ancien·ne propriétaire n'a pas pu être retiré)",
			"Resté dans votre compte : la conversation « Café ».",
			"Confié entre-temps à quelqu'un d'autre, laissé tel quel : le tableau « Fête »."}, []string{"Resté dans votre compte : le tableau"}},
	} {
		subject, msg := endText(tt.to, alice, bob, "camille", items)
		if !strings.Contains(subject, "part") {
			t.Errorf("%s: subject %q; want a partly done transfer", tt.to.UID, subject)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message\n%s\nwant %q in it", tt.to.UID, msg, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(msg, w) {
				t.Errorf("%s: message\n%s\nsays %q", tt.to.UID, msg, w)
			}
		}
	}
}

// TestDetailHandedOver: the report marks a failed board or conversation
// as handed over exactly when the notifications say it moved (handedOver),
// from the same journaled step.
func TestDetailHandedOver(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	failed := []store.TransferItem{
		{Kind: "board", Label: "Bureau", Step: stepBoardMoved, State: "failed", Error: "nextcloud_unreachable"},
		{Kind: "board", Label: "Fête", State: "failed", Error: "nextcloud_unreachable"},
		{Kind: "board", Label: "Jardin", Step: stepBoardMoved, State: "failed", Error: errBoardNotOwned.Code()},
		{Kind: "conversation", Label: "Accueil", Step: stepTalkPromoted, State: "failed", Error: "nextcloud_unreachable"},
		{Kind: "conversation", Label: "Café", Step: stepTalkPromoted, State: "failed", Error: errNoModerator.Code()},
		{Kind: "conversation", Label: "Arrosage", Step: stepTalkAdded, State: "failed", Error: "nextcloud_unreachable"},
		{Kind: "conversation", Label: "Bureau", Step: stepTalkLeft, State: "done"},
	}
	id, err := l.st.CreateTransfer(ctx, store.Transfer{Source: "alice", Target: "bob", Admin: "camille"}, failed)
	if err != nil {
		t.Fatal(err)
	}
	items, err := l.st.TransferItems(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		it.Step, it.State, it.Error = failed[i].Step, failed[i].State, failed[i].Error
		if err := l.st.SaveTransferItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	d, err := l.svc.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"board:Bureau": true, "conversation:Accueil": true}
	for _, v := range d.Items {
		if got := v.HandedOver; got != want[v.Kind+":"+v.Label] {
			t.Errorf("%s %q: handedOver = %v", v.Kind, v.Label, got)
		}
	}
}

// TestBeyondLeaveAnswerLost: Talk lets the source leave but its answer is
// lost (a proxy's 502), and the client sends the request again, which Talk
// answers 404 as to any former participant: the conversation is handed
// over, not failed as gone.
func TestBeyondLeaveAnswerLost(t *testing.T) {
	l := newBeyondLab(t)
	ctx := context.Background()
	retrying, err := nextcloud.New(nextcloud.Config{BaseURL: l.nc.URL(), AppID: "assokit", AppSecret: "test-secret",
		AppVersion: "0.1.0", Retries: 1, RetryBase: time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l.svc.nc = retrying
	var mu sync.Mutex
	lost := false
	l.nc.SetFault(func(r *http.Request) (int, time.Duration) {
		if r.Method != http.MethodDelete || !strings.HasSuffix(r.URL.Path, "/participants/self") {
			return 0, 0
		}
		mu.Lock()
		first := !lost
		lost = true
		mu.Unlock()
		if !first {
			return 0, 0
		}
		// Talk does it, then the answer is lost on the way back.
		tok := strings.Split(strings.TrimPrefix(r.URL.Path, "/ocs/v2.php/apps/spreed/api/v4/room/"), "/")[0]
		if err := retrying.As("alice").LeaveConversation(r.Context(), tok); err != nil {
			t.Errorf("leave %s: %v", tok, err)
		}
		return http.StatusBadGateway, 0
	})
	id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.beyond())
	if err != nil {
		t.Fatal(err)
	}
	l.runDone(t, id)
	l.checkBeyondMoved(t)
}

// TestBeyondAppDisabledDuringRun: Deck and Talk disabled between the
// preview and the run (capabilities without "deck" and "spreed", 451; their
// routes then answer 404). The boards and conversations fail with a code
// that says so, not as gone; nothing moved, the report and the
// notifications say they stayed; the source is not disabled.
func TestBeyondAppDisabledDuringRun(t *testing.T) {
	t.Run("chosen from the inventory", func(t *testing.T) {
		l := newBeyondLab(t)
		ctx := context.Background()
		id, err := l.svc.Start(ctx, "camille", "alice", "bob", l.beyond())
		if err != nil {
			t.Fatal(err)
		}
		l.nc.EnableDeck(false)
		l.nc.EnableTalk(false)
		if tr := l.runToEnd(t, id); tr.State != "failed" {
			t.Fatalf("state %s; want failed", tr.State)
		}
		items, _ := l.st.TransferItems(ctx, id)
		var got []string
		for _, it := range items {
			got = append(got, it.Kind+":"+it.State+":"+it.Error)
		}
		if want := "[board:failed:transfer_deck_disabled conversation:failed:transfer_talk_disabled conversation:failed:transfer_talk_disabled " +
			"conversation:failed:transfer_talk_disabled disable:failed:transfer_skipped]"; fmt.Sprint(got) != want {
			t.Errorf("journal = %v\nwant %s", got, want)
		}
		for _, b := range l.nc.Boards() {
			if b.ID == l.board && b.Owner != "alice" {
				t.Errorf("board owner = %s", b.Owner)
			}
		}
		for _, n := range l.nc.Notifications() {
			if n.User == "bob" && !strings.Contains(n.Message, "Not transferred, still with Alice Départ: the board “Bureau 2027”") {
				t.Errorf("bob is told %q", n.Message)
			}
		}
	})
	t.Run("listed once the source is enabled", func(t *testing.T) {
		l := disabledBeyondLab(t)
		ctx := context.Background()
		id, err := l.svc.Start(ctx, "camille", "alice", "bob", allBeyond())
		if err != nil {
			t.Fatal(err)
		}
		l.nc.EnableDeck(false)
		l.runToEnd(t, id)
		items, _ := l.st.TransferItems(ctx, id)
		var got []string
		for _, it := range items {
			got = append(got, it.Kind+":"+it.State+":"+it.Error)
		}
		// The conversations still move; the discovery says why the boards did not.
		if want := "[enable:done: discover:failed:transfer_deck_disabled conversation:done: conversation:done: conversation:done: disable:done:]"; fmt.Sprint(got) != want {
			t.Errorf("journal = %v\nwant %s", got, want)
		}
		for _, n := range l.nc.Notifications() {
			if n.User == "camille" && !strings.Contains(n.Message, "Non transféré : les tableaux Deck (Deck a été désactivé pendant le transfert)") {
				t.Errorf("camille is told %q", n.Message)
			}
		}
	})
}

// TestBeyondDisabledSourceNoApps: for a disabled source on a Nextcloud
// without Deck and Talk, "every board and conversation" is nothing to
// hand over, not a transfer that enables the account to list nothing.
func TestBeyondDisabledSourceNoApps(t *testing.T) {
	l := disabledBeyondLab(t)
	l.nc.EnableDeck(false)
	l.nc.EnableTalk(false)
	if _, err := l.svc.Start(context.Background(), "camille", "alice", "bob", allBeyond()); !errors.Is(err, ErrNothing) {
		t.Fatalf("Start = %v; want ErrNothing", err)
	}
}

// TestBeyondEdgeCasesResume hands over, stopping after each journaled step
// in turn: a conversation with only the source in it (deleted by Talk if
// the source left before the target came in, 526–529), one the target
// already moderates, and a board already shared with the target (Deck
// drops that share as the target becomes owner, 432–435); names with
// spaces, apostrophes, emoji, '/' and '%'.
func TestBeyondEdgeCasesResume(t *testing.T) {
	resumeAfterEveryStep(t, 4, func(t testing.TB) (*lab, Choice, func(testing.TB)) {
		l := newLab(t)
		l.nc.EnableDeck(true)
		l.nc.EnableTalk(true)
		board := l.nc.AddBoard(nextcloudtest.DeckBoard{Title: "L'AG 2027 / 100% 🎉", Owner: "alice",
			Shares: []nextcloudtest.DeckShare{{With: "bob", Edit: true}},
			Stacks: []nextcloudtest.DeckStack{{Title: "À faire", Cards: []nextcloudtest.DeckCard{{Title: "Salle"}}}}})
		solo := l.nc.AddConversation(nextcloudtest.TalkRoom{Name: "Brouillon solo 🙂", Participants: []nextcloudtest.TalkParticipant{
			{UID: "alice", Type: nextcloudtest.TalkOwner}}})
		duo := l.nc.AddConversation(nextcloudtest.TalkRoom{Name: "Trésorerie d'été / 50%", Participants: []nextcloudtest.TalkParticipant{
			{UID: "alice", Type: nextcloudtest.TalkOwner}, {UID: "bob", Type: nextcloudtest.TalkModerator}}})
		ch := Choice{BeyondChoice: BeyondChoice{Boards: []int{board}, RemoveBoardShares: true,
			Conversations: []string{solo, duo}, LeaveConversations: true}}
		return l, ch, func(t testing.TB) {
			for _, b := range l.nc.Boards() {
				if b.ID == board && (b.Owner != "bob" || len(b.Shares) != 0) {
					t.Errorf("board: owner %s, shares %+v; want bob alone", b.Owner, b.Shares)
				}
			}
			rooms := map[string]nextcloudtest.TalkRoom{}
			for _, r := range l.nc.Conversations() {
				rooms[r.Token] = r
			}
			for _, tok := range []string{solo, duo} {
				r, ok := rooms[tok]
				if !ok {
					t.Errorf("conversation %s was deleted", tok)
					continue
				}
				if len(r.Participants) != 1 || r.Participants[0].UID != "bob" || r.Participants[0].Type == nextcloudtest.TalkUser {
					t.Errorf("%s: participants %+v; want bob alone, moderating", r.Name, r.Participants)
				}
			}
			if !strings.Contains(fmt.Sprint(l.nc.Notifications()), "the board “L'AG 2027 / 100% 🎉”") {
				t.Errorf("notifications = %+v", l.nc.Notifications())
			}
		}
	})
}

// TestBeyondWelcomeBoardTouched: a card the source added to Deck's welcome
// board soon after Deck made it (same minute, never edited since) makes
// the board the source's own: it can be handed over, not left out.
func TestBeyondWelcomeBoardTouched(t *testing.T) {
	l := newBeyondLab(t)
	ctx := context.Background()
	boards, err := l.svc.nc.As("alice").Boards(ctx) // Deck makes the welcome board
	if err != nil {
		t.Fatal(err)
	}
	welcome := 0
	for _, b := range boards {
		if welcomeTitles[b.Title] {
			welcome = b.ID
		}
	}
	stacks, err := l.svc.nc.As("alice").Stacks(ctx, welcome)
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks of the welcome board: %v %v", stacks, err)
	}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/index.php/apps/deck/api/v1.0/boards/%d/stacks/%d/cards", l.nc.URL(), welcome, stacks[0].ID),
		strings.NewReader(`{"title":"Appeler la mairie"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("EX-APP-ID", "assokit")
	req.Header.Set("EX-APP-VERSION", "0.1.0")
	req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte("alice:test-secret")))
	req.Header.Set("OCS-APIRequest", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("add a card: %v %v", resp, err)
	}
	resp.Body.Close()
	inv, err := l.svc.Inventory(ctx, "camille", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.BoardsLeftOut) != 0 || indexOf(inv.Boards, func(b BoardInfo) bool { return b.ID == welcome }) < 0 {
		t.Errorf("boards %+v, left out %+v; want the welcome board with the card among the boards", inv.Boards, inv.BoardsLeftOut)
	}
}
