package membersync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"assokit/internal/errcode"
	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
	"assokit/internal/store"
)

// Errors that stop a run, shown to admins as stable codes.
var (
	ErrNotConfigured = errcode.New("paheko_not_configured", "membersync: Paheko is not configured")
	ErrNoAdmin       = errcode.New("paheko_no_admin", "membersync: the admin who saved the settings is no longer an admin")
)

// Settings keys in the store.
const (
	keyURL      = "paheko.url"
	keyKey      = "paheko.key"
	keySecret   = "paheko.secret"
	keyInterval = "paheko.interval"
	keyCategory = "paheko.category"
	keyEnabled  = "paheko.enabled"
	keyAdmin    = "paheko.admin"
)

// DefaultInterval is how often accounts are polled when no setting says otherwise.
const DefaultInterval = 60 * time.Second

// Settings are the bridge's settings. The secret never leaves the server:
// HasSecret says whether one is stored.
type Settings struct {
	URL       string        `json:"url"`
	Key       string        `json:"key"`
	HasSecret bool          `json:"hasSecret"`
	Interval  time.Duration `json:"-"`
	Category  int           `json:"category"`  // category of new members, 0: Paheko's default
	Enabled   bool          `json:"enabled"`   // the sync runs (after the admin saw the preview)
	Admin     string        `json:"admin"`     // the admin whose rights read the accounts ("" when none is known yet)
	AdminFrom string        `json:"adminFrom"` // where Admin comes from: AdminFromHost, AdminFromSaved, AdminFromFirst
	// Hosted lists the fields the host set at deploy time (url, key,
	// secret, category, admin): the page shows them as set by the host and
	// cannot change them.
	Hosted []string `json:"hosted"`
	// HostError is ErrHostedInvalid's code when a provisioned value is
	// invalid, HostErrorField which one (then no provisioned Paheko value is used).
	HostError      string `json:"hostError,omitempty"`
	HostErrorField string `json:"hostErrorField,omitempty"`
	secret         string
}

// Configured reports whether Paheko's address and credentials are set.
func (s Settings) Configured() bool { return s.URL != "" && s.Key != "" && s.secret != "" }

// Service runs the member sync. It is safe for concurrent use: its writes
// to Paheko go one at a time (Paheko numbers members with MAX(numero)+1 and
// fails two simultaneous creations).
type Service struct {
	store *store.Store
	nc    *nextcloud.Client
	queue *jobs.Queue
	http  *http.Client
	log   *slog.Logger

	writing sync.Mutex

	hostedMu   sync.Mutex
	hosted     *hosted // UseHosted
	firstAdmin string  // found by the last run when nobody named an admin
}

// New returns the sync service and registers its job (JobSync) on q.
// httpClient is used for Paheko (nil: default).
func New(st *store.Store, nc *nextcloud.Client, q *jobs.Queue, httpClient *http.Client, log *slog.Logger) *Service {
	s := &Service{store: st, nc: nc, queue: q, http: httpClient, log: log}
	s.registerJobs()
	return s
}

// Settings returns the current settings, read in one query.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	v, err := s.store.SettingsWithPrefix(ctx, "paheko.")
	if err != nil {
		return Settings{}, err
	}
	st := Settings{URL: v[keyURL], Key: v[keyKey], secret: v[keySecret], HasSecret: v[keySecret] != "",
		Enabled: v[keyEnabled] == "1", Admin: v[keyAdmin], Interval: DefaultInterval}
	if n, err := strconv.Atoi(v[keyInterval]); err == nil && n >= 10 {
		st.Interval = time.Duration(n) * time.Second
	}
	st.Category, _ = strconv.Atoi(v[keyCategory])
	s.overHosted(&st)
	return st, nil
}

// SettingsInput is what an admin saves. An empty Secret keeps the stored
// one while the address leads to the same server.
type SettingsInput struct {
	URL             string `json:"url"`
	Key             string `json:"key"`
	Secret          string `json:"secret"`
	IntervalSeconds int    `json:"intervalSeconds"`
	Category        int    `json:"category"`
}

