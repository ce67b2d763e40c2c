package nextcloudtest

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Talk (spreed 22), as captured through AppAPI in
// shared/fixtures/nextcloud-32-talk: conversations below
// /ocs/v2.php/apps/spreed/api/v4/room, visible to their participants only
// (404 to anyone else, the admin included: 516–519); the rooms Talk creates
// on a user's first listing (503); participants added by a moderator (501),
// promoted by attendee id (509); leaving refused to the last moderator while
// other users remain (400 last-moderator, 506) and a conversation deleted
// when its last user leaves (526–529).

// Conversation types and participant types (Talk's docs/constants.md).
const (
	TalkOneToOne   = 1
	TalkGroup      = 2
	TalkPublic     = 3
	TalkChangelog  = 4
	TalkNoteToSelf = 6

	TalkOwner     = 1
	TalkModerator = 2
	TalkUser      = 3
)

// TalkRoom is a conversation of the fake Talk.
type TalkRoom struct {
	Token        string
	Type         int
	Name         string
	ObjectType   string // "sample", "note_to_self" or ""
	Participants []TalkParticipant
}

// TalkParticipant is a user in a conversation; Type is its participantType.
type TalkParticipant struct {
	UID        string
	Type       int
	AttendeeID int
}

type talkState struct {
	on           bool
	rooms        map[string]*talkRoom
	listed       map[string]bool // users whose first listing already happened
	lastRoom     int
	lastAttendee int // attendee ids are global across rooms (508)
	lastMessage  int
}

type talkRoom struct {
	id                                      int
	token                                   string
	typ                                     int
	name, objectType, objectID, description string
	attendees                               []*talkAttendee
	invite                                  string // one-to-one: the other user, added at the first message (520–524)
	last                                    talkMessage
	activity                                int64
}

type talkAttendee struct {
	id    int
	uid   string
	ptype int
}

type talkMessage struct {
	id                 int
	actorType, actorID string
	text, system       string
	params             map[string]any // nil for a plain comment
	at                 int64
}

// EnableTalk installs (true) or removes (false) Talk: capabilities carry
// "spreed" only while it is enabled (450–451), and its OCS routes answer
// 404 otherwise.
func (s *Server) EnableTalk(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.talkLocked().on = on
}

func (s *Server) talkLocked() *talkState {
	if s.talk == nil {
		s.talk = &talkState{rooms: map[string]*talkRoom{}, listed: map[string]bool{}}
	}
	return s.talk
}

// AddConversation creates a conversation with its participants (the first
// one created it) and returns its token.
func (s *Server) AddConversation(c TalkRoom) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Type == 0 {
		c.Type = TalkGroup
	}
	creator := ""
	if len(c.Participants) > 0 {
		creator = c.Participants[0].UID
	}
	r := s.newRoomLocked(c.Type, c.Name, creator)
	r.objectType = c.ObjectType
	for _, p := range c.Participants {
		s.addAttendeeLocked(r, p.UID, p.Type)
	}
	return r.token
}

// Conversations returns the conversations that exist, by id, with their
// participants.
func (s *Server) Conversations() []TalkRoom {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rooms []*talkRoom
	for _, r := range s.talkLocked().rooms {
		rooms = append(rooms, r)
	}
	sort.Slice(rooms, func(i, j int) bool { return rooms[i].id < rooms[j].id })
	var out []TalkRoom
	for _, r := range rooms {
		c := TalkRoom{Token: r.token, Type: r.typ, Name: r.name, ObjectType: r.objectType}
		for _, a := range r.attendees {
			c.Participants = append(c.Participants, TalkParticipant{UID: a.uid, Type: a.ptype, AttendeeID: a.id})
		}
		out = append(out, c)
	}
	return out
}

const tokenChars = "abcdefghijkmnopqrstuvwxyz0123456789"

