package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

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
func (s *Service) registerJobs() {
	s.queue.Handle(JobRun, func(ctx context.Context, j store.Job) error { return s.Job(ctx, j.Payload) })
}

// enqueue queues the job that runs transfer id.
func (s *Service) enqueue(ctx context.Context, id int64) error {
	payload, _ := json.Marshal(JobPayload{ID: id})
	_, err := s.queue.EnqueueJob(ctx, store.NewJob{Kind: JobRun, Key: "transfer." + strconv.FormatInt(id, 10),
		MaxAttempts: jobAttempts, Payload: string(payload)})
	return err
}

// Job runs the transfer named in a job's payload. While the files wait
// for Nextcloud's background jobs, it gives its worker back: the job is
// due again after the poll interval (jobs.Later, not counted as an
// attempt), so that other jobs run meanwhile, for hours if need be. A panic
// fails the transfer, with jobs.ErrPanicked's code, and its job for good.
func (s *Service) Job(ctx context.Context, payload string) (err error) {
	var p JobPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return jobs.Permanent(fmt.Errorf("transfer job payload: %w", err))
	}
	defer func() {
		if errors.Is(err, jobs.ErrPanicked) {
			s.st.SetTransferState(context.WithoutCancel(ctx), p.ID, "failed", jobs.ErrPanicked.Code())
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
// e-mail contains q, case-insensitively (all of them for an empty q), by name.
func (s *Service) Candidates(ctx context.Context, admin, q string) ([]Candidate, error) {
	accs, err := s.nc.As(admin).Accounts(ctx, 200)
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(strings.TrimSpace(q))
	out := []Candidate{}
	for _, a := range accs {
		p := Candidate{UID: a.ID, Name: a.DisplayName, Email: a.Email, Enabled: a.Enabled}
		if p.Name == "" {
			p.Name = a.ID
		}
		if q == "" || strings.Contains(strings.ToLower(p.UID+" "+p.Name+" "+p.Email), q) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
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
		v := ItemView{TransferItem: it, Folder: d.Folder}
		if it.Kind == "calendar" || it.Kind == "addressbook" {
			v.CopyName = d.Name
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
