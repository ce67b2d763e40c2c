package appapi

import (
	"context"

	"assokit/internal/jobs"
	"assokit/internal/store"
)

// JobInit is the kind (and key) of the job that runs AssoKit's
// initialisation after AppAPI's POST /init. It has no payload.
const JobInit = "appapi.init"

// registerJobs registers the init job: it checks that the store and
// Nextcloud answer, reporting progress to Nextcloud (Init).
func (l *Lifecycle) registerJobs() {
	l.queue.Handle(JobInit, func(ctx context.Context, _ store.Job) error {
		return l.Init(ctx,
			func(ctx context.Context) error { return l.st.Ping(ctx) },
			func(ctx context.Context) error { _, err := l.nc.Version(ctx); return err })
	})
}

// StartInit queues the initialisation, once: a second /init while the first
// is pending or running joins it.
func (l *Lifecycle) StartInit(ctx context.Context) error {
	_, err := l.queue.Enqueue(ctx, JobInit, JobInit, nil)
	return err
}

// JobView is a background job as the admin page shows it.
type JobView struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
	Code      string `json:"code,omitempty"` // jobs.ErrPanicked's code for a job failed by a panic
	Created   int64  `json:"created"`        // Unix seconds: when it was queued
	Updated   int64  `json:"updated"`        // Unix seconds: its last change (its end once done or failed)
}

// RecentJobs lists the last n background jobs of every feature, newest first.
func (l *Lifecycle) RecentJobs(ctx context.Context, n int) ([]JobView, error) {
	list, err := l.st.RecentJobs(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]JobView, 0, len(list))
	for _, j := range list {
		out = append(out, JobView{j.ID, j.Kind, j.State, j.Attempts, j.LastError, jobs.Code(j.LastError), j.CreatedAt.Unix(), j.UpdatedAt.Unix()})
	}
	return out, nil
}
