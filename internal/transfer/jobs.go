package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"assokit/internal/jobs"
	"assokit/internal/store"
)

// JobRun is the kind of the durable job that runs a transfer; its key is
// "transfer.<id>", so a transfer is queued once.
const JobRun = "transfer.run"

// jobAttempts is how often a transfer's job is tried before it fails: a
// transfer waits for Nextcloud's cron, which may be down for a while.
const jobAttempts = 50

// JobPayload is the payload of a transfer job.
type JobPayload struct {
	ID int64 `json:"id"`
}

// registerJobs registers the transfer job on the queue.
func (s *Service) registerJobs() { s.queue.Handle(JobRun, s.job) }

// enqueue queues the job that runs transfer id.
func (s *Service) enqueue(ctx context.Context, id int64) error {
	payload, _ := json.Marshal(JobPayload{ID: id})
	_, err := s.queue.EnqueueJob(ctx, store.NewJob{Kind: JobRun, Key: "transfer." + strconv.FormatInt(id, 10),
		MaxAttempts: jobAttempts, Payload: string(payload)})
	return err
}

// job runs the transfer named in j's payload. While the files wait for
// Nextcloud's background jobs, it gives its worker back: the job is due
// again after the poll interval (jobs.Later, not counted as an attempt), so
// that other jobs run meanwhile, for hours if need be. When the queue will
// not run it again (jobs.Final: a panic, an error retrying cannot fix, the
// last attempt used), the transfer fails with the error's code and its
// source is left as the admin found it (abandon) if Nextcloud lets it:
// else it would stay "running" for ever, and its source could never leave
// in another one.
func (s *Service) job(ctx context.Context, j store.Job) (err error) {
	var p JobPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return jobs.Permanent(fmt.Errorf("transfer job payload: %w", err))
	}
	defer func() {
		if ctx.Err() == nil && jobs.Final(j, err) {
			wctx := context.WithoutCancel(ctx)
			if aerr := s.abandon(wctx, p.ID, err); aerr != nil {
				s.log.ErrorContext(ctx, "transfer's source not disabled again", "transfer", p.ID, "error", aerr)
				s.st.SetTransferState(wctx, p.ID, "failed", ErrorCode(err))
			}
		}
	}()
	defer jobs.Recover(&err)
	err = s.Run(ctx, p.ID)
	if errors.Is(err, errWaiting) {
		return jobs.Later(s.opt.Poll)
	}
	return err
}

// Candidate is an account the admin can pick as source or target.
type Candidate struct {
	UID     string `json:"uid"`
	Name    string `json:"name"` // the display name, else the uid
	Email   string `json:"email"`
	Enabled bool   `json:"enabled"`
}

// Candidates lists, as admin, the accounts (200 at most) whose uid, name or
// e-mail contains q, ignoring case and accents ("lea" finds Léa, "Hélène"
// finds helene@…; all of them for an empty q), by name.
func (s *Service) Candidates(ctx context.Context, admin, q string) ([]Candidate, error) {
	accs, err := s.nc.As(admin).Accounts(ctx, 200)
	if err != nil {
		return nil, err
	}
	q = fold(strings.TrimSpace(q))
	out := []Candidate{}
	for _, a := range accs {
		p := Candidate{UID: a.ID, Name: a.DisplayName, Email: a.Email, Enabled: a.Enabled}
		if p.Name == "" {
			p.Name = a.ID
		}
		if q == "" || strings.Contains(fold(p.UID+" "+p.Name+" "+p.Email), q) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// fold is s in lower case without its accents, for searching as people
// type: "Léa" and "LEA" both fold to "lea".
func fold(s string) string {
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Recent lists the last 30 transfers, newest first (never nil).
func (s *Service) Recent(ctx context.Context) ([]store.Transfer, error) {
	list, err := s.st.RecentTransfers(ctx, 30)
	if list == nil {
		list = []store.Transfer{}
	}
	return list, err
}

// ItemView is one line of a transfer's report: the journal line and what
// the page tells about it.
type ItemView struct {
	store.TransferItem
	Folder   string `json:"folder,omitempty"`   // files: the folder they landed in, as Nextcloud named it
	CopyName string `json:"copyName,omitempty"` // calendars, address books: the copy's name at the target
	// HandedOver is true for a failed board or conversation that the
	// target got before its last step failed (handedOver): the page then
	// tells what the notifications tell.
	HandedOver bool `json:"handedOver,omitempty"`
}

// Detail is a transfer with its journal, for the progress view and the report.
type Detail struct {
	Transfer store.Transfer `json:"transfer"`
	Items    []ItemView     `json:"items"`
}

// Detail returns transfer id and its items; store.ErrNotFound when there is
// no such transfer.
func (s *Service) Detail(ctx context.Context, id int64) (Detail, error) {
	t, err := s.st.Transfer(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	items, err := s.st.TransferItems(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	out := Detail{Transfer: t, Items: []ItemView{}}
	for _, it := range items {
		var d itemData
		decode(it.Data, &d)
		v := ItemView{TransferItem: it, Folder: d.Folder, HandedOver: handedOver(it)}
		if it.Kind == "calendar" || it.Kind == "addressbook" {
			v.CopyName = d.Name
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
