package nextcloudtest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Deck, as Deck 1.16.7 on Nextcloud 32 answers through AppAPI
// (shared/fixtures/nextcloud-32-more, 421–440): the REST API below
// /index.php/apps/deck/api/v1.0 and the web route that hands a board over,
// PUT /index.php/apps/deck/boards/{id}/transferOwner, which passes
// Nextcloud's CSRF check only with the OCS-APIRequest: true header (412
// otherwise, 428–433). Answers are plain JSON, not OCS envelopes.

// DeckBoard is a board of the fake Deck.
type DeckBoard struct {
	ID      int
	Title   string
	Owner   string
	Color   string // hex without '#' [0087C5]
	Shares  []DeckShare
	Stacks  []DeckStack
	Welcome bool // the board Deck creates on a user's first listing
}

// DeckShare is an entry of a board's sharing (its ACL).
type DeckShare struct {
	ID                  int
	With                string // uid or group id
	Group               bool
	Edit, Share, Manage bool
}

// DeckStack is a list of cards.
type DeckStack struct {
	ID    int
	Title string
	Cards []DeckCard
}

// DeckCard is a card; Owner is its author, kept when the board changes hands
// (439).
type DeckCard struct {
	ID       int
	Title    string
	Owner    string
	Assigned []string
}

type deckState struct {
	on        bool
	boards    map[int]*deckBoard
	firstRun  map[string]bool // users whose first listing already happened
	lastBoard int
	lastStack int
	lastCard  int
	lastLabel int
	lastACL   int
}

type deckBoard struct {
	DeckBoard
	labels   []deckLabel
	stacks   []*deckStack
	acl      []*DeckShare
	modified int64
}

type deckLabel struct {
	id           int
	title, color string
}

type deckStack struct {
	id       int
	title    string
	order    int
	cards    []*deckCard
	modified int64
}

type deckCard struct {
	id                 int
	title, description string
	owner              string
	assigned           []string
	order              int
	created, modified  int64
}

// EnableDeck installs (true) or removes (false) Deck: capabilities carry
// "deck" only while it is enabled (450–451), and its routes answer 404
// otherwise.
func (s *Server) EnableDeck(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deckLocked().on = on
}

func (s *Server) deckLocked() *deckState {
	if s.deck == nil {
		s.deck = &deckState{boards: map[int]*deckBoard{}, firstRun: map[string]bool{}}
	}
	return s.deck
}

// AddBoard creates a board as its owner would (with Deck's four default
// labels), its stacks and cards, and its shares; it returns the board's id.
// The owner's first listing still creates the welcome board unless
// b.Welcome is set, which marks this board as that welcome board.
func (s *Server) AddBoard(b DeckBoard) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deckLocked()
	if b.Color == "" {
		b.Color = "0087C5"
	}
	nb := s.newBoardLocked(b.Title, b.Owner, b.Color)
	nb.Welcome = b.Welcome
	if b.Welcome {
		d.firstRun[b.Owner] = true
	}
	for i, st := range b.Stacks {
		ns := s.newStackLocked(nb, st.Title, i+1)
		for _, c := range st.Cards {
			owner := c.Owner
			if owner == "" {
				owner = b.Owner
			}
			nc := s.newCardLocked(ns, c.Title, "", owner)
			nc.assigned = append([]string(nil), c.Assigned...)
		}
	}
	for _, sh := range b.Shares {
		d.lastACL++
		sh.ID = d.lastACL
		cp := sh
		nb.acl = append(nb.acl, &cp)
	}
	return nb.ID
}

// Boards returns every board, sorted by id, with its stacks, cards and
// shares as they are now.
func (s *Server) Boards() []DeckBoard {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deckLocked()
	var out []DeckBoard
	for _, id := range sortedBoardIDs(d) {
		b := d.boards[id]
		cp := b.DeckBoard
		cp.Shares, cp.Stacks = nil, nil
		for _, a := range b.acl {
			cp.Shares = append(cp.Shares, *a)
		}
		for _, st := range b.stacks {
			ds := DeckStack{ID: st.id, Title: st.title}
			for _, c := range st.cards {
				ds.Cards = append(ds.Cards, DeckCard{ID: c.id, Title: c.title, Owner: c.owner, Assigned: append([]string(nil), c.assigned...)})
			}
			cp.Stacks = append(cp.Stacks, ds)
		}
		out = append(out, cp)
	}
	return out
}

