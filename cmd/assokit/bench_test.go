package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"assokit/internal/nextcloud/nextcloudtest"
)

// BenchmarkStatusAPI measures an authenticated API request (GET /api/status
// as a member) under 50 concurrent clients on loopback, straight to AssoKit
// as Nextcloud's proxy would send it. It reports p50 and p99 latency.
func BenchmarkStatusAPI(b *testing.B) {
	nc := nextcloudtest.NewServer(b)
	nc.AddUser(nextcloudtest.User{ID: "alice", Password: "pw", Enabled: true})
	appURL := startAssoKitB(b, nc)
	auth := base64.StdEncoding.EncodeToString([]byte("alice:" + testSecret))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(50 / max(1, runtimeProcs()))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			req, _ := http.NewRequest("GET", appURL+"/api/status", nil)
			req.Header.Set("EX-APP-ID", "assokit")
			req.Header.Set("EX-APP-VERSION", "0.1.0")
			req.Header.Set("AUTHORIZATION-APP-API", auth)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

func runtimeProcs() int {
	n, _ := strconv.Atoi(os.Getenv("GOMAXPROCS"))
	if n <= 0 {
		return 2
	}
	return n
}

// BenchmarkStartup starts the built binary (bin/assokit, or ASSOKIT_BIN) b.N
// times and reports the medians of the time to its first 200 on /heartbeat
// and of its resident memory once idle (half a second later), split into
// anonymous memory (heaps, stacks) and the pages of the binary and its
// libraries. Most of an idle AssoKit's memory is its own code mapped from
// the binary, so its size is reported too (make bench prints the stripped
// binary's). Run it a few times (-benchtime 7x): one start says little.
func BenchmarkStartup(b *testing.B) {
	bin := os.Getenv("ASSOKIT_BIN")
	if bin == "" {
		bin = "../../bin/assokit"
	}
	st, err := os.Stat(bin)
	if err != nil {
		b.Skip("build the binary first (make build)")
	}
	evictPageCache(b, bin)
	var starts []time.Duration
	var rss, anon, file []int
	for i := 0; i < b.N; i++ {
		port := 24000 + i%500
		cmd := exec.Command(bin)
		cmd.Env = []string{"APP_ID=assokit", "APP_SECRET=x", "APP_VERSION=0.1.0", "APP_HOST=127.0.0.1",
			"APP_PORT=" + strconv.Itoa(port), "NEXTCLOUD_URL=http://127.0.0.1:9", "LOG_LEVEL=error",
			"APP_PERSISTENT_STORAGE=" + filepath.Join(b.TempDir(), "data")}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/heartbeat", port)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("no heartbeat")
			}
			time.Sleep(time.Millisecond)
		}
		starts = append(starts, time.Since(start))
		time.Sleep(500 * time.Millisecond) // idle
		m := procStatus(cmd.Process.Pid)
		rss, anon, file = append(rss, m["VmRSS"]), append(anon, m["RssAnon"]), append(file, m["RssFile"])
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	b.ReportMetric(float64(median(starts).Microseconds())/1000, "ms-to-heartbeat")
	b.ReportMetric(float64(median(rss))/1024, "idle-RSS-MB")
	b.ReportMetric(float64(median(anon))/1024, "anon-MB")
	b.ReportMetric(float64(median(file))/1024, "mapped-files-MB")
	b.ReportMetric(float64(st.Size())/(1<<20), "binary-MB")
}

// evictPageCache writes the binary to disk and drops it from the page cache,
// so that every measurement starts from the same state: a binary just built
// sits in the cache as written, and the kernel then maps more of it into
// the process (about 2 MB more resident here) than once it was read back.
func evictPageCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const fadvDontNeed = 4 // POSIX_FADV_DONTNEED, linux/fadvise.h
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if _, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); errno != 0 {
		b.Logf("page cache not dropped: %v", errno)
	}
}

// median returns the middle value of vs (which it sorts).
func median[T int | time.Duration](vs []T) T {
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// procStatus returns the kB figures of /proc/<pid>/status (VmRSS, RssAnon,
// RssFile…) by name.
func procStatus(pid int) map[string]int {
	out := map[string]int{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if f := strings.Fields(v); ok && len(f) == 2 && f[1] == "kB" {
			out[name], _ = strconv.Atoi(f[0])
		}
	}
	return out
}

// BenchmarkSignOn measures a whole sign-on into Paheko through the demo
// stack on loopback: Paheko's login → authorize through Nextcloud's proxy →
// back to Paheko, which exchanges the code and reads userinfo through the
// proxy, then opens its session.
func BenchmarkSignOn(b *testing.B) {
	demo := startDemo(b)
	syncNow(b, demo)                   // members must exist before they sign on
	confirmProposal(b, demo, "jeanne") // her member existed: an admin links it
	b.ResetTimer()
	for range b.N {
		if s := signOn(b, demo, "jeanne"); !strings.Contains(s.page, "Comptabilité") {
			b.Fatalf("sign-on failed: %d %s", s.status, s.page)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/sign-on")
}
