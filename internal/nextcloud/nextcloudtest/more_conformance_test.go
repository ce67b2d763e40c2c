package nextcloudtest

import (
	"testing"
	"time"
)

// moreFixtureDir holds the captures of 2026-11-30 from a real Nextcloud
// 32.0.1: uids with a space, disabled accounts, quotas, sharing with groups
// and teams, scheduling, transfers named in the recipient's language,
// quota failures and mounts.
const moreFixtureDir = "../../../../shared/fixtures/nextcloud-32-more"

// moreSkipped lists the captures of moreFixtureDir the fake does not
// replay, and why.
var moreSkipped = map[string]string{
	"342": "the Teams (circles) API is not faked: the team is seeded",
	"343": "the Teams (circles) API is not faked: the team is seeded",
	"42":  "replayed by TestDeckConformance, with Deck enabled",
	"43":  "replayed by TestDeckConformance, with Deck enabled",
	"45":  "replayed by TestDeckConformance, with Deck and Talk enabled then disabled",
}

// TestMoreConformance replays the captures of 2026-11-30 in order against
// the fake, seeded with the lab's accounts, and doing what the lab did
// outside HTTP (quotas, external storage, cron.php) where the lab did it.
func TestMoreConformance(t *testing.T) {
	fake := NewServer(t)
	for _, u := range []User{
		{ID: "hugo", DisplayName: "Hugo Bernard", Email: "hugo.bernard@example.invalid", Language: "fr"},
		{ID: "lea", DisplayName: "Léa Martin", Email: "lea.martin@example.invalid", Language: "fr"},
		{ID: "louis", DisplayName: "Louis Petit", Email: "louis.petit@example.invalid", Language: "en"},
		{ID: "chloe", DisplayName: "Chloé Dubois", Email: "chloe.dubois@example.invalid", Language: "fr", Groups: []string{"bureau"}},
		{ID: "jules", DisplayName: "Jules", Language: "fr"},
	} {
		u.Enabled = u.ID != "jules"
		fake.AddUser(u)
		fake.PutCalendar(u.ID, "personal", "Personnel")
		fake.PutAddressBook(u.ID, "contacts", "Contacts")
	}
	fake.PutFile("hugo", "/Notes personnelles.txt", []byte("notes"))
	fake.PutFile("hugo", "/Association/Archives/2025/export-adherents-2025.csv", make([]byte, 2<<20))
	fake.PutFile("hugo", "/Association/Statuts.md", []byte("# Statuts"))
	fake.AddShare(Share{Type: 3, Owner: "hugo", Path: "/Association/Statuts.md"}) // the lab's public link
	fake.PutCalendar("hugo", "permanences", "Permanences")
	fake.PutAddressBook("hugo", "benevoles", "Bénévoles")
	fake.AddTeam("F9UG1OmX78ejXCS1OCzBGvjvh5Q1Z8c", "Equipe Permanences", "louis")
	setQuota := func(uid string, q int64) func() {
		return func() {
			fake.mu.Lock()
			fake.users[uid].Quota = q
			fake.mu.Unlock()
		}
	}
	replay(t, fake, moreFixtureDir, "assokit", "0.1.0", moreSkipped, map[string]func(){
		"331": setQuota("lea", 50<<20),
		"380": runCronAt(fake, time.Date(2026, 11, 30, 1, 9, 31, 0, time.UTC)),
		"386": setQuota("louis", 1<<20),
		"389": runCronAt(fake, time.Date(2026, 11, 30, 1, 9, 50, 0, time.UTC)),
		"400": func() { fake.AddExternalMount("hugo", "Espace Bureau", "external", nil) },
		"409": runCronAt(fake, time.Date(2026, 11, 30, 1, 10, 18, 0, time.UTC)),
	})
}
