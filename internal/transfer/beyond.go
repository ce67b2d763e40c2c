package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"assokit/internal/errcode"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// Beyond files: the Deck boards the source owns and the Talk conversations
// it moderates, handed over in the same transfer. Both are read and moved
// acting as the source: only the owner can hand a board over, and only a
// participant sees a conversation (admins see none of the others',
// nextcloud-32-talk 517–519).

var (
	errBoardNotOwned = errcode.New("transfer_board_not_owned", "transfer: the board belongs neither to the source nor to the target any more")
	errNoModerator   = errcode.New("transfer_no_moderator", "transfer: the target does not moderate the conversation, so the source stays in it")
	errDeckDisabled  = errcode.New("transfer_deck_disabled", "transfer: Deck was disabled on this Nextcloud during the transfer")
	errTalkDisabled  = errcode.New("transfer_talk_disabled", "transfer: Talk was disabled on this Nextcloud during the transfer")
)

// BeyondFiles is what the inventory shows of Deck and Talk. Deck and Talk
// say whether the apps are enabled on this Nextcloud (capabilities,
// nextcloud-32-more 450–451): a page hides the section of an absent app.
type BeyondFiles struct {
	Deck bool `json:"deck"`
	Talk bool `json:"talk"`
	// Listed is false for a disabled source: Deck and Talk refuse it like
	// any OCS call (Talk's API is OCS; Deck's routes as a disabled account
	// are not captured and treated alike), so its boards and conversations
	// are listed by the transfer once it has enabled the account.
	Listed                bool               `json:"listed"`
	Boards                []BoardInfo        `json:"boards"`                // owned: can be handed over
	BoardsLeftOut         []BoardInfo        `json:"boardsLeftOut"`         // Deck's untouched welcome boards
	BoardsShared          []BoardInfo        `json:"boardsShared"`          // only shared with the source: stay
	Conversations         []ConversationInfo `json:"conversations"`         // owned or moderated: can be handed over
	ConversationsJoined   []ConversationInfo `json:"conversationsJoined"`   // the source only takes part: stay
	ConversationsOneToOne []ConversationInfo `json:"conversationsOneToOne"` // cannot be handed over
}

// BoardInfo is a Deck board as the inventory shows it.
type BoardInfo struct {
	ID         int      `json:"id"`
	Title      string   `json:"title"`
	Owner      string   `json:"owner"` // display name
	Stacks     int      `json:"stacks"`
	Cards      int      `json:"cards"`
	SharedWith []string `json:"sharedWith"` // display names of users, groups and teams
}

// ConversationInfo is a Talk conversation as the inventory shows it.
type ConversationInfo struct {
	Token         string   `json:"token"`
	Name          string   `json:"name"`
	Public        bool     `json:"public"`        // type 3: reachable by link
	Participants  []string `json:"participants"`  // display names, the source's aside
	OnlyModerator bool     `json:"onlyModerator"` // nobody but the source owns or moderates it
	TargetRole    string   `json:"targetRole"`    // "", "participant" or "moderator": the target's place in it now
}

// BeyondChoice is what the admin chose to hand over in Deck and Talk.
type BeyondChoice struct {
	Boards []int `json:"boards"` // ids from the inventory
	// RemoveBoardShares removes the share Deck gives the source on each
	// board it hands over (Deck keeps the former owner with every right).
	RemoveBoardShares bool     `json:"removeBoardShares"`
	Conversations     []string `json:"conversations"` // tokens from the inventory
	// LeaveConversations takes the source out of each conversation once the
	// target moderates it.
	LeaveConversations bool `json:"leaveConversations"`
	// AllBoards and AllConversations choose every board the source owns
	// and every conversation it moderates, as the inventory classes them:
	// for a source whose account is disabled, they are listed by the
	// transfer once the account is enabled.
	AllBoards        bool `json:"allBoards"`
	AllConversations bool `json:"allConversations"`
}

// chosen reports whether ch hands over anything.
func (ch BeyondChoice) chosen() bool {
	return len(ch.Boards) > 0 || len(ch.Conversations) > 0 || ch.AllBoards || ch.AllConversations
}

// beyondData is what the journal keeps for a board or a conversation.
type beyondData struct {
	RemoveShare      bool `json:"removeShare,omitempty"`
	Leave            bool `json:"leave,omitempty"`
	AllBoards        bool `json:"allBoards,omitempty"`        // a discover item
	AllConversations bool `json:"allConversations,omitempty"` // a discover item
}

