// Package devstack is the embedded demo: a fake Nextcloud on loopback, seeded
// with a small association (accounts with French names, the groups that give
// Paheko rights, files, calendars, address books), with which AssoKit
// registers through AppAPI's real lifecycle.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"assokit/internal/appapi"
	"assokit/internal/nextcloud/nextcloudtest"
	"assokit/internal/paheko/pahekotest"
)

// The demo's AssoKit identity.
const (
	AppID      = "assokit"
	AppVersion = "0.1.0"
)

// Demo is a running demo Nextcloud and Paheko.
type Demo struct {
	URL       string // http://127.0.0.1:8080
	Secret    string // AssoKit's APP_SECRET for this run
	NC        *nextcloudtest.Server
	PahekoURL string
	Paheko    *pahekotest.Server
	Bridge    pahekotest.Bridge
	srv, psrv *http.Server
}

// CronInterval is how often the demo Nextcloud runs its background jobs
// (a real one: every five minutes).
const CronInterval = 2 * time.Second

// Start seeds a fake Nextcloud and serves it on addr (loopback), and a fake
// Paheko on another loopback port.
func Start(ctx context.Context, addr string) (*Demo, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo: listen on %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	pln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo: listen for Paheko: %w", err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	d := &Demo{URL: "http://" + ln.Addr().String(), Secret: hex.EncodeToString(b), NC: nextcloudtest.New(),
		PahekoURL: "http://" + pln.Addr().String()}
	d.NC.SetURL(d.URL)
	if err := errors.Join(Seed(d.NC), installApps(d.NC)); err != nil {
		ln.Close()
		pln.Close()
		return nil, err
	}
	if d.Paheko, err = pahekotest.New(); err == nil {
		d.Paheko.SetURL(d.PahekoURL)
		d.Bridge, err = SeedPaheko(d.Paheko)
	}
	if err != nil {
		ln.Close()
		pln.Close()
		return nil, err
	}
	d.srv = &http.Server{Handler: d.NC, ReadHeaderTimeout: 10 * time.Second}
	d.psrv = &http.Server{Handler: d.Paheko, ReadHeaderTimeout: 10 * time.Second}
	go d.srv.Serve(ln)
	go d.psrv.Serve(pln)
	d.NC.StartCron(CronInterval)
	return d, nil
}

// Register registers AssoKit, listening at appURL, with the demo Nextcloud,
// using the routes of its manifest (info.xml) and its l10n folder (as
// translations_folder would install it), and waits until it is enabled.
func (d *Demo) Register(ctx context.Context, appURL string, infoXML []byte, l10n fs.FS) error {
	routes, err := Routes(infoXML)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return d.NC.RegisterExApp(rctx, nextcloudtest.ExApp{ID: AppID, Name: "AssoKit", Version: AppVersion,
		Secret: d.Secret, URL: appURL, Routes: routes, Translations: l10n})
}

// Close stops the demo Nextcloud and Paheko.
func (d *Demo) Close() error {
	d.NC.Close()
	d.psrv.Close()
	d.Paheko.Close()
	return d.srv.Close()
}

// Summary tells who is who in the demo.
func (d *Demo) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Demo Paheko: %s (%d members; sign in from the \"Paheko\" menu)\n", d.PahekoURL, len(d.Paheko.Members()))
	b.WriteString("Demo accounts (pick one on the page; password \"demo\"):\n")
	for _, u := range d.NC.Users() {
		if u.ID == "admin" {
			continue
		}
		state := ""
		if !u.Enabled {
			state = " (disabled)"
		}
		fmt.Fprintf(&b, "  %-8s %-18s %s%s\n", u.ID, u.DisplayName, strings.Join(u.Groups, ", "), state)
	}
	return b.String()
}

// Routes reads the <routes> of an ExApp manifest.
func Routes(infoXML []byte) ([]nextcloudtest.Route, error) {
	m, err := appapi.ParseManifest(infoXML)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	out := make([]nextcloudtest.Route, 0, len(m.Routes))
	for _, r := range m.Routes {
		out = append(out, nextcloudtest.Route{URL: r.URL, Verb: r.Verb, AccessLevel: r.AccessLevel})
	}
	return out, nil
}