// ErrInvalidSettings wraps a setting an admin must correct.
var ErrInvalidSettings = errcode.New("invalid_settings", "membersync: invalid settings")

// SaveSettings checks and normalises in (ValidateSettings; a category
// other than 0 is checked against Paheko with these credentials), stores it
// and makes admin the account whose rights read the accounts from now on.
// The fields the host set keep the host's values.
func (s *Service) SaveSettings(ctx context.Context, in SettingsInput, admin string) error {
	in, err := ValidateSettings(s.keepHosted(in))
	if err != nil {
		return err
	}
	keep, err := s.secretFollows(ctx, in.URL)
	if err != nil {
		return err
	}
	// Without a secret for this server, the category is checked once the
	// secret is entered: the stored one never goes to another host.
	if in.Category != 0 && (in.Secret != "" || keep) {
		secret := in.Secret
		if secret == "" {
			cur, err := s.Settings(ctx)
			if err != nil {
				return err
			}
			secret = cur.secret
		}
		if secret == "" {
			return ErrNotConfigured // the category cannot be checked without the key's password
		}
		pc, err := paheko.New(paheko.Config{URL: in.URL, Key: in.Key, Secret: secret, HTTPClient: s.http})
		if err != nil {
			return ErrBadURL
		}
		if err := CheckCategory(ctx, pc, in.Category); err != nil {
			return err
		}
	}
	values := map[string]string{keyURL: in.URL, keyKey: in.Key, keyAdmin: admin,
		keyInterval: strconv.Itoa(in.IntervalSeconds), keyCategory: strconv.Itoa(in.Category)}
	switch {
	case in.Secret != "":
		values[keySecret] = in.Secret
	case !keep:
		values[keySecret] = ""
	}
	return s.store.SetSettings(ctx, values)
}

// ErrHostSecretElsewhere refuses an address on another server while the
// host set the API secret at deploy time: that secret is the host's to
// change, and it never goes to another server.
var ErrHostSecretElsewhere = errcode.New("paheko_host_secret_elsewhere", "membersync: the host set the API secret for another server")

// secretFollows reports whether the stored API secret may stay with the
// address to: only when it leads to the same server (paheko.SameHost).
// Otherwise the secret is dropped and must be entered again, so that
// neither "test the connection" nor the next sync sends it to another host;
// a secret the host set cannot be dropped (ErrHostSecretElsewhere).
func (s *Service) secretFollows(ctx context.Context, to string) (bool, error) {
	cur, err := s.Settings(ctx)
	if err != nil {
		return false, err
	}
	if cur.URL == "" || paheko.SameHost(cur.URL, to) {
		return true, nil
	}
	s.hostedMu.Lock()
	fromHost := s.hosted != nil && s.hosted.err == nil && s.hosted.Secret != ""
	s.hostedMu.Unlock()
	if fromHost {
		return false, ErrHostSecretElsewhere
	}
	return false, nil
}

// SetEnabled starts (after the preview) or pauses the sync.
func (s *Service) SetEnabled(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return s.store.SetSetting(ctx, keyEnabled, v)
}

// Client returns a Paheko client built from the settings.
func (s *Service) Client(ctx context.Context) (*paheko.Client, Settings, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, st, err
	}
	if !st.Configured() {
		return nil, st, ErrNotConfigured
	}
	c, err := paheko.New(paheko.Config{URL: st.URL, Key: st.Key, Secret: st.secret, HTTPClient: s.http})
	return c, st, err
}

