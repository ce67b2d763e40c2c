//go:build dev

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"assokit"
	"assokit/internal/appapi"
	"assokit/internal/devstack"
)

// dev runs the embedded demo: the fake Nextcloud, seeded, on ASSOKIT_DEV_ADDR
// (127.0.0.1:8080), and AssoKit registered with it through the real lifecycle.
func dev(ctx context.Context, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	addr := getenv("ASSOKIT_DEV_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	dataDir := getenv("ASSOKIT_DEV_DATA")
	if dataDir == "" {
		d, err := os.MkdirTemp("", "assokit-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dataDir = d
	}
	transferPoll, toursPoll = devstack.CronInterval, devstack.CronInterval
	demo, err := devstack.Start(ctx, addr)
	if err != nil {
		return err
	}
	defer demo.Close()
	cfg := appapi.Config{AppID: devstack.AppID, AppSecret: demo.Secret, AppVersion: devstack.AppVersion,
		AppHost: "127.0.0.1", AppPort: 0, NextcloudURL: demo.URL, StorageDir: dataDir, AAVersion: "32.0.0",
		Provisioned: appapi.ProvisionedFromEnv(getenv)} // a host's ASSOKIT_* variables, to try them
	appAddr := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, log.With("component", "assokit"), func(a net.Addr) { appAddr <- a }) }()
	select {
	case a := <-appAddr:
		if err := demo.Register(ctx, "http://"+a.String(), assokit.InfoXML, assokit.L10N()); err != nil {
			return fmt.Errorf("register with the demo Nextcloud: %w", err)
		}
		if err := demo.ConnectPaheko(ctx); err != nil {
			return fmt.Errorf("connect the demo Paheko: %w", err)
		}
	case err := <-errc:
		return err
	}
	fmt.Fprintf(stdout, "\nAssoKit demo ready: open %s\n%s\nStop it with Ctrl+C.\n\n",
		demo.URL, strings.TrimSpace(demo.Summary()))
	return <-errc
}
