package appapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Healthcheck asks the AssoKit running beside it for GET /heartbeat, where
// the environment read through getenv says it listens: the unix socket
// HaRPSocket when HP_SHARED_KEY is set, else APP_HOST:APP_PORT (a wildcard
// APP_HOST is reached on loopback). It is the image's Docker HEALTHCHECK,
// which AppAPI waits for after starting the container (reference/appapi.md,
// 2.2). It returns nil when the answer is 200 with {"status":"ok"}, the
// contract of AppAPIService::heartbeatExApp, and an error saying what
// failed otherwise, within 3 seconds.
func Healthcheck(ctx context.Context, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var dial func(ctx context.Context, _, _ string) (net.Conn, error)
	addr := "localhost"
	if getenv("HP_SHARED_KEY") != "" {
		dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", HaRPSocket)
		}
	} else {
		host, port := getenv("APP_HOST"), getenv("APP_PORT")
		if port == "" {
			return fmt.Errorf("healthcheck: APP_PORT is not set")
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dial}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/heartbeat", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Status != "ok" {
		return fmt.Errorf("healthcheck: /heartbeat answered %s", resp.Status)
	}
	return nil
}
