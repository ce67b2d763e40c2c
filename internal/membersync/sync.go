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
	Category  int           `json:"category"` // category of new members, 0: Paheko's default
	Enabled   bool          `json:"enabled"`  // the sync runs (after the admin saw the preview)
	Admin     string        `json:"admin"`    // the admin whose rights read the accounts
	secret    string
}

// Configured reports whether Paheko's address and credentials are set.
func (s Settings) Configured() bool { return s.URL != "" && s.Key != "" && s.secret != "" }

// Service runs the member sync. It is safe for concurrent use.
type Service struct {
	store *store.Store
	nc    *nextcloud.Client
	queue *jobs.Queue
	http  *http.Client
	log   *slog.Logger
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

// SaveSettings stores in and makes admin the account whose rights read the
// accounts from now on.
func (s *Service) SaveSettings(ctx context.Context, in SettingsInput, admin string) error {
	in.URL = strings.TrimSpace(in.URL)
	if _, err := paheko.New(paheko.Config{URL: in.URL, Key: "k", Secret: "s"}); err != nil {
		return fmt.Errorf("%w: url", ErrInvalidSettings)
	}
	if in.IntervalSeconds == 0 {
		in.IntervalSeconds = int(DefaultInterval / time.Second)
	}
	if in.IntervalSeconds < 10 || in.IntervalSeconds > 86400 {
		return fmt.Errorf("%w: interval", ErrInvalidSettings)
	}
	values := map[string]string{keyURL: in.URL, keyKey: strings.TrimSpace(in.Key), keyAdmin: admin,
		keyInterval: strconv.Itoa(in.IntervalSeconds), keyCategory: strconv.Itoa(in.Category)}
	switch keep, err := s.secretFollows(ctx, in.URL); {
	case err != nil:
		return err
	case in.Secret != "":
		values[keySecret] = in.Secret
	case !keep:
		values[keySecret] = ""
	}
	return s.store.SetSettings(ctx, values)
}

// secretFollows reports whether the stored API secret may stay with the
// address to: only when it leads to the same server (paheko.SameHost).
// Otherwise the secret is dropped and must be entered again, so that
// neither "test the connection" nor the next sync sends it to another host.
func (s *Service) secretFollows(ctx context.Context, to string) (bool, error) {
	cur, err := s.Settings(ctx)
	if err != nil {
		return false, err
	}
	return cur.URL == "" || paheko.SameHost(cur.URL, to), nil
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
	links, err := s.store.PahekoLinks(ctx)
	if err != nil {
		return in, err
	}
	for _, l := range links {
		in.Links = append(in.Links, Link(l))
	}
	return in, nil
}

// gatherAccounts lists every account, acting as the admin who saved the
// settings, and checks that this account is still an enabled admin. The
// source of a running transfer that was disabled before it counts as
// disabled: the transfer enabled it only for its own steps, so no member is
// re-created or re-linked meanwhile.
func (s *Service) gatherAccounts(ctx context.Context, st Settings) ([]Account, error) {
	if st.Admin == "" {
		return nil, ErrNoAdmin
	}
	accounts, err := s.nc.As(st.Admin).Accounts(ctx, 500)
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
		out = append(out, Account{UID: a.ID, Name: a.DisplayName, Email: a.Email, Enabled: a.Enabled && !leaving[a.ID], Groups: a.Groups})
		if a.ID == st.Admin && a.Enabled && slices.Contains(a.Groups, paheko.GroupAdmin) {
			adminOK = true
		}
	}
	if !adminOK {
		return nil, ErrNoAdmin
	}
	return out, nil
}

// Preview returns the plan a run would carry out now, changing nothing.
func (s *Service) Preview(ctx context.Context) (Plan, error) {
	pc, st, err := s.Client(ctx)
	if err != nil {
		return Plan{}, err
	}
	in, err := s.gather(ctx, pc, st)
	if err != nil {
		return Plan{}, err
	}
	return MakePlan(in), nil
}

// Report is what a run did.
type Report struct {
	Created   int      `json:"created"`
	Adopted   int      `json:"adopted"`
	Updated   int      `json:"updated"`
	Unlinked  int      `json:"unlinked"`
	Unchanged int      `json:"unchanged"`
	Failed    int      `json:"failed"`
	Notices   []Notice `json:"notices"`
}