// gather reads what Plan needs: accounts (as the settings' admin), Paheko's
// categories and members, and the links.
func (s *Service) gather(ctx context.Context, pc *paheko.Client, st Settings) (Input, error) {
	in := Input{Category: st.Category, Protected: map[int]bool{}}
	var err error
	if in.Accounts, err = s.gatherAccounts(ctx, st); err != nil {
		return in, err
	}
	cats, err := pc.Categories(ctx)
	if err != nil {
		return in, err
	}
	for _, c := range cats {
		if c.Protected() {
			in.Protected[c.ID] = true
		}
	}
	if in.Category == 0 {
		for _, c := range cats {
			if c.Name == paheko.MemberCategory.Name {
				in.Category = c.ID
			}
		}
	}
	// Read the link field; an instance without it answers 400.
	in.Members, err = pc.Members(ctx, true, 500)
	in.UseUID = err == nil
	if errors.Is(err, paheko.ErrInvalid) {
		in.Members, err = pc.Members(ctx, false, 500)
	}
	if err != nil {
		return in, err
	}
	return in, s.gatherState(ctx, &in)
}

// gatherState reads AssoKit's side of the plan: links, notices, decisions,
// pending creations and released members.
func (s *Service) gatherState(ctx context.Context, in *Input) error {
	links, err := s.store.PahekoLinks(ctx)
	if err != nil {
		return err
	}
	for _, l := range links {
		in.Links = append(in.Links, Link(l))
	}
	if in.Notices, err = s.store.PahekoNotices(ctx); err != nil {
		return err
	}
	decisions, err := s.store.PahekoDecisions(ctx)
	if err != nil {
		return err
	}
	accounts := map[string]Account{}
	for _, a := range in.Accounts {
		accounts[a.UID] = a
	}
	in.Decisions = map[Pair]string{}
	for _, d := range decisions {
		// A confirmation holds only for the account it was given for.
		answeredFor := Link{Name: d.Name, Email: d.Email, FirstLogin: d.FirstLogin}
		if a, ok := accounts[d.UID]; d.Decision == store.DecisionConfirmed && (!ok || !SameAccount(answeredFor, a)) {
			continue
		}
		in.Decisions[Pair{d.UID, d.MemberID}] = d.Decision
	}
	pending, err := s.store.PahekoPendings(ctx)
	if err != nil {
		return err
	}
	in.Pending = map[string]bool{}
	for uid := range pending {
		in.Pending[uid] = true
	}
	in.Released, err = s.store.PahekoReleased(ctx)
	return err
}

// gatherAccounts lists every account, acting as the admin the host named,
// else the admin who saved the settings, else the first enabled member of
// admin (looked for again at each run), and checks that this account is
// still an enabled admin. The source of a running transfer that was
// disabled before it counts as disabled: the transfer enabled it only for
// its own steps, so no member is re-created or re-linked meanwhile.
func (s *Service) gatherAccounts(ctx context.Context, st Settings) ([]Account, error) {
	if st.AdminFrom == AdminFromFirst {
		var err error
		if st.Admin, err = s.findFirstAdmin(ctx); err != nil {
			return nil, err
		}
	}
	if st.Admin == "" {
		return nil, ErrNoAdmin
	}
	accounts, err := s.nc.As(st.Admin).Accounts(ctx, 500)
	if errors.Is(err, nextcloud.ErrForbidden) {
		return nil, fmt.Errorf("%w: %w", ErrNoAdmin, err) // Nextcloud lists accounts to admins only
	}
	if err != nil {
		return nil, err
	}
	leaving, err := s.store.DisabledSourcesInTransfer(ctx)
	if err != nil {
		return nil, err
	}
	var out []Account
	adminOK := false
	for _, a := range accounts {
		out = append(out, Account{UID: a.ID, Name: a.DisplayName, Email: a.Email, Enabled: a.Enabled && !leaving[a.ID],
			Groups: a.Groups, FirstLogin: a.FirstLogin})
		if a.ID == st.Admin && a.Enabled && slices.Contains(a.Groups, paheko.GroupAdmin) {
			adminOK = true
		}
	}
	if !adminOK {
		return nil, ErrNoAdmin
	}
	return out, nil
}

