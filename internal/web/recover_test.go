package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestPanicAnswers500(t *testing.T) {
	var logs bytes.Buffer
	s := New(Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	s.echo.GET("/api/boom", func(echo.Context) error {
		var m map[string]int
		m["x"]++ // a nil map: panics
		return nil
	})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/boom", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Errorf("answer %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "request panicked") || !strings.Contains(logs.String(), "recover_test.go") {
		t.Errorf("log: %s", logs.String())
	}
}
