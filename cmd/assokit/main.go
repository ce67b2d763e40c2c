// Command assokit is AssoKit, a Nextcloud External App for associations.
//
//	assokit          serve, configured by the AppAPI environment (APP_ID, APP_SECRET…)
//	assokit dev      the embedded demo: a fake Nextcloud seeded with an association,
//	                 only in a binary built with -tags dev (make run builds bin/assokit-dev);
//	                 the production binary links no fake
//	assokit healthcheck     exit 0 when the AssoKit of this environment answers /heartbeat
//	assokit register-json   the --json-info for occ app_api:app:register, from
//	                        APP_SECRET and APP_PORT (the values AssoKit runs with)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"assokit"
	"assokit/internal/appapi"
	"assokit/internal/jobs"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/oidc"
	"assokit/internal/store"
	"assokit/internal/tours"
	"assokit/internal/transfer"
	"assokit/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "assokit:", err)
		os.Exit(1)
	}
}

// run runs the subcommand in args until ctx is cancelled. ready, when not
// nil, is called with the address AssoKit listens on.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(net.Addr)) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	log := newLogger(getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), stdout)
	switch cmd {
	case "serve":
		cfg, err := appapi.FromEnv(getenv)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, log, ready)
	case "dev":
		return dev(ctx, getenv, stdout, log)
	case "healthcheck":
		return appapi.Healthcheck(ctx, getenv)
	case "register-json":
		// The --json-info for `occ app_api:app:register` (make register).
		m, err := appapi.ParseManifest(assokit.InfoXML)
		if err != nil {
			return err
		}
		port, _ := strconv.Atoi(getenv("APP_PORT"))
		m.TranslationsFolder = getenv("TRANSLATIONS_FOLDER")
		out, err := m.RegisterJSON(getenv("APP_SECRET"), port)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(out))
		return nil
	}
	return fmt.Errorf("unknown command %q (use serve, dev, healthcheck or register-json)", cmd)
}

func newLogger(level, format string, w io.Writer) *slog.Logger {
	var lv slog.Level
	if lv.UnmarshalText([]byte(level)) != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// transferPoll is how often a files transfer looks for Nextcloud's
// notifications; the demo's cron runs every few seconds, a real one every
// five minutes.
var transferPoll = 30 * time.Second

// toursPoll is how often the accounts are polled for the welcome
// notification; the demo polls every few seconds.
var toursPoll = time.Minute

// serve wires AssoKit and serves until ctx is cancelled.
func serve(ctx context.Context, cfg appapi.Config, log *slog.Logger, ready func(net.Addr)) error {
	if err := os.MkdirAll(cfg.StorageDir, 0o700); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	st, err := store.Open(ctx, filepath.Join(cfg.StorageDir, "assokit.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	nc, err := nextcloud.New(nextcloud.Config{BaseURL: cfg.NextcloudURL, AppID: cfg.AppID,
		AppSecret: cfg.AppSecret, AppVersion: cfg.AppVersion, AAVersion: cfg.AAVersion})
	if err != nil {
		return err
	}
	queue := jobs.New(st, log, jobs.Options{})
	host := appapi.NewHost(nc)
	host.UseHostedName(cfg.Provisioned.AssociationName)
	lifecycle := appapi.NewLifecycle(nc, st, queue, appapi.Registrations(cfg.AppVersion), log)
	members := membersync.New(st, nc, queue, nil, log)
	pv := cfg.Provisioned
	if err := members.UseHosted(membersync.Hosted{URL: pv.PahekoURL, Key: pv.PahekoKey, Secret: pv.PahekoSecret,
		Category: pv.PahekoCategory, Admin: pv.Admin}); err != nil {
		log.Error("a Paheko setting provisioned by the host is invalid: not used", "err", err)
	}
	transfers := transfer.New(st, nc, queue, log, transfer.Options{Poll: transferPoll})
	guide, err := tours.New(st, nc, log, tours.Options{Poll: toursPoll, Association: func(ctx context.Context) string {
		a, _ := host.Association(ctx)
		return a.Name
	}})
	if err != nil {
		return err
	}
	provider := oidc.New(st, nc, func(ctx context.Context) string {
		s, _ := members.Settings(ctx)
		return s.URL
	})
	if err := provider.UseHostedClient(pv.OIDCClientID, pv.OIDCClientSecret); err != nil {
		log.Error("the sign-on client provisioned by the host is invalid: not used", "err", err)
	}
	srv := web.New(web.Deps{AppID: cfg.AppID, AppVersion: cfg.AppVersion,
		Auth: appapi.NewAuthenticator(cfg.AppID, cfg.AppSecret), Lifecycle: lifecycle, Host: host,
		Sync: members, Transfer: transfers, Tours: guide, OIDC: provider, Static: assokit.Static(), Log: log})

	network, addr := cfg.ListenAddr()
	if network == "unix" {
		os.Remove(addr) // a stale socket from a previous run
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if network == "unix" {
		os.Chmod(addr, 0o666) // HaRP's frpc connects as another user
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	log.Info("assokit listening", "network", network, "addr", ln.Addr().String(), "version", cfg.AppVersion)
	if ready != nil {
		ready(ln.Addr())
	}

	qctx, stopQueue := context.WithCancel(ctx)
	queueDone := make(chan struct{})
	go func() { queue.Run(qctx); close(queueDone) }()
	go members.Poll(qctx)
	go guide.Poll(qctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case err := <-serveErr:
		stopQueue()
		<-queueDone
		return err
	case <-ctx.Done():
	}
	// Shutdown must outlive ctx, which is already cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = httpSrv.Shutdown(sctx)
	stopQueue()
	<-queueDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
