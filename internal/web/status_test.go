package web

import (
	"context"
	"encoding/json"
	"testing"

	"assokit/internal/store"
)

// The home page's status says what is true now, per feature, and only
// what the person may use: the last sync and the last transfer (with
// names, not uids) for admins alone.
func TestStatusTellsTheTruth(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	status := func(uid string) statusView {
		t.Helper()
		rec := ts.do("GET", "/api/status", uid, nil)
		var v statusView
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
			t.Fatalf("status as %s: %d %s", uid, rec.Code, rec.Body)
		}
		return v
	}
	if v := status("camille"); v.Paheko.Configured || v.Paheko.LastSync != nil || v.LastTransfer != nil || v.Paheko.Role != "admin" {
		t.Fatalf("nothing happened yet: %+v", v)
	}
	run, err := ts.st.StartPahekoRun(ctx, "auto", "sync")
	if err != nil {
		t.Fatal(err)
	}
	if v := status("camille"); v.Paheko.LastSync == nil || v.Paheko.LastSync.State != "running" || v.Paheko.LastSync.FinishedAt != 0 {
		t.Fatalf("a running sync: %+v", v.Paheko.LastSync)
	}
	if err := ts.st.FinishPahekoRun(ctx, run, "{}", "paheko_unreachable"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.CreateTransfer(ctx, store.Transfer{Source: "lea", Target: "ines", Admin: "camille"}, nil); err != nil {
		t.Fatal(err)
	}
	v := status("camille")
	if s := v.Paheko.LastSync; s == nil || s.State != "failed" || s.Error != "paheko_unreachable" || s.FinishedAt == 0 {
		t.Fatalf("a failed sync: %+v", s)
	}
	if tr := v.LastTransfer; tr == nil || tr.Source != "Léa Roux" || tr.Target != "Inès Petit" || tr.CreatedAt == 0 {
		t.Fatalf("last transfer: %+v", tr)
	}
	// A member sees neither, and their own access to Paheko.
	if v := status("ines"); v.Paheko.LastSync != nil || v.LastTransfer != nil || v.Paheko.Role != "compta" || v.User.IsAdmin {
		t.Fatalf("member: %+v", v)
	}
}