func sortedBoardIDs(d *deckState) []int {
	ids := make([]int, 0, len(d.boards))
	for id := range d.boards {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// Deck's default labels for a new board, in French as in 421 (the lab's
// accounts speak French; the titles are not checked).
var deckDefaultLabels = []deckLabel{{title: "Terminé", color: "31CC7C"}, {title: "À réviser", color: "317CCC"},
	{title: "Action requise", color: "FF7A66"}, {title: "Plus tard", color: "F1DB50"}}

func (s *Server) newBoardLocked(title, owner, color string) *deckBoard {
	d := s.deckLocked()
	d.lastBoard++
	b := &deckBoard{DeckBoard: DeckBoard{ID: d.lastBoard, Title: title, Owner: owner, Color: color}, modified: s.now().Unix()}
	for _, l := range deckDefaultLabels {
		d.lastLabel++
		b.labels = append(b.labels, deckLabel{id: d.lastLabel, title: l.title, color: l.color})
	}
	d.boards[b.ID] = b
	return b
}

func (s *Server) newStackLocked(b *deckBoard, title string, order int) *deckStack {
	d := s.deckLocked()
	d.lastStack++
	st := &deckStack{id: d.lastStack, title: title, order: order, modified: s.now().Unix()}
	b.stacks = append(b.stacks, st)
	b.modified = s.now().Unix()
	return st
}

func (s *Server) newCardLocked(st *deckStack, title, description, owner string) *deckCard {
	d := s.deckLocked()
	d.lastCard++
	now := s.now().Unix()
	c := &deckCard{id: d.lastCard, title: title, description: description, owner: owner, order: len(st.cards), created: now, modified: now}
	st.cards = append(st.cards, c)
	return c
}

// welcomeBoardLocked creates the board Deck gives a user on their first
// listing (426, 427, 435: even when they already own boards). Its title and
// colour are captured (426); its stacks, cards and labels are assumed, their
// counts inferred from the ids of 421–424 (4 stacks, 5 cards, 5 labels).
func (s *Server) welcomeBoardLocked(uid string) {
	title := "Welcome to Nextcloud Deck!"
	stacks := []string{"Custom lists - click to rename!", "To Do", "In Progress", "Done"}
	if u := s.users[uid]; u != nil && u.Language == "fr" {
		title = "Bienvenue dans Nextcloud Deck !"
		stacks = []string{"Listes personnalisées - cliquez pour renommer !", "À faire", "En cours", "Terminé"}
	}
	b := s.newBoardLocked(title, uid, "bf678b")
	b.Welcome = true
	d := s.deckLocked()
	d.lastLabel++
	b.labels = append(b.labels, deckLabel{id: d.lastLabel, title: "Read more inside", color: "CC317C"})
	cards := [][]string{{"1. Open to learn more about boards and cards", "2. Drag cards left and right, up and down"},
		{"3. Apply rich formatting and link content", "4. Share, comment and collaborate!"}, {"5. Add your first card"}}
	for i, t := range stacks {
		st := s.newStackLocked(b, t, i)
		if i < len(cards) {
			for _, c := range cards[i] {
				s.newCardLocked(st, c, "", uid)
			}
		}
	}
}

// deckAccess is what uid may do on b: see it at all, and manage it.
func (s *Server) deckAccessLocked(b *deckBoard, uid string) (read, edit, share, manage bool) {
	if b.Owner == uid {
		return true, true, true, true
	}
	u := s.users[uid]
	for _, a := range b.acl {
		if (!a.Group && a.With == uid) || (a.Group && u != nil && hasGroup(u.Groups, a.With)) {
			read, edit, share, manage = true, edit || a.Edit, share || a.Share, manage || a.Manage
		}
	}
	return
}

func (s *Server) deckUserJSON(uid string) map[string]any {
	name := uid
	if u := s.users[uid]; u != nil {
		name = u.DisplayName
	}
	return map[string]any{"primaryKey": uid, "uid": uid, "displayname": name, "type": 0}
}

func (s *Server) deckACLJSON(b *deckBoard, a *DeckShare) map[string]any {
	p := s.deckUserJSON(a.With)
	typ := 0
	if a.Group {
		typ = 1
		p = map[string]any{"primaryKey": a.With, "uid": a.With, "displayname": a.With, "type": 1}
	}
	return map[string]any{"id": a.ID, "participant": p, "type": typ, "boardId": b.ID,
		"permissionEdit": a.Edit, "permissionShare": a.Share, "permissionManage": a.Manage, "owner": false}
}

func etag(parts ...any) string {
	sum := md5.Sum([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(sum[:])
}

// deckBoardView says which form of a board an answer carries: the listing
// (426), one board (438), a new board (421) or the hand-over's answer (432).
type deckBoardView int

const (
	viewListed deckBoardView = iota
	viewOne
	viewCreated
	viewTransferred
)

func (s *Server) deckBoardJSON(b *deckBoard, uid string, view deckBoardView) map[string]any {
	read, edit, share, manage := s.deckAccessLocked(b, uid)
	out := map[string]any{"id": b.ID, "title": b.Title, "owner": s.deckUserJSON(b.Owner), "color": b.Color, "archived": false,
		"labels": []any{}, "acl": []any{}, "permissions": map[string]any{"PERMISSION_READ": read, "PERMISSION_EDIT": edit,
			"PERMISSION_MANAGE": manage, "PERMISSION_SHARE": share},
		"users": []any{}, "stacks": []any{}, "activeSessions": []any{}, "deletedAt": 0, "lastModified": b.modified,
		"settings": []any{}, "ETag": etag(b.ID, b.modified)}
	acl := []any{}
	for _, a := range b.acl {
		acl = append(acl, s.deckACLJSON(b, a))
	}
	labels := func(created bool) []any {
		out := []any{}
		for _, l := range b.labels {
			lm := any(0)
			if created {
				lm = nil
			}
			out = append(out, map[string]any{"id": l.id, "title": l.title, "color": l.color, "boardId": b.ID, "cardId": nil,
				"lastModified": lm, "ETag": etag(l.id)})
		}
		return out
	}
	switch view {
	case viewListed:
		out["acl"] = acl
		shared := 0
		if b.Owner != uid {
			shared = 1
		}
		out["shared"] = shared
	case viewOne:
		out["acl"], out["labels"] = acl, labels(false)
		users := []any{s.deckUserJSON(b.Owner)}
		for _, a := range b.acl {
			if !a.Group {
				users = append(users, s.deckUserJSON(a.With))
			}
		}
		out["users"] = users
		stacks := []any{}
		for _, st := range b.stacks {
			stacks = append(stacks, deckStackJSON(b, st))
		}
		out["stacks"] = stacks
		out["settings"] = map[string]any{"notify-due": "assigned", "calendar": true}
	case viewCreated:
		out["labels"], out["lastModified"] = labels(true), 0
	case viewTransferred:
		out["owner"], out["permissions"] = b.Owner, []any{}
	}
	return out
}

func deckStackJSON(b *deckBoard, st *deckStack) map[string]any {
	return map[string]any{"id": st.id, "title": st.title, "boardId": b.ID, "deletedAt": 0, "lastModified": st.modified,
		"order": st.order, "ETag": etag(st.id, st.modified)}
}

func (s *Server) deckCardJSON(st *deckStack, c *deckCard) map[string]any {
	assigned := []any{}
	for _, uid := range c.assigned {
		assigned = append(assigned, map[string]any{"participant": s.deckUserJSON(uid), "cardId": c.id, "type": 0})
	}
	return map[string]any{"id": c.id, "title": c.title, "description": c.description, "stackId": st.id, "type": "plain",
		"lastModified": c.modified, "lastEditor": nil, "createdAt": c.created, "labels": []any{}, "assignedUsers": assigned,
		"attachments": nil, "attachmentCount": 0, "owner": s.deckUserJSON(c.owner), "order": c.order, "archived": false,
		"done": nil, "duedate": nil, "deletedAt": 0, "commentsUnread": 0, "commentsCount": 0, "ETag": etag(c.id, c.modified),
		"overdue": 0, "referenceData": nil}
}

// deckReply writes a Deck JSON answer with the headers Nextcloud puts on
// app routes (426).
func deckReply(w http.ResponseWriter, uid string, status int, v any) {
	h := w.Header()
	sessionCookie(w)
	h.Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';frame-ancestors 'none'")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Content-Type", "application/json; charset=utf-8")
	if uid != "" {
		h.Set("X-User-Id", uid)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// serveDeck serves /index.php/apps/deck/… for AppAPI callers and signed-in
// browsers.
func (s *Server) serveDeck(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	on := s.deckLocked().on
	s.mu.Unlock()
	if !on {
		notFoundPage(w)
		return
	}
	who, present, ok := s.appAPIAuth(r)
	if !present {
		if u, bok := s.browserAuth(r); bok {
			who, ok = caller{user: u}, true
		}
	}
	s.mu.Lock()
	u := s.users[who.user]
	s.mu.Unlock()
	if !ok || u == nil || !u.Enabled {
		// Deck's routes as a disabled account are not captured: refused as
		// OCS refuses them (314).
		deckReply(w, "", http.StatusUnauthorized, map[string]any{"message": "Current user is not logged in"})
		return
	}
	uid := who.user
	p := strings.TrimPrefix(r.URL.Path, "/index.php/apps/deck")
	body := readBody(r)
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) == 3 && parts[0] == "boards" && parts[2] == "transferOwner" && r.Method == http.MethodPut {
		s.deckTransferOwner(w, r, uid, parts[1], body)
		return
	}
	if len(parts) < 3 || parts[0] != "api" || parts[2] != "boards" {
		notFoundPage(w)
		return
	}
	parts = parts[3:]
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deckLocked()
	if len(parts) == 0 {
		switch r.Method {
		case http.MethodGet:
			if !d.firstRun[uid] {
				d.firstRun[uid] = true
				s.welcomeBoardLocked(uid)
			}
			// Owned boards first, then those shared with the caller (427).
			list, shared := []any{}, []any{}
			for _, id := range sortedBoardIDs(d) {
				b := d.boards[id]
				if b.Owner == uid {
					list = append(list, s.deckBoardJSON(b, uid, viewListed))
				} else if read, _, _, _ := s.deckAccessLocked(b, uid); read {
					shared = append(shared, s.deckBoardJSON(b, uid, viewListed))
				}
			}
			list = append(list, shared...)
			w.Header().Set("ETag", `"`+etag(list...)+`"`)
			deckReply(w, uid, http.StatusOK, list)
		case http.MethodPost:
			color, _ := body["color"].(string)
			title, _ := body["title"].(string)
			if title == "" {
				deckError(w, uid, http.StatusBadRequest, "title must be provided")
				return
			}
			b := s.newBoardLocked(title, uid, color)
			deckReply(w, uid, http.StatusOK, s.deckBoardJSON(b, uid, viewCreated))
		default:
			deckError(w, uid, http.StatusMethodNotAllowed, "Method not allowed")
		}
		return
	}
	id, _ := strconv.Atoi(parts[0])
	b := d.boards[id]
	if b == nil {
		// Not captured: Deck's API answers a missing board with its
		// StatusException body.
		deckError(w, uid, http.StatusNotFound, "Board not found")
		return
	}
	read, edit, _, manage := s.deckAccessLocked(b, uid)
	if !read {
		deckError(w, uid, http.StatusForbidden, "Permission denied") // assumed, not captured
		return
	}
	rest := parts[1:]
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		j := s.deckBoardJSON(b, uid, viewOne)
		w.Header().Set("ETag", `"`+j["ETag"].(string)+`"`)
		deckReply(w, uid, http.StatusOK, j)
	case len(rest) == 1 && rest[0] == "stacks" && r.Method == http.MethodGet:
		list := []any{}
		for _, st := range b.stacks {
			j := deckStackJSON(b, st)
			cards := []any{}
			for _, c := range st.cards {
				cards = append(cards, s.deckCardJSON(st, c))
			}
			j["cards"] = cards
			list = append(list, j)
		}
		deckReply(w, uid, http.StatusOK, list)
	case len(rest) == 1 && rest[0] == "stacks" && r.Method == http.MethodPost:
		if !edit {
			deckError(w, uid, http.StatusForbidden, "Permission denied")
			return
		}
		title, _ := body["title"].(string)
		order, _ := body["order"].(float64)
		st := s.newStackLocked(b, title, int(order))
		st.modified = 0 // as 422 answers
		j := deckStackJSON(b, st)
		st.modified = s.now().Unix()
		deckReply(w, uid, http.StatusOK, j)
	case len(rest) == 3 && rest[0] == "stacks" && rest[2] == "cards" && r.Method == http.MethodPost:
		sid, _ := strconv.Atoi(rest[1])
		var st *deckStack
		for _, x := range b.stacks {
			if x.id == sid {
				st = x
			}
		}
		if st == nil || !edit {
			deckError(w, uid, http.StatusForbidden, "Permission denied")
			return
		}
		title, _ := body["title"].(string)
		desc, _ := body["description"].(string)
		c := s.newCardLocked(st, title, desc, uid)
		b.modified = c.created
		deckReply(w, uid, http.StatusOK, s.deckCardJSON(st, c))
	case len(rest) == 1 && rest[0] == "acl" && r.Method == http.MethodPost:
		if !manage && b.Owner != uid {
			_, _, share, _ := s.deckAccessLocked(b, uid)
			if !share {
				deckError(w, uid, http.StatusForbidden, "Permission denied")
				return
			}
		}
		typ, _ := body["type"].(float64)
		with, _ := body["participant"].(string)
		flag := func(k string) bool { v, _ := body[k].(bool); return v }
		d.lastACL++
		a := &DeckShare{ID: d.lastACL, With: with, Group: typ == 1, Edit: flag("permissionEdit"), Share: flag("permissionShare"), Manage: flag("permissionManage")}
		b.acl = append(b.acl, a)
		deckReply(w, uid, http.StatusOK, s.deckACLJSON(b, a))
	case len(rest) == 2 && rest[0] == "acl" && r.Method == http.MethodDelete:
		// Removing a share is not captured (assumed from Deck's
		// AclApiController: 200 with the removed entry, manage right needed).
		if !manage {
			deckError(w, uid, http.StatusForbidden, "Permission denied")
			return
		}
		aid, _ := strconv.Atoi(rest[1])
		for i, a := range b.acl {
			if a.ID == aid {
				j := s.deckACLJSON(b, a)
				b.acl = append(b.acl[:i], b.acl[i+1:]...)
				deckReply(w, uid, http.StatusOK, j)
				return
			}
		}
		deckError(w, uid, http.StatusNotFound, "Acl not found")
	default:
		notFoundPage(w)
	}
}

// deckError is Deck's StatusException answer (not captured: assumed).
func deckError(w http.ResponseWriter, uid string, status int, message string) {
	deckReply(w, uid, status, map[string]any{"status": status, "message": message})
}

// deckTransferOwner is BoardController::transferOwner behind Nextcloud's
// CSRF check: 412 without OCS-APIRequest: true (428, 429, 431; a valid
// request token with the session cookies also passes on the real server,
// 432, which the fake does not model), 401 [] when the caller does not own
// the board (434), else the board moves: the previous owner joins its
// sharing with every right, the new owner's own share entry goes, other
// shares and the cards' authors stay (432–439).
func (s *Server) deckTransferOwner(w http.ResponseWriter, r *http.Request, uid, rawID string, body map[string]any) {
	if r.Header.Get("OCS-APIRequest") != "true" {
		deckReply(w, uid, http.StatusPreconditionFailed, map[string]any{"message": "CSRF check failed"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deckLocked()
	id, _ := strconv.Atoi(rawID)
	b := d.boards[id]
	newOwner, _ := body["newOwner"].(string)
	if b == nil || b.Owner != uid {
		deckReply(w, uid, http.StatusUnauthorized, []any{})
		return
	}
	prev := b.Owner
	kept := b.acl[:0]
	for _, a := range b.acl {
		if a.Group || a.With != newOwner {
			kept = append(kept, a)
		}
	}
	b.acl = kept
	has := false
	for _, a := range b.acl {
		if !a.Group && a.With == prev {
			has = true
		}
	}
	if !has {
		d.lastACL++
		b.acl = append(b.acl, &DeckShare{ID: d.lastACL, With: prev, Edit: true, Share: true, Manage: true})
	}
	b.Owner = newOwner
	b.modified = s.now().Unix()
	deckReply(w, uid, http.StatusOK, s.deckBoardJSON(b, newOwner, viewTransferred))
}
