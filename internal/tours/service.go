package tours

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"assokit/internal/errcode"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// Settings keys in the store.
const (
	keyDisabled = "tours.disabled" // comma-separated ids of built-in tours switched off
	keyCustom   = "tours.custom"   // the association's own tour, JSON
	keyBaseline = "tours.baseline" // set once the first account poll recorded the existing accounts
)

// CustomID is the id of the association's own tour.
const CustomID = "association"

// PagePath is the path of the "Découvrir" page, where the welcome
// notification leads.
const PagePath = "/index.php/apps/app_api/embedded/assokit/tours"

// Errors shown to users as stable codes.
var (
	ErrUnknownTour  = errcode.New("tour_unknown", "tours: no such tour")
	ErrInvalidInput = errcode.New("tour_invalid", "tours: invalid input")
)

// Options tune the service; zero values take defaults.
type Options struct {
	Poll        time.Duration                    // account polling for the welcome (default one minute)
	Association func(ctx context.Context) string // the association's name, for the welcome ("" if unknown)
}

// Service serves the tours, the members' progress and the welcome. It is
// safe for concurrent use.
type Service struct {
	catalog *Catalog
	store   *store.Store
	nc      *nextcloud.Client
	log     *slog.Logger
	opts    Options
}

// New returns the service over the embedded catalogue.
func New(st *store.Store, nc *nextcloud.Client, log *slog.Logger, opts Options) (*Service, error) {
	c, err := Load()
	if err != nil {
		return nil, err
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Minute
	}
	if opts.Association == nil {
		opts.Association = func(context.Context) string { return "" }
	}
	return &Service{catalog: c, store: st, nc: nc.As(""), log: log, opts: opts}, nil
}

// Member is who asks for the tours: their uid, Nextcloud language and groups.
type Member struct {
	UID    string
	Lang   string
	Groups []string
}

// Listing is what the "Découvrir" page shows a member.
type Listing struct {
	Tours    []Tour                        `json:"tours"`
	Progress map[string]store.TourProgress `json:"progress"`
	Offer    bool                          `json:"offer"` // false: the member chose not to be offered tours
}

// List returns the tours this member may take (switched on by the admins,
// and for their groups), their progress and their choice. Which of them
// match apps enabled on this Nextcloud is for the page to say: it knows
// the member's navigation.
func (s *Service) List(ctx context.Context, m Member) (Listing, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return Listing{}, err
	}
	var out Listing
	for _, t := range s.catalog.Tours(Language(m.Lang)) {
		if cfg.disabled[t.ID] || (len(t.Groups) > 0 && !slices.ContainsFunc(t.Groups, func(g string) bool { return slices.Contains(m.Groups, g) })) {
			continue
		}
		out.Tours = append(out.Tours, t)
	}
	if cfg.custom.Enabled && len(cfg.custom.Steps) > 0 {
		out.Tours = append([]Tour{cfg.custom.tour()}, out.Tours...)
	}
	if out.Progress, err = s.store.TourProgress(ctx, m.UID); err != nil {
		return Listing{}, err
	}
	noOffer, err := s.store.TourNoOffer(ctx, m.UID)
	out.Offer = !noOffer
	return out, err
}

// Progress is where a member stands in one tour: "done" or "skipped" at a
// step (0-based).
type Progress = store.TourProgress

// SaveProgress records that the member finished ("done") or left
// ("skipped") a tour at step (0-based). A tour done stays done.
func (s *Service) SaveProgress(ctx context.Context, uid, tourID string, p store.TourProgress) error {
	steps, err := s.stepCount(ctx, tourID)
	if err != nil {
		return err
	}
	if (p.State != "done" && p.State != "skipped") || p.Step < 0 || p.Step >= steps {
		return fmt.Errorf("%w: progress", ErrInvalidInput)
	}
	return s.store.SetTourProgress(ctx, uid, tourID, p)
}

func (s *Service) stepCount(ctx context.Context, tourID string) (int, error) {
	if tourID == CustomID {
		cfg, err := s.config(ctx)
		if err != nil {
			return 0, err
		}
		if !cfg.custom.Enabled || len(cfg.custom.Steps) == 0 {
			return 0, ErrUnknownTour
		}
		return len(cfg.custom.Steps), nil
	}
	for _, t := range s.catalog.structure {
		if t.ID == tourID {
			return len(t.Steps), nil
		}
	}
	return 0, ErrUnknownTour
}

// SetOffer stores the member's choice to be offered tours or not.
func (s *Service) SetOffer(ctx context.Context, uid string, offer bool) error {
	return s.store.SetTourNoOffer(ctx, uid, !offer)
}