// beyondInventory fills inv.BeyondFiles, acting as the source.
func (s *Service) beyondInventory(ctx context.Context, as *nextcloud.Client, inv *Inventory) error {
	b := &inv.BeyondFiles
	*b = BeyondFiles{Boards: []BoardInfo{}, BoardsLeftOut: []BoardInfo{}, BoardsShared: []BoardInfo{},
		Conversations: []ConversationInfo{}, ConversationsJoined: []ConversationInfo{}, ConversationsOneToOne: []ConversationInfo{}}
	apps, err := s.nc.Apps(ctx) // as AssoKit itself: OCS refuses a disabled source
	if err != nil {
		return err
	}
	b.Deck, b.Talk, b.Listed = apps.Deck, apps.Talk, inv.Source.Enabled
	if !b.Listed {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	if b.Deck {
		g.Go(recovering(func() error { return deckInventory(gctx, as, b) }))
	}
	if b.Talk {
		g.Go(recovering(func() error { return talkInventory(gctx, as, inv.Target.UID, b) }))
	}
	return g.Wait()
}

func deckInventory(ctx context.Context, as *nextcloud.Client, b *BeyondFiles) error {
	boards, err := as.Boards(ctx)
	if err != nil {
		return err
	}
	var mine []*BoardInfo
	var welcome []bool
	for _, bd := range boards {
		if bd.DeletedAt != 0 {
			continue // in Deck's trash
		}
		info := BoardInfo{ID: bd.ID, Title: bd.Title, Owner: bd.Owner.DisplayName, SharedWith: []string{}}
		for _, sh := range bd.Shares {
			info.SharedWith = append(info.SharedWith, sh.Participant.DisplayName)
		}
		if bd.Owner.UID != as.User() {
			b.BoardsShared = append(b.BoardsShared, info)
			continue
		}
		mine = append(mine, &info)
		welcome = append(welcome, welcomeLike(bd))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	untouched := make([]bool, len(mine))
	for i, info := range mine {
		g.Go(recovering(func() error {
			stacks, err := as.Stacks(gctx, info.ID)
			if err != nil {
				return err
			}
			info.Stacks = len(stacks)
			for _, st := range stacks {
				info.Cards += len(st.Cards)
			}
			untouched[i] = welcome[i] && untouchedCards(stacks)
			return nil
		}))
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, info := range mine {
		if untouched[i] {
			b.BoardsLeftOut = append(b.BoardsLeftOut, *info)
		} else {
			b.Boards = append(b.Boards, *info)
		}
	}
	return nil
}

// welcomeTitles are the titles Deck gives the welcome board it creates on a
// user's first listing (nextcloud-32-more 426: "Bienvenue dans Nextcloud
// Deck !" in French), in the languages of AssoKit's users.
var welcomeTitles = map[string]bool{"Welcome to Nextcloud Deck!": true, "Bienvenue dans Nextcloud Deck !": true}

// welcomeLike reports whether bd looks like Deck's welcome board as Deck
// made it: its title and colour (426), shared with nobody.
func welcomeLike(bd nextcloud.Board) bool {
	return welcomeTitles[bd.Title] && strings.EqualFold(bd.Color, "bf678b") && len(bd.Shares) == 0 && !bd.Archived
}

// Deck's welcome board has at most welcomeStacks lists and welcomeCards
// cards when Deck makes it (inferred from the ids of nextcloud-32-more
// 421–424, the first board made after it): one more is the user's own.
const welcomeStacks, welcomeCards = 4, 5

// untouchedCards reports whether the lists and cards of a welcome board are
// those Deck made with it: no more of them than Deck makes, the cards
// created together (within a minute) and never edited.
func untouchedCards(stacks []nextcloud.Stack) bool {
	cards := 0
	for _, st := range stacks {
		cards += len(st.Cards)
	}
	if len(stacks) > welcomeStacks || cards > welcomeCards {
		return false
	}
	var first int64
	for _, st := range stacks {
		for _, c := range st.Cards {
			if c.LastModified != c.CreatedAt {
				return false
			}
			if first == 0 || c.CreatedAt < first {
				first = c.CreatedAt
			}
		}
	}
	for _, st := range stacks {
		for _, c := range st.Cards {
			if c.CreatedAt-first > 60 {
				return false
			}
		}
	}
	return true
}

func talkInventory(ctx context.Context, as *nextcloud.Client, target string, b *BeyondFiles) error {
	rooms, err := as.Conversations(ctx)
	if err != nil {
		return err
	}
	var mod []*ConversationInfo
	for _, c := range rooms {
		info := ConversationInfo{Token: c.Token, Name: c.DisplayName, Public: c.Type == nextcloud.ConversationPublic, Participants: []string{}}
		switch {
		case c.Type == nextcloud.ConversationOneToOne:
			b.ConversationsOneToOne = append(b.ConversationsOneToOne, info)
		case (c.Type != nextcloud.ConversationGroup && c.Type != nextcloud.ConversationPublic) || c.ObjectType != "":
			// Talk's own: changelog, note to self, sample, and the
			// conversations of files, events and calls.
		case c.Moderates():
			mod = append(mod, &info)
		default:
			b.ConversationsJoined = append(b.ConversationsJoined, info)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, info := range mod {
		g.Go(recovering(func() error {
			parts, err := as.Participants(gctx, info.Token)
			if err != nil {
				return err
			}
			mods := 0
			for _, p := range parts {
				if p.Moderates() {
					mods++
				}
				if p.ActorType == "users" && p.ActorID == target {
					info.TargetRole = "participant"
					if p.Moderates() {
						info.TargetRole = "moderator"
					}
				}
				if p.ActorType != "users" || p.ActorID != as.User() {
					info.Participants = append(info.Participants, p.DisplayName)
				}
			}
			info.OnlyModerator = mods == 1
			return nil
		}))
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, info := range mod {
		b.Conversations = append(b.Conversations, *info)
	}
	sort.Slice(b.Conversations, func(i, j int) bool {
		return strings.ToLower(b.Conversations[i].Name) < strings.ToLower(b.Conversations[j].Name)
	})
	return nil
}

// beyondItems are the journal lines of the boards and conversations chosen,
// each checked against the inventory. "All" of them, for a source whose
// boards and conversations could not be listed, is one discover line that
// lists and adds them during the transfer.
func beyondItems(b BeyondFiles, ch BeyondChoice, sourceName string) ([]store.TransferItem, error) {
	if !b.Listed {
		d := beyondData{AllBoards: ch.AllBoards && b.Deck, AllConversations: ch.AllConversations && b.Talk,
			RemoveShare: ch.RemoveBoardShares, Leave: ch.LeaveConversations}
		if !d.AllBoards && !d.AllConversations {
			return nil, nil // neither app is enabled: nothing to list
		}
		return []store.TransferItem{beyondItem("discover", "", sourceName, d)}, nil
	}
	if ch.AllBoards {
		ch.Boards = nil
		for _, x := range b.Boards {
			ch.Boards = append(ch.Boards, x.ID)
		}
	}
	if ch.AllConversations {
		ch.Conversations = nil
		for _, x := range b.Conversations {
			ch.Conversations = append(ch.Conversations, x.Token)
		}
	}
	var items []store.TransferItem
	for _, id := range ch.Boards {
		i := indexOf(b.Boards, func(x BoardInfo) bool { return x.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("%w: board %d", ErrNotInInventory, id)
		}
		items = append(items, beyondItem("board", strconv.Itoa(id), b.Boards[i].Title, beyondData{RemoveShare: ch.RemoveBoardShares}))
	}
	for _, tok := range ch.Conversations {
		i := indexOf(b.Conversations, func(x ConversationInfo) bool { return x.Token == tok })
		if i < 0 {
			return nil, fmt.Errorf("%w: conversation %s", ErrNotInInventory, tok)
		}
		items = append(items, beyondItem("conversation", tok, b.Conversations[i].Name, beyondData{Leave: ch.LeaveConversations}))
	}
	return items, nil
}

func beyondItem(kind, ref, label string, d beyondData) store.TransferItem {
	raw, _ := json.Marshal(itemData{Beyond: &d})
	return store.TransferItem{Kind: kind, Ref: ref, Label: label, Data: string(raw)}
}

func indexOf[T any](list []T, match func(T) bool) int {
	for i, x := range list {
		if match(x) {
			return i
		}
	}
	return -1
}

// discover lists, once the source's account is enabled for the transfer,
// the boards it owns and the conversations it moderates (as the inventory
// does for an enabled source), and adds their journal lines in the same
// transaction that marks it done.
func (r *run) discover(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "discover" {
		return nil
	}
	d := beyondOf(r.data(it))
	b := BeyondFiles{Listed: true}
	as := r.s.nc.As(r.t.Source)
	// An app chosen but disabled since: what it holds stays, and the
	// line says why.
	var off error
	for _, app := range []struct {
		chosen, deck bool
		list         func() error
	}{
		{d.AllBoards, true, func() error { return deckInventory(ctx, as, &b) }},
		{d.AllConversations, false, func() error { return talkInventory(ctx, as, r.t.Target, &b) }},
	} {
		if !app.chosen {
			continue
		}
		err := r.appOn(ctx, app.deck)
		if errors.Is(err, errDeckDisabled) || errors.Is(err, errTalkDisabled) {
			if off == nil {
				off = err
			}
			continue
		}
		if err == nil {
			err = app.list()
		}
		if err != nil {
			return err
		}
	}
	added, err := beyondItems(b, BeyondChoice{AllBoards: true, AllConversations: true,
		RemoveBoardShares: d.RemoveShare, LeaveConversations: d.Leave}, "")
	if err != nil {
		return err
	}
	it.Step, it.State, it.Total, it.Copied = "listed", "done", len(added), len(added)
	if off != nil {
		it.State, it.Error = "failed", ErrorCode(off)
	}
	if _, err := r.s.st.ExpandTransfer(ctx, *it, added); err != nil {
		return err
	}
	if r.s.afterStep != nil {
		return r.s.afterStep(*it)
	}
	return nil
}

// Steps of a board item, in order; the last one reached is kept when the
// item is done, so that the report can say what happened.
const (
	stepBoardMoved    = "moved"    // the target owns the board
	stepBoardUnshared = "unshared" // and the source's share is gone
)

// board hands a board over to the target, acting as its owner, then
// verifies it as the target and, if chosen, removes the share Deck gives
// the former owner. A hand-over that happened before a crash is found again
// (Deck then answers 401, 434): no board is handed over twice.
func (r *run) board(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "board" {
		return nil
	}
	id, err := strconv.Atoi(it.Ref)
	if err != nil {
		return fmt.Errorf("%w: board %q", ErrNotInInventory, it.Ref)
	}
	if err := r.appOn(ctx, true); err != nil {
		return err
	}
	d := beyondOf(r.data(it))
	dst := r.s.nc.As(r.t.Target)
	if it.Step == "" {
		err := r.s.nc.As(r.t.Source).TransferBoard(ctx, id, r.t.Target)
		if errors.Is(err, nextcloud.ErrNotBoardOwner) {
			_, err = r.ownedByTarget(ctx, id)
		}
		if err != nil {
			return err
		}
		if err := r.save(ctx, it, stepBoardMoved, "running", nil); err != nil {
			return err
		}
	}
	b, err := r.ownedByTarget(ctx, id)
	if err != nil {
		return err
	}
	step := stepBoardMoved
	if d.RemoveShare {
		for _, sh := range b.Shares {
			if sh.Type == 0 && sh.Participant.UID == r.t.Source {
				if err := dst.RemoveBoardShare(ctx, id, sh.ID); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
					return err
				}
			}
		}
		if b, err = dst.Board(ctx, id); err != nil {
			return err
		}
		for _, sh := range b.Shares {
			if sh.Type == 0 && sh.Participant.UID == r.t.Source {
				return fmt.Errorf("%w: the share of board %d with %s is still there", errMismatch, id, r.t.Source)
			}
		}
		step = stepBoardUnshared
	}
	return r.save(ctx, it, step, "done", nil)
}

// appOn returns errDeckDisabled (deck) or errTalkDisabled when that app is
// no longer enabled on this Nextcloud: an admin may disable it between the
// preview and the run (capabilities without "deck" or "spreed",
// nextcloud-32-more 450–451), and its routes then answer 404, which would
// read as a board or a conversation gone. The capabilities are read once
// per run, as AssoKit itself.
func (r *run) appOn(ctx context.Context, deck bool) error {
	if r.apps == nil {
		a, err := r.s.nc.Apps(ctx)
		if err != nil {
			return err
		}
		r.apps = &a
	}
	switch {
	case deck && !r.apps.Deck:
		return errDeckDisabled
	case !deck && !r.apps.Talk:
		return errTalkDisabled
	}
	return nil
}

// ownedByTarget reads board id as the target and checks that it owns it.
func (r *run) ownedByTarget(ctx context.Context, id int) (nextcloud.Board, error) {
	b, err := r.s.nc.As(r.t.Target).Board(ctx, id)
	if errors.Is(err, nextcloud.ErrForbidden) || (err == nil && b.Owner.UID != r.t.Target) {
		return nextcloud.Board{}, fmt.Errorf("%w: board %d", errBoardNotOwned, id)
	}
	return b, err
}

// Steps of a conversation item, in order; as for boards, the last one
// reached stays.
const (
	stepTalkAdded    = "added"    // the target takes part
	stepTalkPromoted = "promoted" // the target moderates
	stepTalkLeft     = "left"     // the source left
)

// conversation makes the target a moderator of a conversation the source
// owns or moderates, acting as the source: add the target if needed,
// promote them, read the participants back, and only then, if chosen, let
// the source leave. With the target in and moderating, Talk can neither
// refuse the source's leaving (last-moderator, nextcloud-32-talk 506) nor
// delete the conversation as its last user leaves (526–529). Talk's API
// cannot make anyone owner: the target becomes moderator.
func (r *run) conversation(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "conversation" {
		return nil
	}
	if err := r.appOn(ctx, false); err != nil {
		return err
	}
	tok, d := it.Ref, beyondOf(r.data(it))
	src := r.s.nc.As(r.t.Source)
	if it.Step == "" || it.Step == stepTalkAdded {
		p, err := r.targetIn(ctx, tok)
		if errors.Is(err, nextcloud.ErrNotFound) {
			// The source is out already: it left before a crash, after
			// the target became moderator, or someone removed it.
			if err := r.targetModerates(ctx, tok); err != nil {
				return err
			}
			return r.save(ctx, it, stepTalkLeft, "done", nil)
		}
		if err != nil {
			return err
		}
		if p == nil {
			if err := src.AddParticipant(ctx, tok, r.t.Target); err != nil {
				return err
			}
			if p, err = r.targetIn(ctx, tok); err != nil {
				return err
			}
			if p == nil {
				return fmt.Errorf("%w: %s is not in conversation %s after being added", errMismatch, r.t.Target, tok)
			}
			if err := r.save(ctx, it, stepTalkAdded, "running", nil); err != nil {
				return err
			}
		}
		if !p.Moderates() {
			if err := src.PromoteModerator(ctx, tok, p.AttendeeID); err != nil {
				return err
			}
			if p, err = r.targetIn(ctx, tok); err != nil {
				return err
			}
			if p == nil || !p.Moderates() {
				return fmt.Errorf("%w: %s", errNoModerator, tok)
			}
		}
		if err := r.save(ctx, it, stepTalkPromoted, "running", nil); err != nil {
			return err
		}
	}
	if !d.Leave {
		return r.save(ctx, it, stepTalkPromoted, "done", nil)
	}
	p, err := r.targetIn(ctx, tok)
	switch {
	case errors.Is(err, nextcloud.ErrNotFound):
		// The source left before a crash.
		if err := r.targetModerates(ctx, tok); err != nil {
			return err
		}
	case err != nil:
		return err
	case p == nil || !p.Moderates():
		return fmt.Errorf("%w: %s", errNoModerator, tok)
	default:
		err := src.LeaveConversation(ctx, tok)
		if errors.Is(err, nextcloud.ErrNotFound) {
			// Left already: the answer to a first attempt was lost and
			// the request sent again (Talk answers 404 to a former
			// participant, 516).
			err = r.targetModerates(ctx, tok)
		}
		if err != nil {
			return err
		}
	}
	return r.save(ctx, it, stepTalkLeft, "done", nil)
}

// targetModerates checks, as the target, that conversation tok exists and
// that the target owns or moderates it.
func (r *run) targetModerates(ctx context.Context, tok string) error {
	c, err := r.s.nc.As(r.t.Target).Conversation(ctx, tok)
	if err != nil {
		return err
	}
	if !c.Moderates() {
		return fmt.Errorf("%w: %s", errNoModerator, tok)
	}
	return nil
}

// targetIn returns the target's line among the participants of conversation
// tok, read as the source; nil if the target is not in it.
func (r *run) targetIn(ctx context.Context, tok string) (*nextcloud.TalkParticipant, error) {
	parts, err := r.s.nc.As(r.t.Source).Participants(ctx, tok)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if p.ActorType == "users" && p.ActorID == r.t.Target {
			return &p, nil
		}
	}
	return nil, nil
}

func beyondOf(d itemData) beyondData {
	if d.Beyond == nil {
		return beyondData{}
	}
	return *d.Beyond
}