func (s *Server) newRoomLocked(typ int, name, creator string) *talkRoom {
	t := s.talkLocked()
	t.lastRoom++
	b := make([]byte, 8)
	for {
		rand.Read(b)
		for i := range b {
			b[i] = tokenChars[int(b[i])%len(tokenChars)]
		}
		if t.rooms[string(b)] == nil {
			break
		}
	}
	r := &talkRoom{id: t.lastRoom, token: string(b), typ: typ, name: name, activity: s.now().Unix()}
	t.rooms[r.token] = r
	if creator != "" {
		s.systemMessageLocked(r, creator, "conversation_created", "")
	}
	return r
}

func (s *Server) addAttendeeLocked(r *talkRoom, uid string, ptype int) *talkAttendee {
	t := s.talkLocked()
	t.lastAttendee++
	a := &talkAttendee{id: t.lastAttendee, uid: uid, ptype: ptype}
	r.attendees = append(r.attendees, a)
	return a
}

func (s *Server) systemMessageLocked(r *talkRoom, actor, system, user string) {
	t := s.talkLocked()
	t.lastMessage++
	params := map[string]any{"actor": s.talkActorJSON(actor)}
	if user != "" {
		params["user"] = s.talkActorJSON(user)
	}
	text := map[string]string{"conversation_created": "{actor} created the conversation", "user_added": "{actor} added {user}",
		"user_removed": "{actor} removed {user}", "moderator_promoted": "{actor} promoted {user} to moderator"}[system]
	r.last = talkMessage{id: t.lastMessage, actorType: "users", actorID: actor, text: text, system: system, params: params, at: s.now().Unix()}
	r.activity = r.last.at
}

func (s *Server) talkActorJSON(uid string) map[string]any {
	return map[string]any{"type": "user", "id": uid, "name": s.displayNameLocked(uid), "mention-id": uid}
}

func (s *Server) displayNameLocked(uid string) string {
	if u := s.users[uid]; u != nil {
		return u.DisplayName
	}
	return uid
}

// firstListingLocked creates what Talk gives a user on their first listing
// (503): the changelog conversation (type 4, a plain user in it), the note
// to self (type 6) and the sample conversation (type 2, objectType sample),
// named in the user's language.
func (s *Server) firstListingLocked(uid string) {
	fr := s.users[uid] != nil && s.users[uid].Language == "fr"
	changelog, note := "Talk updates ✅", "Note to self"
	if fr {
		changelog, note = "Mises à jour de Talk ✅", "Note à soi-même"
	}
	r := s.newRoomLocked(TalkChangelog, uid, "")
	r.description = changelog // shown as displayName
	s.addAttendeeLocked(r, uid, TalkUser)
	r.last = talkMessage{id: s.nextMessageLocked(), actorType: "bots", actorID: "changelog", text: "## New in Talk", at: s.now().Unix()}
	r = s.newRoomLocked(TalkNoteToSelf, note, "")
	r.objectType, r.objectID = "note_to_self", uid
	s.addAttendeeLocked(r, uid, TalkOwner)
	s.systemMessageLocked(r, uid, "conversation_created", "")
	r = s.newRoomLocked(TalkGroup, "Let's get started!", "")
	r.objectType, r.objectID = "sample", uid
	s.addAttendeeLocked(r, uid, TalkOwner)
	r.last = talkMessage{id: s.nextMessageLocked(), actorType: "bots", actorID: "sample", text: "## Manage conversation settings", at: s.now().Unix()}
}

func (s *Server) nextMessageLocked() int {
	t := s.talkLocked()
	t.lastMessage++
	return t.lastMessage
}

func (r *talkRoom) attendee(uid string) *talkAttendee {
	for _, a := range r.attendees {
		if a.uid == uid {
			return a
		}
	}
	return nil
}

func isModerator(ptype int) bool { return ptype == TalkOwner || ptype == TalkModerator }