// CustomStep is one step of the association's tour: text only, shown
// centred over the tour's page.
type CustomStep struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// CustomTour is the tour an admin writes for the association, in the
// association's own words (one language).
type CustomTour struct {
	Enabled bool         `json:"enabled"`
	Title   string       `json:"title"`
	Summary string       `json:"summary"`
	Page    string       `json:"page"` // optional Nextcloud page shown behind the steps
	Steps   []CustomStep `json:"steps"`
}

func (c CustomTour) tour() Tour {
	t := Tour{ID: CustomID, Page: c.Page, Title: c.Title, Summary: c.Summary}
	for i, s := range c.Steps {
		t.Steps = append(t.Steps, Step{ID: fmt.Sprintf("s%d", i+1), Title: s.Title, Body: s.Body})
	}
	return t
}

// check trims the texts and enforces the limits the page shows.
func (c *CustomTour) check() error {
	c.Title, c.Summary, c.Page = strings.TrimSpace(c.Title), strings.TrimSpace(c.Summary), strings.TrimSpace(c.Page)
	bad := func(what string) error { return fmt.Errorf("%w: association tour %s", ErrInvalidInput, what) }
	if len(c.Steps) == 0 && !c.Enabled && c.Title == "" {
		return nil // nothing written yet
	}
	if c.Title == "" || utf8.RuneCountInString(c.Title) > 80 {
		return bad("title")
	}
	if utf8.RuneCountInString(c.Summary) > 200 {
		return bad("summary")
	}
	if CheckPage(c.Page) != nil {
		return bad("page")
	}
	if len(c.Steps) == 0 || len(c.Steps) > MaxSteps {
		return bad("steps")
	}
	for i := range c.Steps {
		st := &c.Steps[i]
		st.Title, st.Body = strings.TrimSpace(st.Title), strings.TrimSpace(st.Body)
		if st.Title == "" || utf8.RuneCountInString(st.Title) > 80 || st.Body == "" || utf8.RuneCountInString(st.Body) > 600 {
			return bad(fmt.Sprintf("step %d", i+1))
		}
	}
	return nil
}

// AdminView is what the admins see and change: every built-in tour (in
// their language, with selectors, for the check), which are on, and the
// association's tour.
type AdminView struct {
	Tours   []Tour          `json:"tours"`
	Enabled map[string]bool `json:"enabled"`
	Custom  CustomTour      `json:"custom"`
}

// AdminSettings is what an admin saves.
type AdminSettings struct {
	Enabled map[string]bool `json:"enabled"`
	Custom  CustomTour      `json:"custom"`
}

// Admin returns the admin view with texts in lang.
func (s *Service) Admin(ctx context.Context, lang string) (AdminView, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return AdminView{}, err
	}
	v := AdminView{Tours: s.catalog.Tours(Language(lang)), Enabled: map[string]bool{}, Custom: cfg.custom}
	for _, t := range v.Tours {
		v.Enabled[t.ID] = !cfg.disabled[t.ID]
	}
	return v, nil
}

// SaveAdmin stores which tours are on and the association's tour, both or
// neither. Tours absent from Enabled keep their state.
func (s *Service) SaveAdmin(ctx context.Context, in AdminSettings) error {
	cfg, err := s.config(ctx)
	if err != nil {
		return err
	}
	for id, on := range in.Enabled {
		if !slices.ContainsFunc(s.catalog.structure, func(t Tour) bool { return t.ID == id }) {
			return fmt.Errorf("%w: %s", ErrUnknownTour, id)
		}
		cfg.disabled[id] = !on
	}
	if err := in.Custom.check(); err != nil {
		return err
	}
	var off []string
	for _, t := range s.catalog.structure {
		if cfg.disabled[t.ID] {
			off = append(off, t.ID)
		}
	}
	custom, err := json.Marshal(in.Custom)
	if err != nil {
		return err
	}
	return s.store.SetSettings(ctx, map[string]string{keyDisabled: strings.Join(off, ","), keyCustom: string(custom)})
}

type config struct {
	disabled map[string]bool
	custom   CustomTour
}

func (s *Service) config(ctx context.Context) (config, error) {
	v, err := s.store.SettingsWithPrefix(ctx, "tours.")
	if err != nil {
		return config{}, err
	}
	cfg := config{disabled: map[string]bool{}}
	for _, id := range strings.Split(v[keyDisabled], ",") {
		if id != "" {
			cfg.disabled[id] = true
		}
	}
	if v[keyCustom] != "" {
		if err := json.Unmarshal([]byte(v[keyCustom]), &cfg.custom); err != nil {
			return config{}, fmt.Errorf("tours: stored association tour: %w", err)
		}
	}
	if cfg.custom.Steps == nil {
		cfg.custom.Steps = []CustomStep{}
	}
	return cfg, nil
}
