package nextcloudtest

import "testing"

// TestScheduleMailtoAnyCase schedules events whose addresses are written
// "mailto:" or "MAILTO:": the organizer's plain PUT mails the attendee
// either way, as Sabre does (fixture 361), and "Schedule-Reply: F" mails
// nobody (363).
func TestScheduleMailtoAnyCase(t *testing.T) {
	cases := []struct {
		name, organizer, attendee, header string
		mails                             int
	}{
		{"lower case", "mailto:lea@asso.example", "mailto:guest@ext.example", "", 1},
		{"upper case", "MAILTO:LEA@asso.example", "MAILTO:guest@ext.example", "", 1},
		{"mixed case", "Mailto:lea@ASSO.example", "mailTo:guest@ext.example", "", 1},
		{"upper case, Schedule-Reply: F", "MAILTO:lea@asso.example", "MAILTO:guest@ext.example", "F", 0},
	}
	for _, c := range cases {
		s := New()
		s.AddUser(User{ID: "lea", Email: "lea@asso.example", Enabled: true})
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nORGANIZER:" + c.organizer +
			"\r\nATTENDEE;RSVP=TRUE:" + c.attendee + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		s.mu.Lock()
		_, changed := s.scheduleLocked("lea", []byte(ics), c.header)
		s.mu.Unlock()
		if got := len(s.Mails()); got != c.mails || changed != (c.mails > 0) {
			t.Errorf("%s: %d mails (stored changed: %v), want %d", c.name, got, changed, c.mails)
		}
	}
}
