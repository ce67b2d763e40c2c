// Package membersync keeps one Paheko member for each Nextcloud account, one
// way: Plan decides (a pure function of accounts, members, links and the
// admins' decisions), Apply acts, one member at a time, re-checking each
// member before writing. Members without an account are never touched.
//
// Identity rules: automatic runs only create members and update members
// already linked. Linking an account to a member that already exists (same
// e-mail, same name, or a nextcloud_uid left by someone else) is a proposal
// that an admin confirms once; a refused proposal gives the account a new
// member and is never proposed again. When an account is deleted, disabled
// or replaced by a new account with the same uid, its link is dropped, the
// member's nextcloud_uid is cleared in Paheko, and the member is never taken
// over again without an admin.
package membersync

import (
	"sort"
	"strings"

	"assokit/internal/paheko"
)

// Account is a Nextcloud account as the sync sees it. FirstLogin is its
// first sign-in (seconds since the epoch, 0: never), from Nextcloud's
// firstLoginTimestamp: a new account with a reused uid has another one.
type Account struct {
	UID        string
	Name       string
	Email      string
	Enabled    bool
	Groups     []string
	FirstLogin int64
}

// Link ties an account to the member AssoKit made or an admin linked, with
// the name, e-mail and first sign-in of the account last written or seen.
type Link struct {
	UID        string
	MemberID   int
	Name       string
	Email      string
	FirstLogin int64
}

// Pair names an account and a member, for the admins' decisions.
type Pair struct {
	UID      string
	MemberID int
}

// Input is everything Plan looks at.
type Input struct {
	Accounts  []Account
	Members   []paheko.Member
	Links     []Link
	Protected map[int]bool      // categories whose members Paheko's API refuses to change
	UseUID    bool              // Paheko has the nextcloud_uid field
	Category  int               // category of new members; 0: Paheko's default
	Notices   map[string]string // uid → code of the last notice reported
	Decisions map[Pair]string   // store.DecisionConfirmed or store.DecisionRefused
	Pending   map[string]bool   // uids whose member was asked of Paheko, not yet seen
	Released  map[int][]string  // member id → uids it was linked to before
}

// Kind is what an action does.
type Kind string

const (
	Create   Kind = "create"   // create a member for the account
	Adopt    Kind = "adopt"    // link a confirmed proposal, or the member a lost create made
	Update   Kind = "update"   // write changed name / e-mail to the linked member
	Unlink   Kind = "unlink"   // drop the link; clear the member's nextcloud_uid; the member stays
	Remember Kind = "remember" // record values Paheko already has; no write
)

// Action is one step of a plan.
type Action struct {
	Kind       Kind              `json:"kind"`
	UID        string            `json:"uid"`
	MemberID   int               `json:"memberId,omitempty"`
	Name       string            `json:"name,omitempty"`   // the account's name
	Email      string            `json:"email,omitempty"`  // the account's e-mail
	Fields     map[string]string `json:"fields,omitempty"` // Paheko fields to write (create, adopt, update)
	Before     map[string]string `json:"before,omitempty"` // an update: the member's values it replaces
	Force      bool              `json:"force,omitempty"`  // create despite a member with the same name
	ClearUID   bool              `json:"clearUid,omitempty"`
	Category   int               `json:"-"`
	FirstLogin int64             `json:"-"`
	// Expect is how Apply recognises the member before writing: its
	// nextcloud_uid, or else its e-mail (Paheko reuses deleted ids).
	ExpectUID, ExpectEmail string `json:"-"`
	Reason                 string `json:"reason,omitempty"`
}