// input connects to Paheko and gathers what Plan needs.
func (s *Service) input(ctx context.Context) (*paheko.Client, Input, error) {
	pc, st, err := s.Client(ctx)
	if err != nil {
		return nil, Input{}, err
	}
	in, err := s.gather(ctx, pc, st)
	return pc, in, err
}

// Preview returns the plan a run would carry out now, changing nothing.
func (s *Service) Preview(ctx context.Context) (Plan, error) {
	_, in, err := s.input(ctx)
	if err != nil {
		return Plan{}, err
	}
	return MakePlan(in), nil
}

// Report is what a run did. Waiting counts the accounts that need an
// admin (proposals, protected members): never counted as done.
type Report struct {
	Created   int      `json:"created"`
	Adopted   int      `json:"adopted"`
	Updated   int      `json:"updated"`
	Unlinked  int      `json:"unlinked"`
	Unchanged int      `json:"unchanged"`
	Waiting   int      `json:"waiting"`
	Proposals int      `json:"proposals"`
	Failed    int      `json:"failed"`
	Notices   []Notice `json:"notices"`
}

// Run gathers, plans and applies, and leaves a report in the store. An
// error matching paheko.ErrUnreachable or nextcloud.ErrUnreachable is worth
// retrying: the next run starts from what is there, so nothing is done twice.
func (s *Service) Run(ctx context.Context, trigger, actor string) (Report, error) {
	runID, err := s.store.StartPahekoRun(ctx, trigger, actor)
	if err != nil {
		return Report{Notices: []Notice{}}, err
	}
	rep, err := s.runRecovering(ctx, runID, actor)
	b, _ := json.Marshal(rep)
	code := ""
	if err != nil {
		code = ErrorCode(err)
	}
	if ferr := s.store.FinishPahekoRun(context.WithoutCancel(ctx), runID, string(b), code); ferr != nil && err == nil {
		err = ferr
	}
	return rep, err
}

// runRecovering is run with a panic turned into an error matching
// jobs.ErrPanicked, so that the run is recorded as failed with its code.
func (s *Service) runRecovering(ctx context.Context, runID int64, actor string) (rep Report, err error) {
	defer jobs.Recover(&err)
	return s.run(ctx, runID, actor)
}

func (s *Service) run(ctx context.Context, runID int64, actor string) (Report, error) {
	s.writing.Lock()
	defer s.writing.Unlock()
	pc, in, err := s.input(ctx)
	if err != nil {
		return Report{Notices: []Notice{}}, err
	}
	return s.apply(ctx, pc, MakePlan(in), knownMembers(in), runID, actor)
}

// knownMembers are the ids of the members the plan saw: a member found
// after a lost create is never one of them.
func knownMembers(in Input) map[int]bool {
	known := make(map[int]bool, len(in.Members))
	for _, m := range in.Members {
		known[m.ID] = true
	}
	return known
}

// stopErrors are the errors that stop a run with a code of their own, in
// the order they are looked for.
var stopErrors = []*errcode.Error{ErrNotConfigured, ErrNoAdmin,
	paheko.ErrUnreachable, paheko.ErrUnauthorized, paheko.ErrRights, paheko.ErrNotPaheko, paheko.ErrMoved,
	nextcloud.ErrUnreachable, nextcloud.ErrUnauthorized, jobs.ErrPanicked}

// ErrorCode is the stable code of an error that stopped a run: its own, or
// paheko_no_admin when Nextcloud refused to show the accounts to the admin
// who saved the settings, or "internal".
func ErrorCode(err error) string {
	for _, e := range stopErrors {
		if errors.Is(err, e) {
			return e.Code()
		}
	}
	if errors.Is(err, nextcloud.ErrForbidden) {
		return ErrNoAdmin.Code()
	}
	return errcode.Internal
}

