package membersync

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
	"assokit/internal/store"
)

// JobSync is the kind of the job that runs a member sync. Its key is the
// kind too: one sync at a time, a sync asked while one is pending joins it.
const JobSync = "paheko.sync"

// JobPayload is the payload of a sync job.
type JobPayload struct {
	Trigger string `json:"trigger"` // poll, manual
	Actor   string `json:"actor"`   // the admin who asked, for a manual run
}

// registerJobs registers the sync job on the queue.
func (s *Service) registerJobs() {
	s.queue.Handle(JobSync, func(ctx context.Context, j store.Job) error { return s.Job(ctx, j.Payload) })
}

// enqueue queues a sync unless one is already pending or running, and
// returns the id of the job that will run it.
func (s *Service) enqueue(ctx context.Context, p JobPayload) (int64, error) {
	return s.queue.Enqueue(ctx, JobSync, JobSync, p)
}

// SyncNow turns the sync on (once the admin has seen the preview) and
// queues a run now, on behalf of admin. It returns the job's id, or
// ErrNotConfigured when Paheko's address or credentials are missing.
func (s *Service) SyncNow(ctx context.Context, admin string) (int64, error) {
	if _, _, err := s.Client(ctx); err != nil {
		return 0, err
	}
	if err := s.SetEnabled(ctx, true); err != nil {
		return 0, err
	}
	return s.enqueue(ctx, JobPayload{Trigger: "manual", Actor: admin})
}

// Job runs one sync for the job queue: an unreachable Paheko or Nextcloud
// is retried with the queue's backoff; anything else waits for an admin.
func (s *Service) Job(ctx context.Context, payload string) error {
	var p JobPayload
	json.Unmarshal([]byte(payload), &p)
	_, err := s.Run(ctx, p.Trigger, p.Actor)
	if err == nil || errors.Is(err, paheko.ErrUnreachable) || errors.Is(err, nextcloud.ErrUnreachable) {
		return err
	}
	return jobs.Permanent(err)
}

// Poll queues a sync every interval (read from the settings each time)
// while the sync is enabled, until ctx ends.
func (s *Service) Poll(ctx context.Context) {
	for {
		st, _ := s.Settings(ctx)
		if st.Enabled && st.Configured() {
			if _, err := s.enqueue(ctx, JobPayload{Trigger: "poll"}); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "could not schedule the member sync", "error", err)
			}
		}
		t := time.NewTimer(st.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// RunView is a past run with its report, as the admin page shows it.
type RunView struct {
	Run    store.PahekoRun `json:"run"`
	Report json.RawMessage `json:"report"`
}

// History is the last runs and the audit log of changes made in Paheko.
type History struct {
	Runs  []RunView          `json:"runs"`
	Audit []store.AuditEntry `json:"audit"`
}

// History returns the last ten runs, newest first, and the last hundred
// audit entries.
func (s *Service) History(ctx context.Context) (History, error) {
	runs, err := s.store.PahekoRuns(ctx, 10)
	if err != nil {
		return History{}, err
	}
	h := History{Runs: make([]RunView, 0, len(runs))}
	for _, r := range runs {
		h.Runs = append(h.Runs, RunView{Run: r, Report: json.RawMessage(r.Report)})
	}
	h.Audit, err = s.store.Audit(ctx, 100)
	return h, err
}
