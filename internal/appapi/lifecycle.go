package appapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// MainMenu is the name of AssoKit's top-menu entry; its page hosts every
// feature page.
const MainMenu = "assokit"

// Registration is one thing AssoKit registers in Nextcloud when enabled and
// removes when disabled.
type Registration struct {
	What       string // said to the admin when it fails
	Register   func(context.Context, *nextcloud.Client) error
	Unregister func(context.Context, *nextcloud.Client) error
}

// PahekoMenu is the name of the "Paheko" top-menu entry, which opens
// Paheko with single sign-on (or says who to ask).
const PahekoMenu = "paheko"

// ToursMenu is the name of the "Découvrir" top-menu entry: the guided tours.
const ToursMenu = "tours"

// TransferMenu is the name of the admin-only "Transferts" top-menu entry.
const TransferMenu = "transfers"

// Registrations is the list walked by Enable (in order) and Disable (in
// reverse): each top-menu entry with the script, style and initial state of
// its page, then the admin settings form. Their texts are English: Nextcloud
// shows them in the user's language from AssoKit's l10n/ (installed from
// the app-store archive or from translations_folder in --json-info).
func Registrations(appVersion string) []Registration {
	var regs []Registration
	for _, m := range TopMenus() {
		script := nextcloud.Asset{Type: "top_menu", Name: m.Name, Path: "js/assokit-main"}
		state := nextcloud.InitialState{Type: "top_menu", Name: m.Name, Key: "assokit",
			Value: map[string]any{"version": appVersion, "page": m.Name}}
		regs = append(regs,
			Registration{"the top-menu entry " + m.DisplayName, func(ctx context.Context, c *nextcloud.Client) error { return c.RegisterTopMenu(ctx, m) },
				func(ctx context.Context, c *nextcloud.Client) error { return c.UnregisterTopMenu(ctx, m.Name) }},
			Registration{"the page script", func(ctx context.Context, c *nextcloud.Client) error { return c.RegisterScript(ctx, script) },
				func(ctx context.Context, c *nextcloud.Client) error { return c.UnregisterScript(ctx, script) }},
			Registration{"the page style", func(ctx context.Context, c *nextcloud.Client) error { return c.RegisterStyle(ctx, script) },
				func(ctx context.Context, c *nextcloud.Client) error { return c.UnregisterStyle(ctx, script) }},
			Registration{"the page state", func(ctx context.Context, c *nextcloud.Client) error { return c.SetInitialState(ctx, state) },
				func(ctx context.Context, c *nextcloud.Client) error { return c.DeleteInitialState(ctx, state) }})
	}
	form := SettingsForm()
	return append(regs, Registration{"the settings form", func(ctx context.Context, c *nextcloud.Client) error { return c.RegisterSettingsForm(ctx, form) },
		func(ctx context.Context, c *nextcloud.Client) error { return c.UnregisterSettingsForm(ctx, form.ID) }})
}

// TopMenus are AssoKit's top-menu entries, named in English.
func TopMenus() []nextcloud.TopMenu {
	return []nextcloud.TopMenu{
		{Name: MainMenu, DisplayName: "AssoKit", Icon: "img/app-dark.svg"},
		{Name: PahekoMenu, DisplayName: "Paheko", Icon: "img/paheko-dark.svg"},
		{Name: ToursMenu, DisplayName: "Discover", Icon: "img/tours-dark.svg"},
		{Name: TransferMenu, DisplayName: "Transfers", Icon: "img/transfer-dark.svg", AdminRequired: 1},
	}
}

// Settings form field ids, read back with AppConfigValues.
const (
	SettingAssociationName = "assokit_association_name"
	SettingSupportContact  = "assokit_support_contact"
)

// SettingsForm is the admin form shown in Nextcloud's "ExApps" settings.
func SettingsForm() nextcloud.SettingsForm {
	return nextcloud.SettingsForm{
		ID: "assokit_admin", Priority: 10, SectionType: "admin", SectionID: "declarative_settings",
		Title:       "AssoKit",
		Description: "Association settings used by AssoKit's pages.",
		Fields: []nextcloud.SettingsField{
			{ID: SettingAssociationName, Title: "Association name", Type: "text", Default: "",
				Description: "Shown at the top of AssoKit's pages."},
			{ID: SettingSupportContact, Title: "Who members should ask for help", Type: "text", Default: "",
				Description: "A name or an e-mail address, shown to members who need access.",
				Placeholder: "contact@association.example"},
		},
	}
}

