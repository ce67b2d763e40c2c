//go:build !dev

package main

import (
	"io"
	"os/exec"
	"strings"
	"testing"
)

// The production binary links neither the demo nor the fakes: they are for
// `make run` (bin/assokit-dev, built with -tags dev) and for tests.
func TestProductionLinksNoFake(t *testing.T) {
	if err := run(t.Context(), []string{"dev"}, func(string) string { return "" }, io.Discard, nil); err == nil {
		t.Fatal("run(dev) in the production binary = nil, want an error")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == "assokit/internal/devstack",
			strings.HasSuffix(pkg, "/nextcloudtest"),
			strings.HasSuffix(pkg, "/pahekotest"),
			pkg == "golang.org/x/net/webdav",
			pkg == "net/http/httptest",
			pkg == "testing":
			t.Errorf("the production binary links %s", pkg)
		}
	}
}