func (s *Server) roomJSON(r *talkRoom, a *talkAttendee) map[string]any {
	perms, mod := 246, isModerator(a.ptype)
	if mod {
		perms = 254
	}
	name, display, notify := r.name, r.name, 2
	switch r.typ {
	case TalkOneToOne:
		other := r.invite
		for _, x := range r.attendees {
			if x.uid != a.uid {
				other = x.uid
			}
		}
		if other == a.uid {
			other = r.invite
		}
		name, display, notify = other, s.displayNameLocked(other), 1
	case TalkChangelog:
		display = r.description
	}
	description := ""
	if r.typ != TalkChangelog {
		description = r.description
	}
	params := any(r.last.params)
	kind, replyable := "system", false
	if r.last.params == nil {
		params, kind, replyable = []any{}, "comment", true
	}
	actorName := s.displayNameLocked(r.last.actorID)
	last := map[string]any{"id": r.last.id, "token": r.token, "actorType": r.last.actorType, "actorId": r.last.actorID,
		"actorDisplayName": actorName, "timestamp": r.last.at, "message": r.last.text, "messageParameters": params,
		"systemMessage": r.last.system, "messageType": kind, "isReplyable": replyable, "referenceId": "",
		"reactions": map[string]any{}, "expirationTimestamp": 0, "markdown": kind == "comment"}
	readOnly := 0
	if r.typ == TalkChangelog {
		readOnly = 1
	}
	return map[string]any{"id": r.id, "token": r.token, "type": r.typ, "name": name, "displayName": display,
		"objectType": r.objectType, "objectId": r.objectID, "participantType": a.ptype, "participantFlags": 0,
		"readOnly": readOnly, "hasPassword": false, "hasCall": false, "callStartTime": 0, "callRecording": 0,
		"canStartCall": r.typ != TalkNoteToSelf, "lastActivity": r.activity, "lastReadMessage": r.last.id, "unreadMessages": 0,
		"unreadMention": false, "unreadMentionDirect": false, "isFavorite": r.typ == TalkNoteToSelf,
		"canLeaveConversation":  r.typ != TalkNoteToSelf,
		"canDeleteConversation": mod && r.typ != TalkOneToOne && r.typ != TalkChangelog,
		"notificationLevel":     notify, "notificationCalls": 1, "lobbyState": 0, "lobbyTimer": 0, "lastPing": 0,
		"sessionId": "0", "sipEnabled": 0, "actorType": "users", "actorId": a.uid, "attendeeId": a.id,
		"permissions": perms, "attendeePermissions": 0, "callPermissions": 0, "defaultPermissions": 0,
		"canEnableSIP": false, "attendeePin": "", "description": description, "lastCommonReadMessage": r.last.id,
		"listable": 0, "callFlag": 0, "messageExpiration": 0, "avatarVersion": etag(r.token)[:8],
		"isCustomAvatar": r.objectType != "", "breakoutRoomMode": 0, "breakoutRoomStatus": 0, "recordingConsent": 0,
		"mentionPermissions": 0, "isArchived": false, "isImportant": false, "lastMessage": last}
}

func (s *Server) participantJSON(r *talkRoom, a *talkAttendee) map[string]any {
	perms := 246
	if isModerator(a.ptype) {
		perms = 254
	}
	return map[string]any{"roomToken": r.token, "inCall": 0, "lastPing": 0, "sessionIds": []any{},
		"participantType": a.ptype, "attendeeId": a.id, "actorId": a.uid, "actorType": "users",
		"displayName": s.displayNameLocked(a.uid), "permissions": perms, "attendeePermissions": 0,
		"attendeePin": "", "phoneNumber": "", "callId": ""}
}

