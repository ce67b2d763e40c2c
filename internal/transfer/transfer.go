package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
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
	AllFiles     bool     `json:"allFiles"`     // the whole home in one files transfer
	Folders      []string `json:"folders"`      // or these top-level files and folders
	Calendars    []string `json:"calendars"`    // URIs from the inventory
	AddressBooks []string `json:"addressBooks"` // URIs from the inventory
	// EnableSource, for a disabled source, enables it for the duration of
	// the transfer (Nextcloud refuses a disabled account's files transfer
	// and shares) and disables it again at the end, whatever happened.
	EnableSource  bool `json:"enableSource"`
	DisableSource bool `json:"disableSource"`
	BeyondChoice       // Deck boards and Talk conversations
}

// itemData is what the steps of an item keep in its journal line.
type itemData struct {
	Name       string             `json:"name,omitempty"`      // name of the copy
	TargetURI  string             `json:"targetUri,omitempty"` // collection created for the target
	Color      string             `json:"color,omitempty"`
	Components []string           `json:"components,omitempty"`
	Sharees    []nextcloud.Sharee `json:"sharees,omitempty"`
	FilesID    string             `json:"filesId,omitempty"`   // the files app's transfer id
	WaitSince  int64              `json:"waitSince,omitempty"` // unix time the files step began waiting
	// TooBig: the chosen files exceeded the target's free space when the
	// transfer started, so a failure of the files step is likely for lack
	// of space (Nextcloud's notification does not say why, fixtures 389–391).
	TooBig     bool        `json:"tooBig,omitempty"`
	Before     []string    `json:"before,omitempty"`     // the target's top-level folders the files cannot have landed in (see holding)
	BeforeRead bool        `json:"beforeRead,omitempty"` // Before was read, maybe empty
	Folder     string      `json:"folder,omitempty"`     // the one the files landed in, as Nextcloud named it
	ExportPath string      `json:"exportPath,omitempty"` // the .vcf saved in the target's files
	Always     bool        `json:"always,omitempty"`     // disable: also when an item failed (the source was disabled before)
	Beyond     *beyondData `json:"beyond,omitempty"`     // a board, a conversation, or their discovery
}

