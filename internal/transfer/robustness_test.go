package transfer

import (
	"context"
	"testing"

	"assokit/internal/nextcloud"
)

// TestCopyNamesNeverClash gives bob calendars whose names are the source
// calendar's and its disambiguated forms: the copy takes a name none of
// bob's own calendars has.
func TestCopyNamesNeverClash(t *testing.T) {
	cases := []struct {
		name string
		bobs []string
		want string
	}{
		{"no clash", []string{"Agenda"}, "Équipe"},
		{"same name", []string{"Équipe"}, "Équipe (Alice Départ)"},
		{"same name and its first form", []string{"Équipe", "Équipe (Alice Départ)"}, "Équipe (Alice Départ) 2"},
		{"every form up to 3", []string{"Équipe", "Équipe (Alice Départ)", "Équipe (Alice Départ) 2", "Équipe (Alice Départ) 3"}, "Équipe (Alice Départ) 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			ctx := context.Background()
			for i, n := range c.bobs {
				l.nc.PutCalendar("bob", "own-"+itoa(int64(i)), n)
			}
			id, err := l.svc.Start(ctx, "camille", "alice", "bob", Choice{Calendars: []string{"team-cal"}})
			if err != nil {
				t.Fatal(err)
			}
			if tr := l.runToEnd(t, id); tr.State != "done" {
				t.Fatalf("state %s", tr.State)
			}
			colls, err := l.svc.nc.As("bob").Collections(ctx, nextcloud.Calendars)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, coll := range colls {
				if seen[coll.Name] {
					t.Errorf("two of bob's calendars are named %q", coll.Name)
				}
				seen[coll.Name] = true
			}
			if d, _ := l.svc.Detail(ctx, id); d.Items[0].CopyName != c.want {
				t.Errorf("copy named %q, want %q", d.Items[0].CopyName, c.want)
			}
		})
	}
}
