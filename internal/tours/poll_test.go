package tours

import (
	"context"
	"errors"
	"testing"

	"assokit/internal/jobs"
)

// A poll that panics (here: a service with no Nextcloud client) is an
// error of the poll, never the end of the process.
func TestPollSurvivesAPanic(t *testing.T) {
	s := &Service{}
	if err := s.welcomeOnce(context.Background()); !errors.Is(err, jobs.ErrPanicked) {
		t.Errorf("welcomeOnce = %v, want a recovered panic", err)
	}
}
