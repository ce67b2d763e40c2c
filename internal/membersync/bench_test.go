package membersync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"assokit/internal/paheko/pahekotest"
)

// BenchmarkSync measures, for 50 accounts and 1,000 members without an
// account, the requests sent and the time taken by a first full sync and by
// a sync that finds nothing to do (goal: ≤ 2 + ⌈members/500⌉ Paheko
// requests, ≤ 3 Nextcloud requests, ≤ 200 ms).
func BenchmarkSync(b *testing.B) {
	ctx := context.Background()
	var first, noop time.Duration
	var firstPK, firstNC, noopPK, noopNC, members int
	for range b.N {
		b.StopTimer()
		br := newBridge(b, 49) // camille + 49 = 50 accounts (+ the fake's own "admin")
		for i := range 1000 {
			br.pk.AddMember(pahekotest.Member{CategoryID: 1, Fields: map[string]any{"nom": fmt.Sprint("Adhérent ", i),
				"email": fmt.Sprintf("adh%d@adherents.example", i)}})
		}
		b.StartTimer()
		pk0, nc0, t0 := br.pk.RequestCount(), br.nc.RequestCount(""), time.Now()
		if _, err := br.svc.Run(ctx, "manual", "camille"); err != nil {
			b.Fatal(err)
		}
		first += time.Since(t0)
		firstPK += br.pk.RequestCount() - pk0
		firstNC += br.nc.RequestCount("") - nc0
		pk0, nc0, t0 = br.pk.RequestCount(), br.nc.RequestCount(""), time.Now()
		rep, err := br.svc.Run(ctx, "poll", "")
		if err != nil || rep.Created+rep.Updated+rep.Adopted != 0 {
			b.Fatal(rep, err)
		}
		noop += time.Since(t0)
		noopPK += br.pk.RequestCount() - pk0
		noopNC += br.nc.RequestCount("") - nc0
		members = len(br.pk.Members())
	}
	n := float64(b.N)
	b.ReportMetric(float64(members), "members")
	b.ReportMetric(float64(first.Milliseconds())/n, "first-ms")
	b.ReportMetric(float64(firstPK)/n, "first-paheko-req")
	b.ReportMetric(float64(firstNC)/n, "first-nextcloud-req")
	b.ReportMetric(float64(noop.Microseconds())/n/1000, "noop-ms")
	b.ReportMetric(float64(noopPK)/n, "noop-paheko-req")
	b.ReportMetric(float64(noopNC)/n, "noop-nextcloud-req")
}
