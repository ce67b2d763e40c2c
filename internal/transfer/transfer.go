package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// Options tune a Service. Zero values take the defaults in brackets.
type Options struct {
	Poll        time.Duration // how often to look for the files app's notifications [30s]
	FilesWait   time.Duration // how long to wait for Nextcloud's background jobs [24h]
	Concurrency int           // objects copied at once per collection [8]
}

// Service inventories and runs transfers.
type Service struct {
	st    *store.Store
	nc    *nextcloud.Client
	queue *jobs.Queue
	log   *slog.Logger
	opt   Options

	// afterStep, when set (tests), is called after each journaled step;
	// an error stops the run there, as a crash would.
	afterStep func(item store.TransferItem) error
}

// New returns a Service acting on Nextcloud through nc and registers its
// job (JobRun) on q.
func New(st *store.Store, nc *nextcloud.Client, q *jobs.Queue, log *slog.Logger, opt Options) *Service {
	if opt.Poll <= 0 {
		opt.Poll = 30 * time.Second
	}
	if opt.FilesWait <= 0 {
		opt.FilesWait = 24 * time.Hour
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	s := &Service{st: st, nc: nc, queue: q, log: log, opt: opt}
	s.registerJobs()
	return s
}

// Choice is what the admin chose to move.
type Choice struct {
	AllFiles      bool     `json:"allFiles"`     // the whole home in one files transfer
	Folders       []string `json:"folders"`      // or these top-level files and folders
	Calendars     []string `json:"calendars"`    // paths from the inventory
	AddressBooks  []string `json:"addressBooks"` // paths from the inventory
	DisableSource bool     `json:"disableSource"`
	BeyondChoice           // Deck boards and Talk conversations
}

// itemData is what the steps of an item keep in its journal line.
type itemData struct {
	Name       string             `json:"name,omitempty"`       // calendar or address book display name
	TargetURI  string             `json:"targetUri,omitempty"`  // collection created for the target
	TargetPath string             `json:"targetPath,omitempty"` // its path
	Components []string           `json:"components,omitempty"`
	Sharees    []nextcloud.Sharee `json:"sharees,omitempty"`
	FilesID    string             `json:"filesId,omitempty"`    // the files app's transfer id
	WaitSince  int64              `json:"waitSince,omitempty"`  // unix time the files step began waiting
	ExportPath string             `json:"exportPath,omitempty"` // the .vcf saved in the target's files
	Beyond     *beyondData        `json:"beyond,omitempty"`     // a board or a conversation
}

// Start checks the choice against a fresh inventory, records the transfer
// and its journal, queues the job (JobRun) that runs it, and returns the
// transfer's id.
func (s *Service) Start(ctx context.Context, admin, source, target string, ch Choice) (int64, error) {
	for _, uid := range []string{source, target} {
		if _, err := s.st.ActiveTransferOf(ctx, uid); err == nil {
			return 0, ErrBusy
		} else if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
	}
	inv, err := s.Inventory(ctx, admin, source, target)
	if err != nil {
		return 0, err
	}
	targetCals, err := s.nc.As(target).Collections(ctx, nextcloud.Calendars)
	if err != nil {
		return 0, err
	}
	targetBooks, err := s.nc.As(target).Collections(ctx, nextcloud.AddressBooks)
	if err != nil {
		return 0, err
	}
	var items []store.TransferItem
	add := func(kind, ref, label string, d itemData) {
		raw, _ := json.Marshal(d)
		items = append(items, store.TransferItem{Kind: kind, Ref: ref, Label: label, Data: string(raw)})
	}
	if ch.AllFiles {
		add("files", "/", "", itemData{})
	} else {
		for _, f := range ch.Folders {
			if !hasFile(inv.Files, f) {
				return 0, fmt.Errorf("%w: %s", ErrNotInInventory, f)
			}
			add("files", f, strings.TrimPrefix(f, "/"), itemData{})
		}
	}
	taken := map[string]bool{}
	for _, c := range targetCals {
		taken[c.URI] = true
	}
	for _, p := range ch.Calendars {
		c, ok := findCalendar(inv.Calendars, p)
		if !ok {
			return 0, fmt.Errorf("%w: %s", ErrNotInInventory, p)
		}
		uri := freeURI(c.URI+"-"+source, taken)
		add("calendar", c.Path, c.Name, itemData{Name: c.Name + " (" + inv.Source.Name + ")", TargetURI: uri, Components: c.components, Sharees: c.sharees})
	}
	taken = map[string]bool{}
	for _, b := range targetBooks {
		taken[b.URI] = true
	}
	for _, p := range ch.AddressBooks {
		b, ok := findBook(inv.AddressBooks, p)
		if !ok {
			return 0, fmt.Errorf("%w: %s", ErrNotInInventory, p)
		}
		uri := freeURI(b.URI+"-"+source, taken)
		add("addressbook", b.Path, b.Name, itemData{Name: b.Name + " (" + inv.Source.Name + ")", TargetURI: uri})
	}
	beyond, err := beyondItems(inv.BeyondFiles, ch.BeyondChoice, inv.Source.Name)
	if err != nil {
		return 0, err
	}
	items = append(items, beyond...)
	if len(items) == 0 {
		return 0, ErrNothing
	}
	if ch.DisableSource {
		add("disable", source, inv.Source.Name, itemData{})
	}
	id, err := s.st.CreateTransfer(ctx, store.Transfer{Source: source, Target: target, Admin: admin}, items)
	if err != nil {
		return 0, err
	}
	return id, s.enqueue(ctx, id)
}

func hasFile(files []FileEntry, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

func findCalendar(cals []CalendarInfo, p string) (CalendarInfo, bool) {
	for _, c := range cals {
		if c.Path == p {
			return c, true
		}
	}
	return CalendarInfo{}, false
}

func findBook(books []BookInfo, p string) (BookInfo, bool) {
	for _, b := range books {
		if b.Path == p {
			return b, true
		}
	}
	return BookInfo{}, false
}

var uriUnsafe = regexp.MustCompile(`[^a-z0-9_-]+`)

// freeURI returns a collection URI based on want that is not taken yet, and
// takes it.
func freeURI(want string, taken map[string]bool) string {
	base := strings.Trim(uriUnsafe.ReplaceAllString(strings.ToLower(want), "-"), "-")
	if base == "" {
		base = "transfer"
	}
	uri := base
	for i := 2; taken[uri]; i++ {
		uri = fmt.Sprintf("%s-%d", base, i)
	}
	taken[uri] = true
	return uri
}

// recovering returns f with a panic turned into an error matching
// jobs.ErrPanicked: for the goroutines of an errgroup, whose panics nothing
// else would recover.
func recovering(f func() error) func() error {
	return func() (err error) {
		defer jobs.Recover(&err)
		return f()
	}
}

// errStop ends a run early without failing the item: the afterStep hook
// of tests returns it to play a crash.
var errStop = errors.New("transfer: stopped")

// Run runs (or resumes) transfer id from its journal: every item not done
// yet goes on from its last step. Files transfers are requested and
// accepted first, so that Nextcloud's background jobs move them while
// calendars and address books are copied; then Run waits for them. An item
// that fails for good is recorded as failed and the others go on; an error
// that may pass (Nextcloud unreachable) is returned, and the job queue runs
// Run again later.
func (s *Service) Run(ctx context.Context, id int64) error {
	t, err := s.st.Transfer(ctx, id)
	if err != nil {
		return err
	}
	if t.State == "done" || t.State == "partial" || t.State == "failed" {
		return nil
	}
	if err := s.st.SetTransferState(ctx, id, "running", ""); err != nil {
		return err
	}
	items, err := s.st.TransferItems(ctx, id)
	if err != nil {
		return err
	}
	src, dst, err := s.people(ctx, t.Admin, t.Source, t.Target)
	if err != nil {
		if errors.Is(err, ErrUnknownAccount) || errors.Is(err, ErrTargetDisabled) || errors.Is(err, ErrSameAccount) {
			s.st.SetTransferState(ctx, id, "failed", ErrorCode(err))
			return nil
		}
		return err
	}
	r := &run{s: s, t: t, src: src, dst: dst}
	// Phases: files up to "accepted", then collections, boards and
	// conversations, then the wait for files, then the last steps.
	phases := []func(context.Context, *store.TransferItem) error{r.filesStart, r.collection, r.discover, r.board, r.conversation, r.filesWait, r.disable}
	for _, phase := range phases {
		// A phase may add items (discover): each starts from the journal.
		if items, err = s.st.TransferItems(ctx, id); err != nil {
			return err
		}
		for i := range items {
			it := &items[i]
			if it.State == "done" || it.State == "failed" {
				continue
			}
			if err := phase(ctx, it); err != nil {
				if errors.Is(err, errStop) || !permanent(err) {
					return err
				}
				it.State, it.Error = "failed", ErrorCode(err)
				s.log.WarnContext(ctx, "transfer item failed", "transfer", id, "item", it.Seq, "kind", it.Kind, "error", err)
				if err := s.st.SaveTransferItem(ctx, *it); err != nil {
					return err
				}
			}
		}
	}
	return r.finish(ctx, items)
}

// permanent reports whether err cannot pass by trying again later.
func permanent(err error) bool {
	var ne *nextcloud.Error
	if errors.As(err, &ne) {
		if ne.StatusCode == http.StatusInsufficientStorage {
			return true
		}
		return ne.Permanent()
	}
	return errors.Is(err, errMismatch) || errors.Is(err, errBoardNotOwned) || errors.Is(err, errNoModerator) ||
		errors.Is(err, nextcloud.ErrSameUID) || errors.Is(err, nextcloud.ErrExists) ||
		errors.Is(err, errFilesFailed) || errors.Is(err, errFilesTimeout) || errors.Is(err, errSkipped) ||
		errors.Is(err, jobs.ErrPanicked)
}

// run is one execution of a transfer.
type run struct {
	s        *Service
	t        store.Transfer
	src, dst Person
}

// save journals a step of it, then lets the test hook stop the run there.
func (r *run) save(ctx context.Context, it *store.TransferItem, step, state string, d *itemData) error {
	if d != nil {
		raw, _ := json.Marshal(d)
		it.Data = string(raw)
	}
	it.Step, it.State = step, state
	if err := r.s.st.SaveTransferItem(ctx, *it); err != nil {
		return err
	}
	if r.s.afterStep != nil {
		return r.s.afterStep(*it)
	}
	return nil
}

func (r *run) data(it *store.TransferItem) itemData {
	var d itemData
	json.Unmarshal([]byte(it.Data), &d)
	return d
}

// finish sets the transfer's final state and notifies the two accounts and
// the admin.
func (r *run) finish(ctx context.Context, items []store.TransferItem) error {
	failed := 0
	for _, it := range items {
		if it.State == "failed" {
			failed++
		}
	}
	state := "done"
	if failed == len(items) {
		state = "failed"
	} else if failed > 0 {
		state = "partial"
	}
	if err := r.s.st.SetTransferState(ctx, r.t.ID, state, ""); err != nil {
		return err
	}
	r.notify(ctx, state, failed, len(items))
	return nil
}
