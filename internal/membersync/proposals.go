package membersync

import (
	"context"
	"fmt"

	"assokit/internal/errcode"
	"assokit/internal/store"
)

// ErrNoProposal is returned when the proposal an admin answers is no longer
// made (the page was out of date, or the account or member changed).
var ErrNoProposal = errcode.New("paheko_proposal_gone", "membersync: this proposal is no longer made")

// Answer records an admin's answer to the proposal to link account uid to
// member memberID, audits it, and carries out at once what follows for that
// account alone: confirmed, the member is linked (its nextcloud_uid
// written); refused, a new member is created for the account (or another
// proposal is made), and this member is never proposed to it again.
func (s *Service) Answer(ctx context.Context, uid string, memberID int, confirm bool, actor string) (Report, error) {
	s.writing.Lock()
	defer s.writing.Unlock()
	pc, in, err := s.input(ctx)
	if err != nil {
		return Report{Notices: []Notice{}}, err
	}
	var prop *Proposal
	for _, p := range MakePlan(in).Proposals {
		if p.UID == uid && p.MemberID == memberID {
			prop = &p
		}
	}
	if prop == nil {
		return Report{Notices: []Notice{}}, ErrNoProposal
	}
	d := store.PahekoDecision{UID: uid, MemberID: memberID, Decision: store.DecisionRefused, Actor: actor}
	for _, a := range in.Accounts {
		if a.UID == uid {
			d.Name, d.Email, d.FirstLogin = accountName(a), a.Email, a.FirstLogin
		}
	}
	if confirm {
		d.Decision = store.DecisionConfirmed
	}
	if err := s.store.SetPahekoDecision(ctx, d); err != nil {
		return Report{Notices: []Notice{}}, err
	}
	kind := map[bool]string{true: "confirm", false: "refuse"}[confirm]
	s.store.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: kind, UID: uid, MemberID: memberID,
		Detail: fmt.Sprintf("n°%d %s (%s)", prop.Number, prop.MemberName, prop.Reason), Result: "ok"})

	in.Decisions[Pair{uid, memberID}] = d.Decision
	plan := MakePlan(in)
	only := Plan{Actions: []Action{}, Proposals: []Proposal{}, Held: []Notice{}, Notices: []Notice{}}
	for _, a := range plan.Actions {
		if a.UID == uid {
			only.Actions = append(only.Actions, a)
		}
	}
	for _, n := range plan.Notices {
		if n.UID == uid {
			only.Notices = append(only.Notices, n)
		}
	}
	return s.apply(ctx, pc, only, knownMembers(in), 0, actor)
}