// serveTalk serves /ocs/v2.php/apps/spreed/… once Talk is enabled.
func (s *Server) serveTalk(o *ocsReq) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[o.who.user]; u == nil || !u.Enabled {
		o.reply(ocsUnauthorised, "Current user is not logged in", nil) // as any OCS route (314)
		return
	}
	uid := o.who.user
	t := s.talkLocked()
	m := o.r.Method
	if tok, ok := strings.CutPrefix(o.path, "/apps/spreed/api/v1/chat/"); ok && m == http.MethodPost {
		s.talkChat(o, t.rooms[tok])
		return
	}
	rest, ok := strings.CutPrefix(o.path, "/apps/spreed/api/v4/room")
	if !ok {
		o.reply(ocsNotFound, "", nil)
		return
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if parts[0] == "" {
		switch m {
		case http.MethodGet:
			if !t.listed[uid] {
				t.listed[uid] = true
				s.firstListingLocked(uid)
			}
			type seen struct {
				r *talkRoom
				a *talkAttendee
			}
			var list []seen
			for _, r := range t.rooms {
				if a := r.attendee(uid); a != nil {
					list = append(list, seen{r, a})
				}
			}
			sort.Slice(list, func(i, j int) bool { return list[i].a.id < list[j].a.id })
			data := []any{}
			for _, x := range list {
				data = append(data, s.roomJSON(x.r, x.a))
			}
			o.w.Header().Set("X-Nextcloud-Talk-Hash", etag(t.lastRoom, t.lastAttendee)+"01234567")
			o.w.Header().Set("X-Nextcloud-Talk-Modified-Before", strconv.FormatInt(s.now().Unix(), 10))
			o.ok(data)
		case http.MethodPost:
			s.talkCreate(o, uid)
		default:
			o.reply(http.StatusMethodNotAllowed, "", nil)
		}
		return
	}
	r := t.rooms[parts[0]]
	var me *talkAttendee
	if r != nil {
		me = r.attendee(uid)
	}
	if me == nil {
		o.reply(http.StatusNotFound, "", nil) // not a participant, or no such room (516, 518, 519, 521)
		return
	}
	switch {
	case len(parts) == 1 && m == http.MethodGet:
		o.ok(s.roomJSON(r, me))
	case len(parts) == 2 && parts[1] == "participants" && m == http.MethodGet:
		data := []any{}
		for _, a := range r.attendees {
			data = append(data, s.participantJSON(r, a))
		}
		o.ok(data)
	case len(parts) == 2 && parts[1] == "participants" && m == http.MethodPost:
		if !isModerator(me.ptype) || r.typ == TalkOneToOne {
			o.reply(http.StatusForbidden, "", nil)
			return
		}
		uidNew := o.str("newParticipant")
		if o.str("source") != "users" || s.users[uidNew] == nil {
			// Not captured: an unknown user is refused (404), other
			// sources are not faked.
			o.reply(http.StatusNotFound, "", nil)
			return
		}
		if r.attendee(uidNew) == nil { // already there: 200 [] all the same (assumed)
			s.addAttendeeLocked(r, uidNew, TalkUser)
			s.systemMessageLocked(r, uid, "user_added", uidNew)
		}
		o.ok([]any{})
	case len(parts) == 2 && parts[1] == "moderators" && m == http.MethodPost:
		s.talkPromote(o, r, me)
	case len(parts) == 3 && parts[1] == "participants" && parts[2] == "self" && m == http.MethodDelete:
		s.talkLeave(o, r, me)
	default:
		o.reply(ocsNotFound, "", nil)
	}
}

// talkCreate is POST …/room (500, 504, 526, 530): 201 with the room as its
// creator sees it. A one-to-one conversation holds only its creator until
// the first message (522–524).
func (s *Server) talkCreate(o *ocsReq, uid string) {
	typ, _ := o.num("roomType")
	switch typ {
	case TalkOneToOne:
		other := o.str("invite")
		if s.users[other] == nil || other == uid {
			o.reply(http.StatusNotFound, "", nil) // assumed, not captured
			return
		}
		r := s.newRoomLocked(TalkOneToOne, other, uid)
		r.invite = other
		a := s.addAttendeeLocked(r, uid, TalkOwner)
		o.reply(http.StatusCreated, "OK", s.roomJSON(r, a))
	case TalkGroup, TalkPublic:
		r := s.newRoomLocked(typ, o.str("roomName"), uid)
		a := s.addAttendeeLocked(r, uid, TalkOwner)
		o.reply(http.StatusCreated, "OK", s.roomJSON(r, a))
	default:
		o.reply(http.StatusBadRequest, "", map[string]any{"error": "type"}) // assumed
	}
}