// Start checks the choice against a fresh inventory, records the transfer
// and its journal, queues the job (JobRun) that runs it, and returns the
// transfer's id. "All files" of a home with nothing of its own moves
// nothing (ErrNothing if nothing else is chosen). The store refuses a second active transfer of the same
// source, and a source of an active transfer as a target (ErrBusy).
func (s *Service) Start(ctx context.Context, admin, source, target string, ch Choice) (int64, error) {
	inv, err := s.Inventory(ctx, admin, source, target)
	if err != nil {
		return 0, err
	}
	wasDisabled := !inv.Source.Enabled
	filesChosen := ch.AllFiles || len(ch.Folders) > 0
	if wasDisabled && (filesChosen || ch.BeyondChoice.chosen()) && !ch.EnableSource {
		return 0, ErrSourceDisabled
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
	enable := wasDisabled && ch.EnableSource
	if enable {
		add("enable", source, inv.Source.Name, itemData{})
	}
	switch {
	case ch.AllFiles && len(inv.Files) == 0:
		// An empty home (or one holding only mounts, which stay): nothing
		// for Nextcloud's transfer to move, and nothing to wait for, since
		// an empty home looks the same before and after it.
	case ch.AllFiles:
		add("files", "/", "", itemData{TooBig: tooBig(inv.FilesSize, inv.Target)})
	default:
		for _, f := range distinct(ch.Folders) {
			e, ok := findFile(inv.Files, f)
			if !ok {
				return 0, fmt.Errorf("%w: %s", ErrNotInInventory, f)
			}
			add("files", f, strings.TrimPrefix(f, "/"), itemData{TooBig: tooBig(e.Size, inv.Target)})
		}
	}
	for _, kind := range []string{nextcloud.Calendars, nextcloud.AddressBooks} {
		mine, chosen, theirs, item := inv.Calendars, ch.Calendars, targetCals, "calendar"
		if kind == nextcloud.AddressBooks {
			mine, chosen, theirs, item = inv.AddressBooks, ch.AddressBooks, targetBooks, "addressbook"
		}
		uris, names := map[string]bool{}, map[string]bool{}
		for _, c := range theirs {
			uris[c.URI] = true
			if c.Owner == target && !c.Deleted {
				names[c.Name] = true
			}
		}
		for _, uri := range distinct(chosen) {
			c, ok := findCollection(mine, uri)
			if !ok {
				return 0, fmt.Errorf("%w: %s", ErrNotInInventory, uri)
			}
			name := freeName(c.Name, inv.Source.Name, names)
			add(item, c.URI, c.Name, itemData{Name: name, TargetURI: freeURI(c.URI, uris), Color: c.Color,
				Components: c.components, Sharees: shareesFor(c.Sharees, target)})
		}
	}
	beyond, err := beyondItems(inv.BeyondFiles, ch.BeyondChoice, inv.Source.Name)
	if err != nil {
		return 0, err
	}
	items = append(items, beyond...)
	if len(items) == 0 || (enable && len(items) == 1) {
		return 0, ErrNothing
	}
	// A source left disabled for the transfer (DAV only) is disabled
	// already: no step, and nobody is told it is being disabled.
	if (ch.DisableSource && !wasDisabled) || enable {
		add("disable", source, inv.Source.Name, itemData{Always: enable})
	}
	id, err := s.st.CreateTransfer(ctx, store.Transfer{Source: source, Target: target, Admin: admin, SourceWasDisabled: wasDisabled}, items)
	if errors.Is(err, store.ErrBusy) {
		return 0, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	if err != nil {
		return 0, err
	}
	return id, s.enqueue(ctx, id)
}

// distinct returns list without its repeats, in order: a folder or a
// calendar chosen twice is moved once (twice, a calendar would be copied
// again from the source's trash bin, where Nextcloud still serves it).
func distinct(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// tooBig reports whether size bytes exceed what target has free.
func tooBig(size int64, target Person) bool { return !target.Unlimited && size > target.Free }

// shareesFor is the sharees a copy owned by target gets: every one of the
// source's, except target itself.
func shareesFor(sharees []nextcloud.Sharee, target string) []nextcloud.Sharee {
	var out []nextcloud.Sharee
	for _, sh := range sharees {
		if sh.Kind() != "user" || sh.ID() != target {
			out = append(out, sh)
		}
	}
	return out
}

func findFile(files []FileEntry, p string) (FileEntry, bool) {
	for _, f := range files {
		if f.Path == p {
			return f, true
		}
	}
	return FileEntry{}, false
}

func findCollection(colls []CalendarInfo, uri string) (CalendarInfo, bool) {
	for _, c := range colls {
		if c.URI == uri {
			return c, true
		}
	}
	return CalendarInfo{}, false
}

// freeName returns the name a copy of a collection named want gets: want
// itself unless one of the target's own collections (taken) has it, then
// "want (source)", then "want (source) 2", 3…; it takes the name.
func freeName(want, source string, taken map[string]bool) string {
	name := want
	if taken[name] {
		name = want + " (" + source + ")"
	}
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s (%s) %d", want, source, i)
	}
	taken[name] = true
	return name
}

// uriSafe returns s in lower case with each run of characters other than
// a-z, 0-9, _ and - replaced by one -.
func uriSafe(s string) string {
	var b strings.Builder
	run := false
	for _, c := range []byte(strings.ToLower(s)) {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			run = false
		} else if !run {
			b.WriteByte('-')
			run = true
		}
	}
	return b.String()
}

// freeURI returns a collection URI based on want that is not taken yet, and
// takes it.
func freeURI(want string, taken map[string]bool) string {
	base := strings.Trim(uriSafe(want), "-")
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

// errWaiting ends a run while files wait for Nextcloud's background jobs:
// Run is to be called again later.
var errWaiting = errors.New("transfer: waiting for Nextcloud's background jobs")

// Run runs (or resumes) transfer id from its journal: every item not done
// yet goes on from its last step. A source disabled before is enabled
// first when the admin chose so. Files transfers are requested and
// accepted, so that Nextcloud's background jobs move them while calendars
// and address books are copied; then Run looks once whether they moved and,
// if not yet, returns errWaiting. An item that fails for good is recorded
// as failed and the others go on; an error that may pass (Nextcloud
// unreachable) is returned, and the job queue runs Run again later.
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
	src, dst, err := s.people(ctx, t.Admin, t.Source, t.Target)
	if err != nil {
		if errors.Is(err, ErrUnknownAccount) || errors.Is(err, ErrTargetDisabled) || errors.Is(err, ErrSameAccount) {
			return s.abandon(ctx, id, err)
		}
		return err
	}
	r := &run{s: s, t: t, src: src, dst: dst}
	var items []store.TransferItem
	// Enabling a disabled source, files up to "accepted", then collections,
	// the boards and conversations (listed first for a source that was
	// disabled), then the files' outcome; then the notifications, sent while
	// the source can still receive one; then disabling it.
	for _, phase := range []phase{r.enable, r.filesStart, r.collection, r.discover, r.board, r.conversation, r.filesWait} {
		if items, err = r.each(ctx, phase); err != nil {
			return err
		}
	}
	if err := r.notify(ctx, items); err != nil {
		return err
	}
	if items, err = r.each(ctx, r.disable); err != nil {
		return err
	}
	return r.finish(ctx, items)
}

// abandon ends transfer id as failed for cause, when it cannot go on:
// first a source that was disabled before is disabled again, if it still
// exists, so that it is left as the admin found it (an error doing so is
// returned and the state is left unchanged). The items keep their journal:
// nothing was deleted at the source before its copy was verified.
func (s *Service) abandon(ctx context.Context, id int64, cause error) error {
	t, err := s.st.Transfer(ctx, id)
	if err != nil {
		return err
	}
	if t.State == "done" || t.State == "partial" || t.State == "failed" {
		return nil
	}
	if t.SourceWasDisabled {
		if err := s.nc.As(t.Admin).SetAccountEnabled(ctx, t.Source, false); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			return err
		}
	}
	return s.st.SetTransferState(ctx, id, "failed", ErrorCode(cause))
}