// apply carries out plan's actions one by one (the caller holds s.writing).
// Before writing to a member it reads it again and checks it is still the
// expected one. A refused action is reported and the others go on; an
// unreachable Paheko or refused credentials stop the run (the queue retries
// it). known are the members the plan saw.
func (s *Service) apply(ctx context.Context, pc *paheko.Client, plan Plan, known map[int]bool, runID int64, actor string) (Report, error) {
	rep := Report{Unchanged: plan.Unchanged, Waiting: plan.Waiting, Proposals: len(plan.Proposals),
		Notices: append([]Notice{}, plan.Notices...)}
	if actor == "" {
		actor = "sync"
	}
	w := writer{s: s, pc: pc, known: known, runID: runID, actor: actor}
	for _, a := range plan.Actions {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := w.do(ctx, a)
		switch {
		case err == nil:
			switch a.Kind {
			case Create:
				rep.Created++
			case Adopt:
				rep.Adopted++
			case Update:
				rep.Updated++
			case Unlink:
				rep.Unlinked++
			}
		case stopsRun(err):
			return rep, err
		default:
			rep.Failed++
			rep.Notices = append(rep.Notices, Notice{UID: a.UID, Name: a.Name, MemberID: a.MemberID,
				Code: failureCode(err), Detail: paheko.Message(err)})
		}
	}
	rep.Notices = append(rep.Notices, w.notices...)
	for _, n := range rep.Notices {
		if err := s.store.SetPahekoNotice(ctx, n.UID, n.Code); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// stopsRun reports whether err concerns the whole run rather than one
// member: Paheko unreachable or refusing the key, or AssoKit's own store.
func stopsRun(err error) bool {
	for _, e := range []error{paheko.ErrUnreachable, paheko.ErrUnauthorized, paheko.ErrRights, paheko.ErrNotPaheko, paheko.ErrMoved, context.Canceled} {
		if errors.Is(err, e) {
			return true
		}
	}
	var pe *paheko.Error
	return !errors.As(err, &pe) && !errors.Is(err, errMemberChanged)
}

// errMemberChanged: the member is no longer the one the plan saw.
var errMemberChanged = errors.New("membersync: the member changed since the plan")

func failureCode(err error) string {
	switch {
	case errors.Is(err, errMemberChanged):
		return "member_changed"
	case errors.Is(err, paheko.ErrProtected):
		return NoticeProtected
	case errors.Is(err, paheko.ErrDuplicate):
		return "duplicate_refused" // a homonym appeared since the plan: the next plan decides
	case errors.Is(err, paheko.ErrCategory):
		return "category_refused"
	}
	return NoticeFailed
}

// writer carries out actions and audits every write.
type writer struct {
	s       *Service
	pc      *paheko.Client
	known   map[int]bool
	runID   int64
	actor   string
	notices []Notice // learnt while writing
}

// audit records one change (or attempt) in Paheko.
func (w *writer) audit(ctx context.Context, kind string, a Action, memberID int, detail string, err error) {
	result := "ok"
	if err != nil {
		result = ErrorCode(err)
		if result == "internal" {
			result = failureCode(err)
		}
	}
	if detail == "" {
		keys := make([]string, 0, len(a.Fields))
		for k, v := range a.Fields {
			if old := a.Before[k]; old != "" {
				v = old + " → " + v // the page shows "e-mail : old → new"
			}
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		detail = strings.Join(keys, ", ")
	}
	w.s.store.AddAudit(context.WithoutCancel(ctx), store.AuditEntry{RunID: w.runID, Actor: w.actor, Action: kind,
		UID: a.UID, MemberID: memberID, Detail: detail, Result: result})
}

func (w *writer) link(ctx context.Context, a Action, memberID int) error {
	return w.s.store.SavePahekoLink(ctx, store.PahekoLink{UID: a.UID, MemberID: memberID, Name: a.Name, Email: a.Email,
		FirstLogin: a.FirstLogin})
}

// do carries out one action.
func (w *writer) do(ctx context.Context, a Action) error {
	switch a.Kind {
	case Unlink:
		return w.unlink(ctx, a)
	case Remember:
		return w.link(ctx, a, a.MemberID)
	case Create:
		return w.create(ctx, a)
	case Adopt, Update:
		// Paheko reuses the id of a deleted member: check who it is now.
		m, err := w.pc.Member(ctx, a.MemberID)
		if err != nil {
			return err
		}
		if !expected(m, a) {
			return errMemberChanged
		}
		if len(a.Fields) > 0 {
			_, err = w.pc.UpdateMember(ctx, a.MemberID, a.Fields)
			w.audit(ctx, string(a.Kind), a, a.MemberID, "", err)
			if err != nil {
				return err
			}
		} else if a.Kind == Adopt {
			w.audit(ctx, string(a.Kind), a, a.MemberID, "", nil)
		}
		return w.link(ctx, a, a.MemberID)
	}
	return fmt.Errorf("membersync: unknown action %q", a.Kind)
}

// expected reports whether m is the member the action was planned for.
func expected(m paheko.Member, a Action) bool {
	if a.ExpectUID != "" {
		return m.UID == a.ExpectUID
	}
	if a.ExpectEmail != "" {
		return strings.EqualFold(m.Email, a.ExpectEmail)
	}
	return m.UID == "" && m.Email == ""
}

// unlink drops the link and, when asked, clears the member's nextcloud_uid
// if it still names the account: the uid may be given to someone else.
// Paheko refuses it for admin members (captures 12–13): said, not retried;
// sign-on still refuses them, the link being gone.
func (w *writer) unlink(ctx context.Context, a Action) error {
	released := a.MemberID
	if a.Reason == NoticeMemberGone || a.Reason == NoticeIDReused {
		released = 0 // the member is not, or no longer, the account's
	}
	detail := a.Reason
	if a.ClearUID {
		m, err := w.pc.Member(ctx, a.MemberID)
		switch {
		case errors.Is(err, paheko.ErrNotFound):
		case err != nil:
			return err
		case m.UID == a.UID:
			_, err := w.pc.UpdateMember(ctx, a.MemberID, map[string]string{"nextcloud_uid": ""})
			if errors.Is(err, paheko.ErrProtected) {
				w.notices = append(w.notices, Notice{UID: a.UID, Name: a.Name, MemberID: m.ID, Number: m.Number,
					MemberName: m.Name, Code: NoticeProtectedUID})
				detail += ", nextcloud_uid kept"
			} else if err != nil {
				return err
			} else {
				detail += ", nextcloud_uid cleared"
			}
		}
	}
	if err := w.s.store.ReleasePahekoLink(ctx, a.UID, released); err != nil {
		return err
	}
	w.audit(ctx, string(Unlink), a, a.MemberID, detail, nil)
	return nil
}

// create asks Paheko for a new member. It is recorded as pending first; if
// Paheko's answer is lost (5xx, timeout), the member is looked up by its
// nextcloud_uid (or e-mail) before trying once more, so a retry never
// makes two members. A pending create the run could not settle is settled
// by the next plan.
func (w *writer) create(ctx context.Context, a Action) error {
	nm := paheko.NewMember{Name: a.Fields["nom"], Email: a.Fields["email"], UID: a.Fields["nextcloud_uid"],
		CategoryID: a.Category, ForceDuplicate: a.Force}
	if err := w.s.store.AddPahekoPending(ctx, store.PahekoPending{UID: a.UID, Name: nm.Name, Email: nm.Email}); err != nil {
		return err
	}
	var m paheko.Member
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		m, err = w.pc.CreateMember(ctx, nm)
		if !errors.Is(err, paheko.ErrUnreachable) {
			break
		}
		found, ferr := w.pc.FindMember(ctx, nm.UID, nm.Email, w.known)
		if ferr != nil {
			return err
		}
		if found.ID != 0 {
			m, err = found, nil
			break
		}
	}
	w.audit(ctx, string(Create), a, m.ID, "", err)
	if err != nil {
		if !stopsRun(err) {
			w.s.store.DeletePahekoPending(context.WithoutCancel(ctx), a.UID)
		}
		return err
	}
	return w.link(ctx, a, m.ID)
}
