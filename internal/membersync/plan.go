// Package membersync keeps one Paheko member for each Nextcloud account, one
// way: Plan decides (a pure function of accounts, members and links), Apply
// acts, one action at a time, re-checking each member before writing.
// Members without an account are never touched.
package membersync

import (
	"sort"
	"strings"

	"assokit/internal/paheko"
)

// Account is a Nextcloud account as the sync sees it.
type Account struct {
	UID     string
	Name    string
	Email   string
	Enabled bool
	Groups  []string
}

// Link ties an account to the member AssoKit made or adopted for it, with
// the name and e-mail last written (or found) there, and the last notice
// reported for it (so that a notice is reported once).
type Link struct {
	UID      string
	MemberID int
	Name     string
	Email    string
	Notice   string
}

// Input is everything Plan looks at.
type Input struct {
	Accounts  []Account
	Members   []paheko.Member
	Links     []Link
	Protected map[int]bool // categories whose members Paheko's API refuses to change
	UseUID    bool         // Paheko has the nextcloud_uid field
	Category  int          // category of new members; 0: Paheko's default
}

// Kind is what an action does.
type Kind string

const (
	Create   Kind = "create"   // create a member for the account
	Adopt    Kind = "adopt"    // link an existing member (same e-mail or nextcloud_uid)
	Update   Kind = "update"   // write changed name / e-mail to the linked member
	Unlink   Kind = "unlink"   // forget the link; the member stays in Paheko
	Remember Kind = "remember" // record values Paheko already has; no write
)

// Action is one step of a plan.
type Action struct {
	Kind     Kind              `json:"kind"`
	UID      string            `json:"uid"`
	MemberID int               `json:"memberId,omitempty"`
	Name     string            `json:"name,omitempty"`   // the account's name
	Email    string            `json:"email,omitempty"`  // the account's e-mail
	Fields   map[string]string `json:"fields,omitempty"` // Paheko fields to write (create, adopt, update)
	Force    bool              `json:"force,omitempty"`  // create despite a member with the same name
	Category int               `json:"-"`
	// Expect is how Apply recognises the member before writing: its
	// nextcloud_uid, or else its e-mail (Paheko reuses deleted ids).
	ExpectUID, ExpectEmail string `json:"-"`
	Reason                 string `json:"reason,omitempty"`
}

// Notice codes, shown to admins in the report (translated by the page).
const (
	NoticeDisabled    = "account_disabled" // unlinked; the member stays
	NoticeDeleted     = "account_deleted"  // unlinked; the member stays
	NoticeMemberGone  = "member_gone"      // linked member deleted in Paheko: created again
	NoticeIDReused    = "member_id_reused" // linked id now holds someone else
	NoticeProtected   = "member_protected" // admin member: Paheko refuses changes
	NoticeEmailTaken  = "email_taken"      // e-mail used by a member linked to someone else
	NoticeEmailShared = "email_shared"     // two accounts with one e-mail
	NoticeHomonym     = "homonym"          // a member with the same name exists: created anyway
	NoticeNoEmail     = "no_email"         // without nextcloud_uid, an account needs an e-mail
	NoticeFailed      = "failed"           // Paheko refused the action (Apply)
)

// Notice is something an admin should know about one account.
type Notice struct {
	UID      string `json:"uid"`
	MemberID int    `json:"memberId,omitempty"`
	Code     string `json:"code"`
	Detail   string `json:"detail,omitempty"`
}

// Plan is the outcome of MakePlan.
type Plan struct {
	Actions   []Action `json:"actions"`
	Notices   []Notice `json:"notices"`
	Unchanged int      `json:"unchanged"`
}

