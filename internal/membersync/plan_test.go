package membersync

import (
	"reflect"
	"testing"

	"assokit/internal/paheko"
)

// signedIn is the first sign-in of the accounts acc makes: they are the
// accounts their links were made for.
const signedIn = 1700000000

func acc(uid, name, email string) Account {
	return Account{UID: uid, Name: name, Email: email, Enabled: true, FirstLogin: signedIn}
}

func mem(id int, name, email, uid string) paheko.Member {
	return paheko.Member{ID: id, Number: id, Name: name, Email: email, UID: uid, CategoryID: 4}
}

// summary is a compact view of a plan for comparisons.
type summary struct {
	Actions   []string
	Proposals []string
	Notices   []string
	Held      []string // only when no notice says it this time
	Waiting   int
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
				if old := a.Before[k]; old != "" {
					v = old + "→" + v
				}
				line += " " + k + "=" + v
			}
		}
		if a.Force {
			line += " force"
		}
		if a.ClearUID {
			line += " clear"
		}
		s.Actions = append(s.Actions, line)
	}
	for _, pr := range p.Proposals {
		s.Proposals = append(s.Proposals, pr.Reason+" "+pr.UID+" #"+itoa(pr.MemberID))
	}
	s.Waiting = p.Waiting
	if len(p.Notices) == 0 {
		for _, n := range p.Held {
			s.Held = append(s.Held, n.Code+" "+n.UID+" #"+itoa(n.MemberID))
		}
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
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{}},
		{"renamed", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Martin", "lea@asso.example")},
			Members: []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"update lea #05 nom=Léa Roux→Léa Martin"}}},
		{"e-mail changed", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@new.example")},
			Members: []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:   []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"update lea #05 email=lea@asso.example→lea@new.example"}}},
		{"a name edited in Paheko stays while Nextcloud's does not change", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "ROUX Léa", "lea@asso.example", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{}},
		{"e-mail of an unlinked member: a proposal, nothing written", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "LEA@asso.example")},
			Members: []paheko.Member{mem(7, "ROUX Léa", "lea@asso.example", "")}},
			summary{Proposals: []string{"same_email lea #07"}, Waiting: 1}},
		{"e-mail of an unlinked member, no uid field: a proposal too", Input{Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{mem(7, "ROUX Léa", "lea@asso.example", "")}},
			summary{Proposals: []string{"same_email lea #07"}, Waiting: 1}},
		{"confirmed proposal: adopt and write the uid", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:   []paheko.Member{mem(7, "ROUX Léa", "lea@asso.example", "")},
			Decisions: map[Pair]string{{"lea", 7}: "confirmed"}},
			summary{Actions: []string{"adopt lea #07 nextcloud_uid=lea"}}},
		{"refused proposal: a new member without the taken e-mail, never proposed again", Input{UseUID: true,
			Accounts:  []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:   []paheko.Member{mem(7, "Léa Roux", "lea@asso.example", "")},
			Decisions: map[Pair]string{{"lea", 7}: "refused"}},
			summary{Actions: []string{"create lea nom=Léa Roux nextcloud_uid=lea force"},
				Notices: []string{"email_used lea #07", "homonym lea #07"}}},
		{"changed e-mail to the treasurer's: no takeover, created without it", Input{UseUID: true,
			Accounts: []Account{acc("eve", "Eve", "tresor@asso.example"), acc("tresor", "Trésorière", "tresor.new@asso.example")},
			Members:  []paheko.Member{mem(3, "Trésorière", "tresor@asso.example", "tresor")},
			Links:    []Link{{UID: "tresor", MemberID: 3, Name: "Trésorière", Email: "tresor@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"create eve nom=Eve nextcloud_uid=eve", "update tresor #03 email=tresor@asso.example→tresor.new@asso.example"},
				Notices: []string{"email_taken eve #03"}}},
		{"a member carrying the account's uid, no create pending: a proposal", Input{UseUID: true,
			Accounts: []Account{acc("nathan", "Nathan Petit", "np@asso.example")},
			Members:  []paheko.Member{mem(2, "Nathan Leroux", "nl@asso.example", "nathan")}},
			summary{Proposals: []string{"same_uid nathan #02"}, Waiting: 1}},
		{"deleted and re-created within one run: unlink, clear, never take over", Input{UseUID: true,
			Accounts: []Account{{UID: "nathan", Name: "Nathan Petit", Email: "np@asso.example", Enabled: true}},
			Members:  []paheko.Member{mem(2, "Nathan Leroux", "nl@asso.example", "nathan")},
			Links:    []Link{{UID: "nathan", MemberID: 2, Name: "Nathan Leroux", Email: "nl@asso.example", FirstLogin: 1700000000}}},
			summary{Actions: []string{"unlink nathan #02 clear", "create nathan nom=Nathan Petit email=np@asso.example nextcloud_uid=nathan"},
				Notices: []string{"account_replaced nathan #02"}}},
		{"re-created before the former account ever signed in: another name, unlink, clear, never take over", Input{UseUID: true,
			Accounts: []Account{{UID: "nathan", Name: "Nathan Petit", Email: "np@asso.example", Enabled: true, FirstLogin: 1800000000}},
			Members:  []paheko.Member{mem(2, "Nathan Leroux", "nl@asso.example", "nathan")},
			Links:    []Link{{UID: "nathan", MemberID: 2, Name: "Nathan Leroux", Email: "nl@asso.example"}}},
			summary{Actions: []string{"unlink nathan #02 clear", "create nathan nom=Nathan Petit email=np@asso.example nextcloud_uid=nathan"},
				Notices: []string{"account_unverified nathan #02"}}},
		{"re-created before anyone signed in: same name, another e-mail, never take over", Input{UseUID: true,
			Accounts: []Account{{UID: "nathan", Name: "nathan", Email: "np@asso.example", Enabled: true}},
			Members:  []paheko.Member{mem(2, "nathan", "nl@asso.example", "nathan")},
			Links:    []Link{{UID: "nathan", MemberID: 2, Name: "nathan", Email: "nl@asso.example"}}},
			summary{Actions: []string{"unlink nathan #02 clear", "create nathan nom=nathan email=np@asso.example nextcloud_uid=nathan force"},
				Notices: []string{"account_unverified nathan #02", "homonym nathan #02"}}},
		{"never signed in, e-mail held back by another member: kept, not taken for a new account", Input{UseUID: true,
			Accounts: []Account{{UID: "lea", Name: "Léa Roux", Email: "lea@asso.example", Enabled: true}},
			Members:  []paheko.Member{mem(5, "Léa Roux", "", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux"}}},
			summary{Actions: []string{"update lea #05 email=lea@asso.example"}}},
		{"a third homonym the next run: its namesakes are linked, created forced", Input{UseUID: true,
			Accounts: []Account{acc("jd1", "Jean Dupont", "jd1@asso.example"), acc("jd2", "Jean Dupont", "jd2@asso.example"),
				acc("jd3", "Jean Dupont", "jd3@asso.example")},
			Members: []paheko.Member{mem(2, "Jean Dupont", "jd1@asso.example", "jd1"), mem(3, "Jean Dupont", "jd2@asso.example", "jd2")},
			Links: []Link{{UID: "jd1", MemberID: 2, Name: "Jean Dupont", Email: "jd1@asso.example", FirstLogin: signedIn},
				{UID: "jd2", MemberID: 3, Name: "Jean Dupont", Email: "jd2@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"create jd3 nom=Jean Dupont email=jd3@asso.example nextcloud_uid=jd3 force"},
				Notices: []string{"homonym jd3 #02"}}},
		{"deleted and re-created, same name: the old member is only proposed", Input{UseUID: true,
			Accounts: []Account{{UID: "nathan", Name: "Nathan Leroux", Email: "np@asso.example", Enabled: true, FirstLogin: 1800000000}},
			Members:  []paheko.Member{mem(2, "Nathan Leroux", "nl@asso.example", "")},
			Released: map[int][]string{2: {"nathan"}}},
			summary{Proposals: []string{"same_name nathan #02"}, Waiting: 1}},
		{"first sign-in of a linked account: remembered", Input{UseUID: true,
			Accounts: []Account{{UID: "lea", Name: "Léa Roux", Email: "lea@asso.example", Enabled: true, FirstLogin: 1800000000}},
			Members:  []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example"}}},
			summary{Actions: []string{"remember lea #05"}}},
		{"lost create answer: the member with the uid is ours", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(12, "Léa Roux", "lea@asso.example", "lea")},
			Pending:  map[string]bool{"lea": true}},
			summary{Actions: []string{"adopt lea #12"}}},
		{"lost create answer: never a released member with the uid", Input{UseUID: true,
			Accounts: []Account{acc("nathan", "Nathan Petit", "np@asso.example")},
			Members:  []paheko.Member{mem(2, "Nathan Leroux", "nl@asso.example", "nathan"), mem(9, "Nathan Petit", "np@asso.example", "nathan")},
			Pending:  map[string]bool{"nathan": true}, Released: map[int][]string{2: {"nathan"}}},
			summary{Actions: []string{"adopt nathan #09"}}},
		{"e-mail of a member linked to another account: created without it, reported", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa", "shared@asso.example"), acc("hugo", "Hugo", "hugo@asso.example")},
			Members:  []paheko.Member{mem(7, "Hugo", "shared@asso.example", "hugo")},
			Links:    []Link{{UID: "hugo", MemberID: 7, Name: "Hugo", Email: "shared@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"update hugo #07 email=shared@asso.example→hugo@asso.example", "create lea nom=Léa nextcloud_uid=lea"},
				Notices: []string{"email_taken lea #07"}}},
		{"e-mail of a member left with another uid, linked to no account: not said to be linked", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa", "shared@asso.example")},
			Members:  []paheko.Member{mem(7, "Hugo", "shared@asso.example", "hugo")}},
			summary{Actions: []string{"create lea nom=Léa nextcloud_uid=lea"}, Notices: []string{"email_used lea #07"}}},
		{"e-mail of an admin member: said once, never linked, never counted done", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille", "admin@asso.example")}, Members: []paheko.Member{admin}},
			summary{Notices: []string{"member_protected_email camille #01"}, Waiting: 1}},
		{"e-mail of an admin member, already said: still held", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille", "admin@asso.example")}, Members: []paheko.Member{admin},
			Notices: map[string]string{"camille": NoticeProtectedEmail}},
			summary{Held: []string{"member_protected_email camille #01"}, Waiting: 1}},
		{"homonym of a free member: a proposal", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members: []paheko.Member{mem(9, "léa roux", "other@asso.example", "")}},
			summary{Proposals: []string{"same_name lea #09"}, Waiting: 1}},
		{"homonym of a linked member: a separate member, reported", Input{UseUID: true, Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example"), acc("lr", "Léa Roux", "lr@asso.example")},
			Members: []paheko.Member{mem(9, "léa roux", "lr@asso.example", "lr")},
			Links:   []Link{{UID: "lr", MemberID: 9, Name: "Léa Roux", Email: "lr@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea force"},
				Notices: []string{"homonym lea #09"}}},
		{"two new homonyms in one run: the second is forced", Input{UseUID: true,
			Accounts: []Account{acc("jd1", "Jean Dupont", "jd1@asso.example"), acc("jd2", "Jean Dupont", "jd2@asso.example")}},
			summary{Actions: []string{"create jd1 nom=Jean Dupont email=jd1@asso.example nextcloud_uid=jd1",
				"create jd2 nom=Jean Dupont email=jd2@asso.example nextcloud_uid=jd2 force"}}},
		{"disabled account: unlink, keep the member", Input{UseUID: true,
			Accounts: []Account{{UID: "paul", Name: "Paul", Email: "paul@asso.example"}},
			Members:  []paheko.Member{mem(6, "Paul", "paul@asso.example", "paul")},
			Links:    []Link{{UID: "paul", MemberID: 6, Name: "Paul", Email: "paul@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"unlink paul #06 clear"}, Notices: []string{"account_disabled paul #06"}}},
		{"disabled account never linked: nothing", Input{UseUID: true,
			Accounts: []Account{{UID: "paul", Name: "Paul", Email: "paul@asso.example"}}},
			summary{}},
		{"deleted account: unlink, keep the member", Input{UseUID: true,
			Members: []paheko.Member{mem(6, "Paul", "paul@asso.example", "paul")},
			Links:   []Link{{UID: "paul", MemberID: 6, Name: "Paul", Email: "paul@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"unlink paul #06 clear"}, Notices: []string{"account_deleted paul #06"}}},
		{"member id reused by someone else: unlink, create again", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea"},
				Notices: []string{"member_id_reused lea #05"}}},
		{"member id reused, no uid field: the e-mail tells", Input{
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example"},
				Notices: []string{"member_id_reused lea #05"}}},
		{"linked member deleted in Paheko: create again", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"unlink lea #05", "create lea nom=Léa Roux email=lea@asso.example nextcloud_uid=lea"},
				Notices: []string{"member_gone lea #05"}}},
		{"admin member renamed: reported once", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille B.", "admin@asso.example")}, Members: []paheko.Member{admin},
			Links: []Link{{UID: "camille", MemberID: 1, Name: "Admin", Email: "admin@asso.example", FirstLogin: signedIn}}},
			summary{Notices: []string{"member_protected camille #01"}, Waiting: 1}},
		{"admin member renamed, already reported: only held", Input{UseUID: true, Protected: protected,
			Accounts: []Account{acc("camille", "Camille B.", "admin@asso.example")}, Members: []paheko.Member{admin},
			Links:   []Link{{UID: "camille", MemberID: 1, Name: "Admin", Email: "admin@asso.example", FirstLogin: signedIn}},
			Notices: map[string]string{"camille": NoticeProtected}},
			summary{Held: []string{"member_protected camille #01"}, Waiting: 1}},
		{"e-mail changed to one a member has: report, keep the rest", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa R.", "jules@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "lea"), mem(8, "Jules", "jules@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"update lea #05 nom=Léa Roux→Léa R."}, Notices: []string{"email_used lea #08"}}},
		{"two accounts, one e-mail: the second goes without", Input{UseUID: true,
			Accounts: []Account{acc("a1", "Anne", "asso@asso.example"), acc("a2", "Bruno", "asso@asso.example")}},
			summary{Actions: []string{"create a1 nom=Anne email=asso@asso.example nextcloud_uid=a1", "create a2 nom=Bruno nextcloud_uid=a2"},
				Notices: []string{"email_shared a2"}}},
		{"Paheko already has the new name: remember it, write nothing", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Martin", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Martin", "lea@asso.example", "lea")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"remember lea #05"}}},
		{"linked before the uid field existed: write the uid", Input{UseUID: true,
			Accounts: []Account{acc("lea", "Léa Roux", "lea@asso.example")},
			Members:  []paheko.Member{mem(5, "Léa Roux", "lea@asso.example", "")},
			Links:    []Link{{UID: "lea", MemberID: 5, Name: "Léa Roux", Email: "lea@asso.example", FirstLogin: signedIn}}},
			summary{Actions: []string{"update lea #05 nextcloud_uid=lea"}}},
		{"members without an account are never touched", Input{UseUID: true,
			Members: []paheko.Member{mem(20, "Adhérente", "adh@asso.example", ""), mem(21, "Ancien", "", "olduid")}},
			summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MakePlan(tt.in)
			if p.Actions == nil || p.Proposals == nil || p.Held == nil || p.Notices == nil {
				t.Error("a list of the plan is nil: it must be [] in JSON")
			}
			got := summarize(p)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