// Run gathers, plans and applies, and leaves a report in the store. An
// error matching paheko.ErrUnreachable or nextcloud.ErrUnreachable is worth
// retrying: the next run starts from what is there, so nothing is done twice.
func (s *Service) Run(ctx context.Context, trigger, actor string) (Report, error) {
	runID, err := s.store.StartPahekoRun(ctx, trigger, actor)
	if err != nil {
		return Report{}, err
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
	pc, st, err := s.Client(ctx)
	if err != nil {
		return Report{}, err
	}
	in, err := s.gather(ctx, pc, st)
	if err != nil {
		return Report{}, err
	}
	return s.Apply(ctx, pc, MakePlan(in), runID, actor)
}

// stopErrors are the errors that stop a run with a code of their own, in
// the order they are looked for.
var stopErrors = []*errcode.Error{ErrNotConfigured, ErrNoAdmin,
	paheko.ErrUnreachable, paheko.ErrUnauthorized, paheko.ErrRights, paheko.ErrNotPaheko,
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

// Apply carries out plan's actions one by one. Before writing to a member it
// reads it again and checks it is still the expected one. A refused action
// is reported and the others go on; an unreachable Paheko or refused
// credentials stop the run (the queue retries it).
func (s *Service) Apply(ctx context.Context, pc *paheko.Client, plan Plan, runID int64, actor string) (Report, error) {
	rep := Report{Unchanged: plan.Unchanged, Notices: append([]Notice(nil), plan.Notices...)}
	if actor == "" {
		actor = "sync"
	}
	audit := func(a Action, memberID int, err error) {
		result := "ok"
		if err != nil {
			result = ErrorCode(err)
			if result == errcode.Internal {
				result = "refused"
			}
		}
		keys := make([]string, 0, len(a.Fields))
		for k, v := range a.Fields {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		s.store.AddAudit(context.WithoutCancel(ctx), store.AuditEntry{RunID: runID, Actor: actor, Action: string(a.Kind),
			UID: a.UID, MemberID: memberID, Detail: strings.Join(keys, ", "), Result: result})
	}
	for _, a := range plan.Actions {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := s.apply(ctx, pc, a, audit)
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
			rep.Notices = append(rep.Notices, Notice{UID: a.UID, MemberID: a.MemberID, Code: failureCode(err), Detail: paheko.Message(err)})
		}
	}
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
	for _, e := range []error{paheko.ErrUnreachable, paheko.ErrUnauthorized, paheko.ErrRights, paheko.ErrNotPaheko, context.Canceled} {
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
		return NoticeHomonym
	case errors.Is(err, paheko.ErrCategory):
		return "category_refused"
	}
	return NoticeFailed
}

// apply carries out one action.
func (s *Service) apply(ctx context.Context, pc *paheko.Client, a Action, audit func(Action, int, error)) error {
	switch a.Kind {
	case Unlink:
		return s.store.DeletePahekoLink(ctx, a.UID)
	case Remember:
		return s.store.SavePahekoLink(ctx, store.PahekoLink{UID: a.UID, MemberID: a.MemberID, Name: a.Name, Email: a.Email})
	case Create:
		m, err := pc.CreateMember(ctx, paheko.NewMember{Name: a.Fields["nom"], Email: a.Fields["email"],
			UID: a.Fields["nextcloud_uid"], CategoryID: a.Category, ForceDuplicate: a.Force})
		audit(a, m.ID, err)
		if err != nil {
			return err
		}
		return s.store.SavePahekoLink(ctx, store.PahekoLink{UID: a.UID, MemberID: m.ID, Name: a.Name, Email: a.Email})
	case Adopt, Update:
		// Paheko reuses the id of a deleted member: check who it is now.
		m, err := pc.Member(ctx, a.MemberID)
		if err != nil {
			return err
		}
		if (a.ExpectUID != "" && m.UID != a.ExpectUID) || (a.ExpectUID == "" && !strings.EqualFold(m.Email, a.ExpectEmail)) {
			return errMemberChanged
		}
		if len(a.Fields) > 0 {
			_, err = pc.UpdateMember(ctx, a.MemberID, a.Fields)
			audit(a, a.MemberID, err)
			if err != nil {
				return err
			}
		}
		return s.store.SavePahekoLink(ctx, store.PahekoLink{UID: a.UID, MemberID: a.MemberID, Name: a.Name, Email: a.Email})
	}
	return fmt.Errorf("membersync: unknown action %q", a.Kind)
}