// talkPromote is POST …/moderators {attendeeId} (509): 200 with data null.
// Not captured, from Talk's RoomController::changeParticipantType: an
// unknown attendee 404, the caller itself or an owner 403, someone who
// already moderates 400.
func (s *Server) talkPromote(o *ocsReq, r *talkRoom, me *talkAttendee) {
	if !isModerator(me.ptype) {
		o.reply(http.StatusForbidden, "", nil)
		return
	}
	id, _ := o.num("attendeeId")
	var target *talkAttendee
	for _, a := range r.attendees {
		if a.id == id {
			target = a
		}
	}
	switch {
	case target == nil:
		o.reply(http.StatusNotFound, "", nil)
	case target == me || target.ptype == TalkOwner:
		o.reply(http.StatusForbidden, "", nil)
	case target.ptype == TalkModerator:
		o.reply(http.StatusBadRequest, "", nil)
	default:
		target.ptype = TalkModerator
		s.systemMessageLocked(r, me.uid, "moderator_promoted", target.uid)
		o.reply(200, "OK", jsonNull)
	}
}

// talkLeave is DELETE …/participants/self: refused with 400
// {"error":"last-moderator"} to the only owner or moderator while other
// users remain (506); the conversation is deleted when its last user leaves
// (527–529); otherwise 200, data null, and nobody is promoted (511, 512).
func (s *Server) talkLeave(o *ocsReq, r *talkRoom, me *talkAttendee) {
	mods := 0
	for _, a := range r.attendees {
		if isModerator(a.ptype) {
			mods++
		}
	}
	if r.typ != TalkOneToOne && isModerator(me.ptype) && len(r.attendees) > 1 && mods == 1 {
		o.reply(http.StatusBadRequest, "", map[string]any{"error": "last-moderator"})
		return
	}
	kept := r.attendees[:0]
	for _, a := range r.attendees {
		if a != me {
			kept = append(kept, a)
		}
	}
	r.attendees = kept
	if len(r.attendees) == 0 {
		delete(s.talkLocked().rooms, r.token)
	} else {
		s.systemMessageLocked(r, me.uid, "user_removed", me.uid)
	}
	o.reply(200, "OK", jsonNull)
}

// talkChat is POST /apps/spreed/api/v1/chat/{token} (523): 201 with the
// message; the first message of a one-to-one conversation adds the other
// user, as an owner too (524).
func (s *Server) talkChat(o *ocsReq, r *talkRoom) {
	uid := o.who.user
	if r == nil || r.attendee(uid) == nil {
		o.reply(http.StatusNotFound, "", nil)
		return
	}
	if r.typ == TalkOneToOne && r.attendee(r.invite) == nil {
		s.addAttendeeLocked(r, r.invite, TalkOwner)
	}
	r.last = talkMessage{id: s.nextMessageLocked(), actorType: "users", actorID: uid, text: o.str("message"), at: s.now().Unix()}
	r.activity = r.last.at
	o.w.Header().Set("X-Chat-Last-Common-Read", strconv.Itoa(r.last.id))
	o.reply(http.StatusCreated, "OK", map[string]any{"id": r.last.id, "token": r.token, "actorType": "users", "actorId": uid,
		"actorDisplayName": s.displayNameLocked(uid), "timestamp": r.last.at, "message": r.last.text,
		"messageParameters": []any{}, "systemMessage": "", "messageType": "comment", "isReplyable": true, "referenceId": "",
		"reactions": map[string]any{}, "expirationTimestamp": 0, "markdown": true})
}

// appCapabilitiesLocked adds Deck's and Talk's capabilities when they are
// enabled (450; absent after occ app:disable, 451).
func (s *Server) appCapabilitiesLocked(caps map[string]any) {
	if s.deckLocked().on {
		caps["deck"] = map[string]any{"version": "1.16.7", "canCreateBoards": true, "apiVersions": []string{"1.0", "1.1"}}
	}
	if s.talkLocked().on {
		caps["spreed"] = map[string]any{"version": "22.0.0",
			"features":       []string{"audio", "video", "chat-v2", "conversation-v4", "note-to-self", "federation-v1"},
			"features-local": []string{"favorites", "note-to-self"},
			"config":         map[string]any{"chat": map[string]any{"max-length": 32000}}}
	}
}

// jsonNull is an OCS data of null (509, 511), where reply writes [] for nil.
var jsonNull = json.RawMessage("null")

func (s *Server) talkEnabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.talkLocked().on
}
