package nextcloudtest

import (
	"bytes"
	"strings"
)

// Mail is an iTIP message Nextcloud would have mailed (iMIP): an
// invitation or update (REQUEST) from the organizer, or an answer (REPLY)
// from an attendee.
type Mail struct {
	From, To string // e-mail addresses
	Method   string // REQUEST, REPLY
	UID      string
}

// Mails returns the iTIP messages "sent" so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// scheduleLocked does what Sabre's CalDAV scheduling does with an object
// PUT by user into one of its calendars, and returns the object as stored.
// As captured (fixtures 203, 361–366): when user is the ORGANIZER, every
// attendee is sent a REQUEST and its ATTENDEE line gains SCHEDULE-STATUS
// (the answer then has no ETag: changed reports it); the request header
// "Schedule-Reply: F", or SCHEDULE-AGENT=CLIENT on an attendee, schedules
// nothing and stores the bytes as sent. When user is an attendee whose
// PARTSTAT is not NEEDS-ACTION, the organizer is sent a REPLY: assumed from
// sabre/vobject's ITip/Broker.php (parseEventForAttendee), no capture.
func (s *Server) scheduleLocked(user string, data []byte, scheduleReply string) (stored []byte, changed bool) {
	u := s.users[user]
	if u == nil || u.Email == "" || scheduleReply == "F" {
		return data, false
	}
	me := "mailto:" + strings.ToLower(u.Email)
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n ", ""), "\r\n", "\n"), "\n")
	organizer, uid := "", ""
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "ORGANIZER"):
			organizer = strings.ToLower(l[lastIndexFold(l, ":mailto:")+1:])
		case strings.HasPrefix(l, "UID:"):
			uid = strings.TrimPrefix(l, "UID:")
		}
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "ATTENDEE") || strings.Contains(l, "SCHEDULE-AGENT=CLIENT") {
			continue
		}
		at := lastIndexFold(l, ":mailto:")
		if at < 0 {
			continue
		}
		addr := strings.ToLower(l[at+1:])
		switch {
		case organizer == me && addr != me:
			s.mails = append(s.mails, Mail{From: u.Email, To: strings.TrimPrefix(addr, "mailto:"), Method: "REQUEST", UID: uid})
			lines[i] = l[:at] + ";SCHEDULE-STATUS=1.1" + l[at:]
			changed = true
		case addr == me && organizer != "" && organizer != me && !strings.Contains(l, "PARTSTAT=NEEDS-ACTION"):
			s.mails = append(s.mails, Mail{From: u.Email, To: strings.TrimPrefix(organizer, "mailto:"), Method: "REPLY", UID: uid})
		}
	}
	if !changed {
		return data, false
	}
	var b bytes.Buffer
	for _, l := range lines {
		if l == "" {
			continue
		}
		for len(l) > 75 { // folded at 75 octets, as Sabre writes
			b.WriteString(l[:75] + "\r\n ")
			l = l[75:]
		}
		b.WriteString(l + "\r\n")
	}
	return b.Bytes(), true
}

// lastIndexFold is strings.LastIndex ignoring ASCII case: iCalendar's
// "mailto:" may be written "MAILTO:" (RFC 3986 schemes are
// case-insensitive, and Sabre compares addresses so).
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