// Lifecycle answers AppAPI's /init and /enabled calls. It owns the init job.
type Lifecycle struct {
	nc    *nextcloud.Client // acting as the ExApp itself
	st    *store.Store
	queue *jobs.Queue
	regs  []Registration
	log   *slog.Logger
}

// NewLifecycle returns the lifecycle for regs, registered through nc, and
// registers the init job (JobInit) on q.
func NewLifecycle(nc *nextcloud.Client, st *store.Store, q *jobs.Queue, regs []Registration, log *slog.Logger) *Lifecycle {
	l := &Lifecycle{nc: nc.As(""), st: st, queue: q, regs: regs, log: log}
	l.registerJobs()
	return l
}

// Enable registers everything, in order; registering is an upsert, so
// enabling twice is harmless. It returns a short message for the admin, or
// "" when all went well; what was registered before a failure is removed.
func (l *Lifecycle) Enable(ctx context.Context) string {
	for i, r := range l.regs {
		if err := r.Register(ctx, l.nc); err != nil {
			l.log.ErrorContext(ctx, "enable failed", "what", r.What, "error", err)
			l.walkBack(ctx, l.regs[:i])
			return fmt.Sprintf("AssoKit could not register %s in Nextcloud: %s", r.What, summary(err))
		}
	}
	return ""
}

// Disable removes everything, in reverse order; what is already gone counts
// as removed. It returns a short message for the admin, or "".
func (l *Lifecycle) Disable(ctx context.Context) string {
	if failed := l.walkBack(ctx, l.regs); failed != "" {
		return "AssoKit could not remove " + failed + " from Nextcloud."
	}
	return ""
}

// SetEnabled answers PUT /enabled: it enables (on) or disables AssoKit and
// records the state in the store. It returns a short message for the admin,
// or "" when all went well.
func (l *Lifecycle) SetEnabled(ctx context.Context, on bool) string {
	msg, state := l.Disable, "0"
	if on {
		msg, state = l.Enable, "1"
	}
	if m := msg(ctx); m != "" {
		return m
	}
	if err := l.st.SetSetting(ctx, "enabled", state); err != nil {
		return "AssoKit could not write to its database."
	}
	return ""
}

func (l *Lifecycle) walkBack(ctx context.Context, regs []Registration) (failed string) {
	for i := len(regs) - 1; i >= 0; i-- {
		err := regs[i].Unregister(ctx, l.nc)
		if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			l.log.ErrorContext(ctx, "unregister failed", "what", regs[i].What, "error", err)
			failed = regs[i].What
		}
	}
	return failed
}

// Init runs AssoKit's initialisation after /init: it checks that Nextcloud
// answers, reports progress, and reports 100 at the end. Nextcloud enables
// the app while that last report is under way (it calls /heartbeat and
// /enabled meanwhile), so the report may take a minute.
func (l *Lifecycle) Init(ctx context.Context, steps ...func(context.Context) error) error {
	report := func(p int, msg string) error {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return l.nc.SetInitProgress(rctx, p, msg)
	}
	if err := report(0, ""); err != nil {
		return fmt.Errorf("report init progress: %w", err)
	}
	for i, step := range steps {
		if err := step(ctx); err != nil {
			if rerr := report(0, "AssoKit could not start: "+summary(err)); rerr != nil {
				l.log.ErrorContext(ctx, "report init failure", "error", rerr)
			}
			return fmt.Errorf("init step %d: %w", i+1, err)
		}
		if err := report(10+80*(i+1)/len(steps), ""); err != nil {
			return fmt.Errorf("report init progress: %w", err)
		}
	}
	if err := report(100, ""); err != nil {
		return fmt.Errorf("report init done: %w", err)
	}
	return nil
}

// summary is a short text for an admin: no URL, no body.
func summary(err error) string {
	switch {
	case errors.Is(err, nextcloud.ErrUnauthorized):
		return "Nextcloud refused AssoKit's credentials (is APP_SECRET the one Nextcloud knows?)."
	case errors.Is(err, nextcloud.ErrUnreachable):
		return "Nextcloud did not answer."
	case errors.Is(err, context.DeadlineExceeded):
		return "Nextcloud took too long to answer."
	}
	return "unexpected answer from Nextcloud."
}