// MakePlan decides what to do so that every enabled account has a member
// with its name and e-mail. It never plans a change to a member that has no
// account, never plans a deletion, and reports each notice once per link.
func MakePlan(in Input) Plan {
	var p Plan
	members := map[int]paheko.Member{}
	byEmail := map[string]paheko.Member{}
	byUID := map[string]paheko.Member{}
	names := map[string][]int{}
	for _, m := range in.Members {
		members[m.ID] = m
		if m.Email != "" {
			byEmail[fold(m.Email)] = m
		}
		if m.UID != "" {
			byUID[m.UID] = m
		}
		names[fold(m.Name)] = append(names[fold(m.Name)], m.ID)
	}
	links := map[string]Link{}
	linkedMember := map[int]string{}
	for _, l := range in.Links {
		links[l.UID] = l
		linkedMember[l.MemberID] = l.UID
	}
	accounts := append([]Account(nil), in.Accounts...)
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].UID < accounts[j].UID })
	seen := map[string]bool{}
	claimedEmail := map[string]string{} // e-mail → uid, within this plan
	notice := func(l Link, n Notice) {
		if l.Notice != n.Code {
			p.Notices = append(p.Notices, n)
		}
	}

	for _, a := range accounts {
		seen[a.UID] = true
		if a.Name == "" {
			a.Name = a.UID
		}
		l, linked := links[a.UID]
		if !a.Enabled {
			if linked {
				p.Actions = append(p.Actions, Action{Kind: Unlink, UID: a.UID, MemberID: l.MemberID, Reason: NoticeDisabled})
				p.Notices = append(p.Notices, Notice{UID: a.UID, MemberID: l.MemberID, Code: NoticeDisabled})
			}
			continue
		}
		if a.Email != "" {
			if other, taken := claimedEmail[fold(a.Email)]; taken && other != a.UID {
				notice(l, Notice{UID: a.UID, Code: NoticeEmailShared, Detail: other})
				a.Email = ""
			} else {
				claimedEmail[fold(a.Email)] = a.UID
			}
		}
		if linked {
			m, exists := members[l.MemberID]
			switch {
			case !exists:
				p.Actions = append(p.Actions, Action{Kind: Unlink, UID: a.UID, MemberID: l.MemberID, Reason: NoticeMemberGone})
				p.Notices = append(p.Notices, Notice{UID: a.UID, MemberID: l.MemberID, Code: NoticeMemberGone})
				delete(linkedMember, l.MemberID)
				linked = false
			case !sameIdentity(m, l, a, in.UseUID):
				p.Actions = append(p.Actions, Action{Kind: Unlink, UID: a.UID, MemberID: l.MemberID, Reason: NoticeIDReused})
				p.Notices = append(p.Notices, Notice{UID: a.UID, MemberID: l.MemberID, Code: NoticeIDReused})
				delete(linkedMember, l.MemberID)
				linked = false
			default:
				p.planLinked(a, l, m, in, byEmail, notice)
				continue
			}
			l = Link{}
		}
		p.planUnlinked(a, in, byUID, byEmail, names, linkedMember, notice, l)
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
		p.Actions = append(p.Actions, Action{Kind: Unlink, UID: l.UID, MemberID: l.MemberID, Reason: NoticeDeleted})
		p.Notices = append(p.Notices, Notice{UID: l.UID, MemberID: l.MemberID, Code: NoticeDeleted})
	}
	return p
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
func (p *Plan) planLinked(a Account, l Link, m paheko.Member, in Input, byEmail map[string]paheko.Member, notice func(Link, Notice)) {
	fields := map[string]string{}
	if a.Name != l.Name && a.Name != m.Name {
		fields["nom"] = a.Name
	}
	if a.Email != "" && fold(a.Email) != fold(l.Email) && a.Email != m.Email {
		if other, taken := byEmail[fold(a.Email)]; taken && other.ID != m.ID {
			notice(l, Notice{UID: a.UID, MemberID: other.ID, Code: NoticeEmailTaken})
			a.Email = l.Email // not written: tried again at the next run
		} else {
			fields["email"] = a.Email
		}
	}
	if in.UseUID && m.UID == "" {
		fields["nextcloud_uid"] = a.UID
	}
	act := Action{UID: a.UID, MemberID: m.ID, Name: a.Name, Email: a.Email, ExpectUID: m.UID, ExpectEmail: m.Email}
	switch {
	case len(fields) > 0 && in.Protected[m.CategoryID]:
		notice(l, Notice{UID: a.UID, MemberID: m.ID, Code: NoticeProtected})
		if l.Notice != NoticeProtected {
			act.Kind, act.Reason = Remember, NoticeProtected
			act.Name, act.Email = l.Name, l.Email
			p.Actions = append(p.Actions, act)
		} else {
			p.Unchanged++
		}
	case len(fields) > 0:
		act.Kind, act.Fields = Update, fields
		p.Actions = append(p.Actions, act)
	case a.Name != l.Name || (a.Email != "" && a.Email != l.Email):
		act.Kind = Remember // Paheko already has these values
		p.Actions = append(p.Actions, act)
	default:
		p.Unchanged++
	}
}

// planUnlinked finds the member of an account without a link: the one
// carrying its nextcloud_uid, else the one with its e-mail, else a new one.
// An adopted member keeps its Paheko name until the account's changes.
func (p *Plan) planUnlinked(a Account, in Input, byUID, byEmail map[string]paheko.Member, names map[string][]int,
	linkedMember map[int]string, notice func(Link, Notice), l Link) {
	act := Action{UID: a.UID, Name: a.Name, Email: a.Email}
	if m, ok := byUID[a.UID]; ok && in.UseUID {
		act.Kind, act.MemberID, act.ExpectUID, act.Reason = Adopt, m.ID, a.UID, "same_uid"
		p.Actions = append(p.Actions, act)
		return
	}
	if a.Email != "" {
		if m, ok := byEmail[fold(a.Email)]; ok {
			owner, isLinked := linkedMember[m.ID]
			switch {
			case (isLinked && owner != a.UID) || (in.UseUID && m.UID != "" && m.UID != a.UID):
				notice(l, Notice{UID: a.UID, MemberID: m.ID, Code: NoticeEmailTaken})
			default:
				act.Kind, act.MemberID, act.ExpectEmail, act.Reason = Adopt, m.ID, m.Email, "same_email"
				if in.UseUID && !in.Protected[m.CategoryID] {
					act.Fields = map[string]string{"nextcloud_uid": a.UID}
				}
				if in.Protected[m.CategoryID] {
					p.Notices = append(p.Notices, Notice{UID: a.UID, MemberID: m.ID, Code: NoticeProtected})
				}
				linkedMember[m.ID] = a.UID
				p.Actions = append(p.Actions, act)
			}
			return
		}
	}
	if !in.UseUID && a.Email == "" {
		notice(l, Notice{UID: a.UID, Code: NoticeNoEmail})
		return
	}
	act.Kind, act.Category = Create, in.Category
	act.Fields = map[string]string{"nom": a.Name}
	if a.Email != "" {
		act.Fields["email"] = a.Email
	}
	if in.UseUID {
		act.Fields["nextcloud_uid"] = a.UID
	}
	if ids := names[fold(a.Name)]; len(ids) > 0 {
		act.Force = true
		p.Notices = append(p.Notices, Notice{UID: a.UID, MemberID: ids[0], Code: NoticeHomonym})
	}
	p.Actions = append(p.Actions, act)
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
