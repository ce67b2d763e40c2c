package web

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"assokit/internal/store"
)

// The home page's status says what is true now, per feature, and only
// what the person may use (the test wiring sets Paheko's address): the
// last sync and the last transfer (with names, not uids) for admins alone.
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
	if v := status("camille"); !v.Paheko.Configured || v.Paheko.LastSync != nil || v.LastTransfer != nil || v.Paheko.Role != "admin" {
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

// The transfers' history and detail name the two members.
func TestTransfersAreNamed(t *testing.T) {
	ts := newTestServer(t)
	id, err := ts.st.CreateTransfer(context.Background(), store.Transfer{Source: "lea", Target: "ines", Admin: "camille"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var list []namedTransfer
	rec := ts.do("GET", "/api/admin/transfers", "camille", nil)
	if json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list) != 1 || list[0].SourceName != "Léa Roux" || list[0].TargetName != "Inès Petit" {
		t.Fatalf("history: %d %s", rec.Code, rec.Body)
	}
	var detail struct {
		Transfer namedTransfer `json:"transfer"`
		Items    []any         `json:"items"`
	}
	rec = ts.do("GET", "/api/admin/transfers/"+strconv.FormatInt(id, 10), "camille", nil)
	if json.Unmarshal(rec.Body.Bytes(), &detail) != nil || detail.Transfer.SourceName != "Léa Roux" || detail.Transfer.Source != "lea" {
		t.Fatalf("detail: %d %s", rec.Code, rec.Body)
	}
}
