//go:build !dev

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// dev refuses: the production binary links neither the demo nor the fakes.
// `make run` builds and starts bin/assokit-dev (go build -tags dev).
func dev(context.Context, func(string) string, io.Writer, *slog.Logger) error {
	return errors.New("this binary has no demo: build it with -tags dev (make run)")
}