// phase is one step of a run, applied to each item still to do; it does
// nothing to the items it is not about.
type phase func(context.Context, *store.TransferItem) error

// each applies ph to every item not done or failed yet, read from the
// journal (a phase may add items: discover), and returns them. An item that
// fails for good is recorded as failed and the others go on; an error that
// may pass (or the tests' errStop) ends the run at once; errWaiting is
// returned once every item had its turn.
func (r *run) each(ctx context.Context, ph phase) ([]store.TransferItem, error) {
	items, err := r.s.st.TransferItems(ctx, r.t.ID)
	if err != nil {
		return nil, err
	}
	waiting := false
	for i := range items {
		it := &items[i]
		if it.State == "done" || it.State == "failed" {
			continue
		}
		err := ph(ctx, it)
		switch {
		case err == nil:
		case errors.Is(err, errWaiting):
			waiting = true
		case errors.Is(err, errStop) || !permanent(err):
			return items, err
		default:
			it.State, it.Error = "failed", ErrorCode(err)
			r.s.log.WarnContext(ctx, "transfer item failed", "transfer", r.t.ID, "item", it.Seq, "kind", it.Kind, "error", err)
			if err := r.s.st.SaveTransferItem(ctx, *it); err != nil {
				return items, err
			}
		}
	}
	if waiting {
		return items, errWaiting
	}
	return items, nil
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
		errors.Is(err, errDeckDisabled) || errors.Is(err, errTalkDisabled) ||
		errors.Is(err, nextcloud.ErrSameUID) || errors.Is(err, nextcloud.ErrExists) ||
		errors.Is(err, errFilesFailed) || errors.Is(err, errFilesNoSpace) || errors.Is(err, errFilesTimeout) || errors.Is(err, errSkipped) ||
		errors.Is(err, jobs.ErrPanicked) || errors.Is(err, nextcloud.ErrTooLarge)
}

// run is one execution of a transfer.
type run struct {
	s        *Service
	t        store.Transfer
	src, dst Person
	apps     *nextcloud.OptionalApps // read by appOn, once
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
	decode(it.Data, &d)
	return d
}

// decode reads an item's journal data; a line written by no step yet is
// empty data.
func decode(raw string, d *itemData) { json.Unmarshal([]byte(raw), d) }

// finish sets the transfer's final state.
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
	return r.s.st.SetTransferState(ctx, r.t.ID, state, "")
}