// Proposal asks an admin whether an account is the person of an existing
// member: "Relier le compte de Name à la fiche n° Number, MemberName ?".
type Proposal struct {
	UID        string `json:"uid"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	MemberID   int    `json:"memberId"`
	Number     int    `json:"number"`
	MemberName string `json:"memberName"`
	Reason     string `json:"reason"` // same_email, same_uid, same_name
}

// Notice codes, shown to admins in words by the page.
const (
	NoticeDisabled       = "account_disabled"       // unlinked; the member stays
	NoticeDeleted        = "account_deleted"        // unlinked; the member stays
	NoticeReplaced       = "account_replaced"       // same uid, another account: unlinked
	NoticeUnverified     = "account_unverified"     // changed before its first sign-in: maybe another account, unlinked
	NoticeMemberGone     = "member_gone"            // linked member deleted in Paheko: created again
	NoticeIDReused       = "member_id_reused"       // linked id now holds someone else
	NoticeProtected      = "member_protected"       // admin member: its name and e-mail no longer follow
	NoticeProtectedEmail = "member_protected_email" // the e-mail of an admin member: cannot be linked
	NoticeProtectedUID   = "member_protected_uid"   // an admin member keeps a dropped nextcloud_uid
	NoticeEmailTaken     = "email_taken"            // e-mail of a member linked to another account
	NoticeEmailUsed      = "email_used"             // e-mail of a member not linked to this account
	NoticeEmailShared    = "email_shared"           // two accounts with one e-mail
	NoticeHomonym        = "homonym"                // a member with the same name exists: created anyway
	NoticeNoEmail        = "no_email"               // without nextcloud_uid, an account needs an e-mail
	NoticeFailed         = "failed"                 // Paheko refused the action (Apply)
)

// Notice is something an admin should know about one account.
type Notice struct {
	UID        string `json:"uid"`
	Name       string `json:"name,omitempty"` // the account's name
	MemberID   int    `json:"memberId,omitempty"`
	Number     int    `json:"number,omitempty"`
	MemberName string `json:"memberName,omitempty"`
	Code       string `json:"code"`
	Detail     string `json:"detail,omitempty"`
}

// Plan is the outcome of MakePlan. Every list is empty, never nil.
// Notices are new since the last run (each is reported once); Held lists,
// at every plan, the accounts held back by a member Paheko protects.
type Plan struct {
	Actions   []Action   `json:"actions"`
	Proposals []Proposal `json:"proposals"`
	Held      []Notice   `json:"held"`
	Notices   []Notice   `json:"notices"`
	Unchanged int        `json:"unchanged"`
	Waiting   int        `json:"waiting"` // accounts that need an admin: proposals and held accounts
}

// planner holds what MakePlan indexes once.
type planner struct {
	in           Input
	p            Plan
	members      map[int]paheko.Member
	byEmail      map[string]paheko.Member
	byUID        map[string][]paheko.Member
	byName       map[string][]paheko.Member
	linkedMember map[int]string  // member id → uid
	releasedNow  map[int]bool    // members whose link this plan drops
	plannedNames map[string]bool // names of members this plan creates
}

// MakePlan decides what to do so that every enabled account has a member
// with its name and e-mail. It never plans a change to a member that has no
// account, never plans a deletion, never links an account to an existing
// member without an admin's confirmation, and reports each notice once.
func MakePlan(in Input) Plan {
	pl := &planner{in: in, members: map[int]paheko.Member{}, byEmail: map[string]paheko.Member{},
		byUID: map[string][]paheko.Member{}, byName: map[string][]paheko.Member{}, linkedMember: map[int]string{},
		releasedNow: map[int]bool{}, plannedNames: map[string]bool{}}
	pl.p = Plan{Actions: []Action{}, Proposals: []Proposal{}, Held: []Notice{}, Notices: []Notice{}}
	for _, m := range in.Members {
		pl.members[m.ID] = m
		if m.Email != "" {
			pl.byEmail[fold(m.Email)] = m
		}
		if m.UID != "" {
			pl.byUID[m.UID] = append(pl.byUID[m.UID], m)
		}
		pl.byName[fold(m.Name)] = append(pl.byName[fold(m.Name)], m)
	}
	links := map[string]Link{}
	for _, l := range in.Links {
		links[l.UID] = l
		pl.linkedMember[l.MemberID] = l.UID
	}
	accounts := append([]Account(nil), in.Accounts...)
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].UID < accounts[j].UID })
	seen := map[string]bool{}
	claimedEmail := map[string]string{} // e-mail → uid, within this plan

	for _, a := range accounts {
		seen[a.UID] = true
		a.Name = accountName(a)
		l, linked := links[a.UID]
		if !a.Enabled {
			if linked {
				pl.unlink(l, a.Name, NoticeDisabled, true)
			}
			continue
		}
		if a.Email != "" {
			if other, taken := claimedEmail[fold(a.Email)]; taken && other != a.UID {
				pl.notice(Notice{UID: a.UID, Name: a.Name, Code: NoticeEmailShared, Detail: other})
				a.Email = ""
			} else {
				claimedEmail[fold(a.Email)] = a.UID
			}
		}
		if linked {
			m, exists := pl.members[l.MemberID]
			switch {
			case !exists:
				pl.unlink(l, a.Name, NoticeMemberGone, false)
			case !sameIdentity(m, l, a, in.UseUID):
				pl.unlink(l, a.Name, NoticeIDReused, false)
			case !SameAccount(l, a):
				reason := NoticeReplaced
				if l.FirstLogin == 0 {
					reason = NoticeUnverified
				}
				pl.unlink(l, a.Name, reason, true)
			default:
				pl.planLinked(a, l, m)
				continue
			}
		}
		pl.planUnlinked(a)
	}

	// Links of accounts that no longer exist.
	var gone []Link
	for _, l := range in.Links {
		if !seen[l.UID] {
			gone = append(gone, l)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].UID < gone[j].UID })
	for _, l := range gone {
		pl.unlink(l, l.Name, NoticeDeleted, true)
	}
	return pl.p
}

// notice reports n unless it is the last notice reported for its account.
func (pl *planner) notice(n Notice) {
	if pl.in.Notices[n.UID] != n.Code {
		pl.p.Notices = append(pl.p.Notices, n)
	}
}

// hold records an account held back until something changes in Paheko:
// listed in Held at every plan, reported once, counted as waiting.
func (pl *planner) hold(n Notice) {
	pl.p.Held = append(pl.p.Held, n)
	pl.notice(n)
	pl.p.Waiting++
}

// withMember fills a notice's member fields.
func withMember(n Notice, m paheko.Member) Notice {
	n.MemberID, n.Number, n.MemberName = m.ID, m.Number, m.Name
	return n
}

// unlink drops link l (reported always: it happens once). clear asks Apply
// to clear the member's nextcloud_uid when it still names the account.
func (pl *planner) unlink(l Link, name, reason string, clear bool) {
	pl.p.Actions = append(pl.p.Actions, Action{Kind: Unlink, UID: l.UID, MemberID: l.MemberID, Name: name,
		ClearUID: clear && pl.in.UseUID, ExpectUID: l.UID, Reason: reason})
	n := Notice{UID: l.UID, Name: name, MemberID: l.MemberID, Code: reason}
	if m, ok := pl.members[l.MemberID]; ok && reason != NoticeIDReused {
		n = withMember(n, m)
	}
	pl.p.Notices = append(pl.p.Notices, n)
	delete(pl.linkedMember, l.MemberID)
	pl.releasedNow[l.MemberID] = true
}

// SameAccount reports whether account a is still the account link l was
// made for. Nextcloud gives a deleted account's uid to whoever is created
// next with it; only firstLoginTimestamp tells two accounts apart, and only
// once the former one had signed in. Before that, a name or an e-mail
// other than the one recorded (which only an admin can change, or a new
// account bring) is taken as another account: a member is never handed to
// someone who may not be its person. a.Name is the display name, or the
// uid when it has none (accountName); an empty e-mail on either side is
// not compared.
func SameAccount(l Link, a Account) bool {
	if l.FirstLogin != 0 {
		return a.FirstLogin == l.FirstLogin
	}
	if accountName(a) != l.Name {
		return false
	}
	return a.Email == "" || l.Email == "" || fold(a.Email) == fold(l.Email)
}

// accountName is the name AssoKit gives account a's member: its display
// name, or its uid when it has none.
func accountName(a Account) string {
	if a.Name == "" {
		return a.UID
	}
	return a.Name
}

// sameIdentity reports whether member m is still the one linked: its
// nextcloud_uid, or its e-mail when the field is not there or not set yet.
func sameIdentity(m paheko.Member, l Link, a Account, useUID bool) bool {
	if useUID && m.UID != "" {
		return m.UID == a.UID
	}
	return m.Email != "" && (fold(m.Email) == fold(l.Email) || fold(m.Email) == fold(a.Email))
}

// planLinked plans the update of a linked member: only what changed in
// Nextcloud since the last sync is written, so edits made in Paheko stay.
func (pl *planner) planLinked(a Account, l Link, m paheko.Member) {
	in := pl.in
	fields := map[string]string{}
	if a.Name != l.Name && a.Name != m.Name {
		fields["nom"] = a.Name
	}
	if a.Email != "" && fold(a.Email) != fold(l.Email) && a.Email != m.Email {
		if other, taken := pl.byEmail[fold(a.Email)]; taken && other.ID != m.ID {
			pl.notice(withMember(Notice{UID: a.UID, Name: a.Name, Code: pl.emailHolderCode(other, a.UID)}, other))
			a.Email = l.Email // not written: tried again at the next run
		} else {
			fields["email"] = a.Email
		}
	}
	if in.UseUID && m.UID == "" {
		fields["nextcloud_uid"] = a.UID
	}
	act := Action{UID: a.UID, MemberID: m.ID, Name: a.Name, Email: a.Email, ExpectUID: m.UID, ExpectEmail: m.Email,
		FirstLogin: a.FirstLogin}
	switch {
	case len(fields) > 0 && in.Protected[m.CategoryID]:
		// Paheko refuses: say it once, never count it as done.
		pl.hold(withMember(Notice{UID: a.UID, Name: a.Name, Code: NoticeProtected}, m))
		if l.FirstLogin != a.FirstLogin {
			act.Kind, act.Name, act.Email = Remember, l.Name, l.Email
			pl.p.Actions = append(pl.p.Actions, act)
		}
	case len(fields) > 0:
		act.Kind, act.Fields = Update, fields
		act.Before = map[string]string{}
		for k := range fields {
			act.Before[k] = map[string]string{"nom": m.Name, "email": m.Email, "nextcloud_uid": m.UID}[k]
		}
		pl.p.Actions = append(pl.p.Actions, act)
	case a.Name != l.Name || (a.Email != "" && a.Email != l.Email) || a.FirstLogin != l.FirstLogin:
		act.Kind = Remember // Paheko already has these values
		pl.p.Actions = append(pl.p.Actions, act)
	default:
		pl.p.Unchanged++
	}
}

// planUnlinked decides for an account without a link: adopt the member an
// admin confirmed (or that a create lost on the way made), propose a member
// that may be the same person, or create a new member.
func (pl *planner) planUnlinked(a Account) {
	in := pl.in
	act := Action{UID: a.UID, Name: a.Name, Email: a.Email, FirstLogin: a.FirstLogin}

	if m, ok := pl.confirmed(a.UID); ok {
		if in.UseUID && m.UID != a.UID && in.Protected[m.CategoryID] {
			pl.hold(withMember(Notice{UID: a.UID, Name: a.Name, Code: NoticeProtectedEmail}, m))
			return
		}
		act.Kind, act.MemberID, act.Reason = Adopt, m.ID, "confirmed"
		act.ExpectUID, act.ExpectEmail = m.UID, m.Email
		if in.UseUID && m.UID != a.UID {
			act.Fields = map[string]string{"nextcloud_uid": a.UID}
		}
		pl.linkedMember[m.ID] = a.UID
		pl.p.Actions = append(pl.p.Actions, act)
		return
	}
	if in.Pending[a.UID] {
		// A create whose answer was lost: the member carries the account's
		// uid (or its e-mail without the field). Take it, never a released one.
		candidates := pl.byUID[a.UID]
		if m, ok := pl.byEmail[fold(a.Email)]; ok && !in.UseUID {
			candidates = []paheko.Member{m}
		}
		for _, m := range candidates {
			if pl.free(m, a.UID) && !pl.released(m.ID, a.UID) {
				act.Kind, act.MemberID, act.Reason = Adopt, m.ID, "resumed"
				act.ExpectUID, act.ExpectEmail = m.UID, m.Email
				pl.linkedMember[m.ID] = a.UID
				pl.p.Actions = append(pl.p.Actions, act)
				return
			}
		}
	}

	// A member that may be this person: an admin decides.
	propose := func(m paheko.Member, reason string) {
		pl.p.Proposals = append(pl.p.Proposals, Proposal{UID: a.UID, Name: a.Name, Email: a.Email,
			MemberID: m.ID, Number: m.Number, MemberName: m.Name, Reason: reason})
		pl.p.Waiting++
	}
	for _, m := range pl.byUID[a.UID] {
		if in.UseUID && pl.free(m, a.UID) && !pl.releasedNow[m.ID] && !pl.refused(a.UID, m.ID) {
			propose(m, "same_uid")
			return
		}
	}
	var emailHolder *paheko.Member
	if a.Email != "" {
		if m, ok := pl.byEmail[fold(a.Email)]; ok {
			switch {
			case !pl.free(m, a.UID):
				pl.notice(withMember(Notice{UID: a.UID, Name: a.Name, Code: pl.emailHolderCode(m, a.UID)}, m))
				emailHolder = &m
			case pl.refused(a.UID, m.ID):
				pl.notice(withMember(Notice{UID: a.UID, Name: a.Name, Code: NoticeEmailUsed}, m))
				emailHolder = &m
			case in.Protected[m.CategoryID]:
				pl.hold(withMember(Notice{UID: a.UID, Name: a.Name, Code: NoticeProtectedEmail}, m))
				return
			default:
				propose(m, "same_email")
				return
			}
		}
	}
	homonyms := pl.byName[fold(a.Name)]
	for _, m := range homonyms {
		if pl.free(m, a.UID) && !pl.refused(a.UID, m.ID) && !in.Protected[m.CategoryID] && !pl.releasedNow[m.ID] {
			propose(m, "same_name")
			return
		}
	}

	if emailHolder != nil {
		// Paheko refuses a taken e-mail (capture 06): the member is created without it.
		act.Email = ""
		if !in.UseUID {
			return // nothing else would tell this member apart
		}
	}
	if !in.UseUID && act.Email == "" {
		pl.notice(Notice{UID: a.UID, Name: a.Name, Code: NoticeNoEmail})
		return
	}
	act.Kind, act.Category = Create, in.Category
	act.Fields = map[string]string{"nom": a.Name}
	if act.Email != "" {
		act.Fields["email"] = act.Email
	}
	if in.UseUID {
		act.Fields["nextcloud_uid"] = a.UID
	}
	// Paheko answers 409 for a name it has (capture 05): force a homonym
	// that no free member bears, or one this plan creates (capture 58).
	if len(homonyms) > 0 || pl.plannedNames[fold(a.Name)] {
		act.Force = true
		if len(homonyms) > 0 {
			pl.notice(withMember(Notice{UID: a.UID, Name: a.Name, Code: NoticeHomonym}, homonyms[0]))
		}
	}
	pl.plannedNames[fold(a.Name)] = true
	pl.p.Actions = append(pl.p.Actions, act)
}

// confirmed returns the member an admin confirmed for uid, if it can still be linked.
func (pl *planner) confirmed(uid string) (paheko.Member, bool) {
	for pair, d := range pl.in.Decisions {
		if pair.UID != uid || d != "confirmed" {
			continue
		}
		if m, ok := pl.members[pair.MemberID]; ok && pl.free(m, uid) {
			return m, true
		}
	}
	return paheko.Member{}, false
}

// free reports whether member m is linked to no other account (in AssoKit
// or by a nextcloud_uid naming another account).
func (pl *planner) free(m paheko.Member, uid string) bool {
	if owner, ok := pl.linkedMember[m.ID]; ok && owner != uid {
		return false
	}
	return !pl.in.UseUID || m.UID == "" || m.UID == uid || pl.releasedNow[m.ID]
}

// emailHolderCode says how member m, which has the e-mail account uid wants,
// stands: linked to another account (email_taken), or not this account's
// (email_used: a refused proposal, a nextcloud_uid left by a former account).
func (pl *planner) emailHolderCode(m paheko.Member, uid string) string {
	if owner, ok := pl.linkedMember[m.ID]; ok && owner != uid {
		return NoticeEmailTaken
	}
	return NoticeEmailUsed
}

func (pl *planner) refused(uid string, memberID int) bool {
	return pl.in.Decisions[Pair{uid, memberID}] == "refused"
}

func (pl *planner) released(memberID int, uid string) bool {
	for _, u := range pl.in.Released[memberID] {
		if u == uid {
			return true
		}
	}
	return pl.releasedNow[memberID]
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
