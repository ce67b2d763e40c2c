package main

import (
	"net/http"
	"testing"
	"time"

	"assokit/internal/nextcloud/nextcloudtest"
)

type toursPage struct {
	Tours []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Steps []struct {
			ID string `json:"id"`
		} `json:"steps"`
	} `json:"tours"`
	Progress map[string]struct {
		State string `json:"state"`
		Step  int    `json:"step"`
	} `json:"progress"`
	Offer   bool `json:"offer"`
	IsAdmin bool `json:"isAdmin"`
	Code    string
}

// TestToursEndToEnd drives the tours API through the demo Nextcloud's
// proxy: each member's progress is theirs only, admins switch tours and
// write the association's tour, members cannot, and a new account gets its
// welcome notification once.
func TestToursEndToEnd(t *testing.T) {
	toursPoll = 100 * time.Millisecond
	demo := startDemo(t)

	var lea, louis toursPage
	if st := asUser(t, demo, "lea", "GET", "/api/tours?lang=fr", &lea); st != http.StatusOK || len(lea.Tours) != 7 || lea.IsAdmin || !lea.Offer {
		t.Fatalf("lea: %d %+v", st, lea)
	}
	if st := asUser(t, demo, "louis", "GET", "/api/tours?lang=en", &louis); st != http.StatusOK || len(louis.Tours) != 8 || louis.Tours[0].Title != "Dashboard" {
		t.Fatalf("louis (paheko_membres) should get 8 tours in English: %d %+v", st, louis.Tours)
	}

	for _, c := range []struct {
		uid, path string
		body      any
		want      int
	}{
		{"lea", "/api/tours/files/progress", map[string]any{"state": "done", "step": 7}, http.StatusNoContent},
		{"lea", "/api/tours/calendar/progress", map[string]any{"state": "skipped", "step": 3}, http.StatusNoContent},
		{"louis", "/api/tours/files/progress", map[string]any{"state": "skipped", "step": 0}, http.StatusNoContent},
		{"lea", "/api/tours/nope/progress", map[string]any{"state": "done", "step": 0}, http.StatusNotFound},
		{"lea", "/api/tours/files/progress", map[string]any{"state": "done", "step": 99}, http.StatusBadRequest},
		{"lea", "/api/tours/offer", map[string]any{"offer": false}, http.StatusNoContent},
		{"lea", "/api/admin/tours", map[string]any{"enabled": map[string]bool{"deck": false}}, http.StatusForbidden},
		{"camille", "/api/admin/tours", map[string]any{"enabled": map[string]bool{"deck": false},
			"custom": map[string]any{"enabled": true, "title": "Les Jardins", "steps": []map[string]string{{"title": "Bonjour", "body": "Bienvenue !"}}}}, http.StatusNoContent},
		{"camille", "/api/admin/tours", map[string]any{"custom": map[string]any{"enabled": true, "title": "x", "page": "https://evil.example/",
			"steps": []map[string]string{{"title": "a", "body": "b"}}}}, http.StatusBadRequest},
	} {
		var out struct{ Code string }
		if st := sendAs(t, demo, c.uid, "PUT", c.path, c.body, &out); st != c.want {
			t.Errorf("%s PUT %s = %d (%s), want %d", c.uid, c.path, st, out.Code, c.want)
		}
	}

	asUser(t, demo, "lea", "GET", "/api/tours?lang=fr", &lea)
	if lea.Progress["files"].State != "done" || lea.Progress["calendar"].State != "skipped" || lea.Offer {
		t.Errorf("lea after saving: %+v offer %v", lea.Progress, lea.Offer)
	}
	if lea.Tours[0].ID != "association" || len(lea.Tours) != 7 { // deck off, association on
		t.Errorf("lea's tours after the admin's changes: %+v", lea.Tours)
	}
	asUser(t, demo, "louis", "GET", "/api/tours?lang=fr", &louis)
	if len(louis.Progress) != 1 || louis.Progress["files"].State != "skipped" || !louis.Offer {
		t.Errorf("louis sees %+v offer %v", louis.Progress, louis.Offer)
	}

	// A new account gets the welcome once; the demo's accounts got none.
	// (The first poll after registration records the existing accounts.)
	time.Sleep(time.Second)
	demo.NC.AddUser(nextcloudtest.User{ID: "nouvelle", DisplayName: "Nouvelle Adhérente", Enabled: true, Language: "fr"})
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got, others int
		for _, n := range demo.NC.Notifications() {
			switch {
			case n.ObjectID == "welcome-nouvelle":
				got++
			case len(n.ObjectID) > 8 && n.ObjectID[:8] == "welcome-":
				others++
			}
		}
		if others > 0 {
			t.Fatalf("existing accounts were welcomed: %d", others)
		}
		if got == 1 {
			break
		}
		if got > 1 || time.Now().After(deadline) {
			t.Fatalf("welcome notifications for the new account: %d", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
