package transfer

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"assokit/internal/nextcloud/nextcloudtest"
)

// BenchmarkTransfer moves 20 calendars holding 5,000 events and 5 address
// books holding 2,000 cards, 20 Deck boards (200 cards) and 20 Talk
// conversations (6 participants each), plus a files transfer, on loopback;
// it reports the time, the requests made to Nextcloud (all, and those of
// Deck and Talk), the bytes of file content that went through AssoKit (the
// contacts exports only) and the peak heap.
func BenchmarkTransfer(b *testing.B) {
	for range b.N {
		b.StopTimer()
		l := newLab(b)
		ctx := context.Background()
		ch := Choice{AllFiles: true}
		for c := range 20 {
			uri := fmt.Sprintf("cal%02d", c)
			l.nc.PutCalendar("alice", uri, "Agenda "+uri)
			for e := range 250 {
				ics := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//FR", "BEGIN:VEVENT",
					fmt.Sprintf("UID:%s-%d@bench", uri, e), "DTSTAMP:20261101T090000Z",
					fmt.Sprintf("DTSTART;TZID=Europe/Paris:2027%02d%02dT090000", e%12+1, e%28+1), "DURATION:PT1H",
					"RRULE:FREQ=WEEKLY;COUNT=4", fmt.Sprintf("SUMMARY:Réunion n°%d", e), "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
				l.nc.PutObject("alice", "calendars", uri, fmt.Sprintf("e%d.ics", e), []byte(ics))
			}
			ch.Calendars = append(ch.Calendars, uri)
		}
		for a := range 5 {
			uri := fmt.Sprintf("book%d", a)
			l.nc.PutAddressBook("alice", uri, "Carnet "+uri)
			for c := range 400 {
				vcf := strings.Join([]string{"BEGIN:VCARD", "VERSION:3.0", fmt.Sprintf("UID:%s-%d", uri, c),
					fmt.Sprintf("FN:Adhérent·e %d", c), fmt.Sprintf("N:%d;Adhérent·e;;;", c), "TEL;TYPE=CELL:+33 6 00 00 00 00",
					"END:VCARD", ""}, "\r\n")
				l.nc.PutObject("alice", "addressbooks", uri, fmt.Sprintf("c%d.vcf", c), []byte(vcf))
			}
			ch.AddressBooks = append(ch.AddressBooks, uri)
		}
		l.nc.EnableDeck(true)
		l.nc.EnableTalk(true)
		for i := range 20 {
			var stacks []nextcloudtest.DeckStack
			for s := range 2 {
				st := nextcloudtest.DeckStack{Title: fmt.Sprintf("Liste %d", s)}
				for c := range 5 {
					st.Cards = append(st.Cards, nextcloudtest.DeckCard{Title: fmt.Sprintf("Carte %d", c), Assigned: []string{"carol"}})
				}
				stacks = append(stacks, st)
			}
			ch.Boards = append(ch.Boards, l.nc.AddBoard(nextcloudtest.DeckBoard{Title: fmt.Sprintf("Tableau %d", i), Owner: "alice",
				Shares: []nextcloudtest.DeckShare{{With: "carol", Edit: true}}, Stacks: stacks}))
			parts := []nextcloudtest.TalkParticipant{{UID: "alice", Type: nextcloudtest.TalkOwner}, {UID: "carol", Type: nextcloudtest.TalkUser}}
			for u := range 4 {
				uid := fmt.Sprintf("membre%d", u)
				l.nc.AddUser(nextcloudtest.User{ID: uid, Enabled: true})
				parts = append(parts, nextcloudtest.TalkParticipant{UID: uid, Type: nextcloudtest.TalkUser})
			}
			ch.Conversations = append(ch.Conversations, l.nc.AddConversation(nextcloudtest.TalkRoom{Name: fmt.Sprintf("Groupe %d", i), Participants: parts}))
		}
		ch.RemoveBoardShares, ch.LeaveConversations = true, true
		id, err := l.svc.Start(ctx, "camille", "alice", "bob", ch)
		if err != nil {
			b.Fatal(err)
		}
		reqBefore, bytesBefore := l.nc.RequestCount(""), l.nc.FileBytes()
		beyondBefore := l.nc.RequestCount("DECK") + l.nc.RequestCount("OCS TALK")
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
		start := time.Now()
		b.StartTimer()
		err = l.svc.Run(ctx, id)
		b.StopTimer()
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if tr, _ := l.st.Transfer(ctx, id); tr.State != "done" {
			b.Fatalf("state %s", tr.State)
		}
		b.ReportMetric(elapsed.Seconds(), "s/transfer")
		b.ReportMetric(float64(l.nc.RequestCount("")-reqBefore), "requests")
		b.ReportMetric(float64(l.nc.RequestCount("DECK")+l.nc.RequestCount("OCS TALK")-beyondBefore), "deck+talk-requests")
		b.ReportMetric(float64(l.nc.FileBytes()-bytesBefore), "file-bytes-through")
		b.ReportMetric(float64(peak)/(1<<20), "MB-heap-peak")
	}
}
