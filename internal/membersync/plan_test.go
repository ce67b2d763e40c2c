package membersync

import (
	"reflect"
	"testing"

	"assokit/internal/paheko"
)

func acc(uid, name, email string) Account {
	return Account{UID: uid, Name: name, Email: email, Enabled: true}
}

func mem(id int, name, email, uid string) paheko.Member {
	return paheko.Member{ID: id, Number: id, Name: name, Email: email, UID: uid, CategoryID: 4}
}

// summary is a compact view of a plan for comparisons.
type summary struct {
	Actions []string
	Notices []string
}

func summarize(p Plan) summary {
	var s summary
	for _, a := range p.Actions {
		line := string(a.Kind) + " " + a.UID
		if a.MemberID != 0 {
			line += " #" + itoa(a.MemberID)
		}
		for _, k := range []string{"nom", "email", "nextcloud_uid"} {
			if v, ok := a.Fields[k]; ok {
				line += " " + k + "=" + v
			}
		}
		if a.Force {
			line += " force"
		}
		s.Actions = append(s.Actions, line)
	}
	for _, n := range p.Notices {
		line := n.Code + " " + n.UID
		if n.MemberID != 0 {
			line += " #" + itoa(n.MemberID)
		}
		s.Notices = append(s.Notices, line)
	}
	return s
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

func TestMakePlan(t *testing.T) {
	admin := mem(1, "Admin", "admin@asso.example", "")
	admin.CategoryID = 3
	protected := map[int]bool{3: true, 8: true}
	tests := []struct {
		name string
		in   Input
		want summary
	}{
		{"new account", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{admin}},
			summary{Actions: []string{"create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea"}}},
		{"new account without uid field", Input{Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")}},
			summary{Actions: []string{"create lea nom=Léa Roux email=lea@asso.example"}}},
		{"no display name: the uid is the name", Input{UseUID: true, Accounts: []Account{acc("zoe", "", "")}},
			summary{Actions: []string{"create zoe nom=zoe nextcloud_uid=zoe"}}},
		{"no e-mail and no uid field: cannot link safely", Input{Accounts: []Account{acc("zoe", "Zoé", "")}},
			summary{Notices: []string{"no_email zoe"}}},
		{"unchanged", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{}},
		{"renamed", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Martin", "lea@asso.example")},
			Members: []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"update lea #05 nom=Léa Martin"}}},
		{"e-mail changed", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@new.example")},
			Members: []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"update lea #05 email=lea@new.example"}}},
		{"a name edited in Paheko stays while Nextcloud's does not change", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "ROUX Léa", "lea@asso.example", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{}},
		{"e-mail of an unlinked member: adopt it", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "LEA@asso.example")},
			Members: []paheko.Member{mem(7, "ROUX Léa", "lea@asso.example", "")}},
			summary{Actions: []string{"adopt lea #07 nextcloud_uid=lea"}}},
		{"e-mail of an unlinked member, no uid field: adopt without writing", Input{Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{mem(7, "ROUX Léa", "lea@asso.example", "")}},
			summary{Actions: []string{"adopt lea #07"}}},
		{"e-mail of a member linked to another account: report", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa", "shared@asso.example")},
			Members:  []paheko.Member{mem(7, "Hugo", "shared@asso.example", "hugo")}},
			summary{Notices: []string{"email_taken lea #07"}}},
		{"e-mail of an admin member: link, write nothing", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille", "admin@asso.example")}, Members: []paheko.Member{admin}},
			summary{Actions: []string{"adopt camille #01"}, Notices: []string{"member_protected camille #01"}}},
		{"homonym: a separate member, reported", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{mem(9, "léa roux", "other@asso.example", "")}},
			summary{Actions: []string{"create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea force"},
				Notices: []string{"homonym lea #09"}}},
		{"disabled account: unlink, keep the member", Input{UseUID: true,
			Accounts: []Account{{UID: "paul", Name: "Paul", Email: "paul@asso.example"}},
			Members:  []paheko.Member{mem(6, "Paul", "paul@asso.example", "paul")},
			Links:    []Link{{UID: "paul", MemberID: 6, Name: "Paul", Email: "paul@asso.example"}}},
			summary{Actions: []string{"unlink paul #06"}, Notices: []string{"account_disabled paul #06"}}},
		{"disabled account never linked: nothing", Input{UseUID: true,
			Accounts: []Account{{UID: "paul", Name: "Paul", Email: "paul@asso.example"}}},
			summary{}},
		{"deleted account: unlink, keep the member", Input{UseUID: true,
			Members: []paheko.Member{mem(6, "Paul", "paul@asso.example", "paul")},
			Links:   []Link{{UID: "paul", MemberID: 6, Name: "Paul", Email: "paul@asso.example"}}},
			summary{Actions: []string{"unlink paul #06"}, Notices: []string{"account_deleted paul #06"}}},
		{"member id reused by someone else: unlink, create again", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea"},
				Notices: []string{"member_id_reused lea #05"}}},
		{"member id reused, no uid field: the e-mail tells", Input{
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example"},
				Notices: []string{"member_id_reused lea #05"}}},
		{"linked member deleted in Paheko: create again", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea"},
				Notices: []string{"member_gone lea #05"}}},
		{"created before a crash, link not saved: adopt, no duplicate", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(12, "Léa Roux", "lea@asso.example", "lea")}},
			summary{Actions: []string{"adopt lea #12"}}},
		{"admin member renamed: reported once", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille B.", "admin@asso.example")}, Members: []paheko.Member{admin},
			Links: []Link{{UID: "camille", MemberID: 1, Name: "Admin", Email: "admin@asso.example"}}},
			summary{Actions: []string{"remember camille #01"}, Notices: []string{"member_protected camille #01"}}},
		{"admin member renamed, already reported: nothing", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille B.", "admin@asso.example")}, Members: []paheko.Member{admin},
			Links: []Link{{UID: "camille", MemberID: 1, Name: "Admin", Email: "admin@asso.example", Notice: NoticeProtected}}},
			summary{}},
		{"e-mail changed to one a member has: report, keep the rest", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa R.", "jules@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea"), mem(8, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"update lea #05 nom=Léa R."}, Notices: []string{"email_taken lea #08"}}},
		{"two accounts, one e-mail: the second goes without", Input{UseUID: true,
			Accounts: []Account{acc("a1", "Anne", "asso@asso.example"), acc("a2", "Bruno", "asso@asso.example")}},
			summary{Actions: []string{"create a1 nom=Anne email=asso@asso.example nextcloud_uid=a1", "create a2 nom=Bruno nextcloud_uid=a2"},
				Notices: []string{"email_shared a2"}}},
		{"Paheko already has the new name: remember it, write nothing", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Martin", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Martin", "lea@asso.example", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"remember lea #05"}}},
		{"linked before the uid field existed: write the uid", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"update lea #05 nextcloud_uid=lea"}}},
		{"members without an account are never touched", Input{UseUID: true,
			Members: []paheko.Member{mem(20, "Adhérente", "adh@asso.example", ""), mem(21, "Ancien", "", "olduid")}},
			summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(MakePlan(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
