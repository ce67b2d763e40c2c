package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"assokit/internal/appapi"
	"assokit/internal/errcode"
	"assokit/internal/membersync"
	"assokit/internal/nextcloud"
	"assokit/internal/paheko"
	"assokit/internal/store"
	"assokit/internal/tours"
	"assokit/internal/transfer"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{appapi.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
		{errNoUser, http.StatusUnauthorized, "not_signed_in"},
		{errNotAdmin, http.StatusForbidden, "admin_required"},
		{store.ErrNotFound, http.StatusNotFound, "not_found"},
		{fmt.Errorf("load: %w", store.ErrNotFound), http.StatusNotFound, "not_found"},
		{&nextcloud.Error{StatusCode: 404}, http.StatusNotFound, "not_found"},
		{&nextcloud.Error{StatusCode: 401}, http.StatusBadGateway, "nextcloud_refused"},
		{&nextcloud.Error{StatusCode: 200, OCSCode: 997}, http.StatusBadGateway, "nextcloud_refused"},
		{&nextcloud.Error{StatusCode: 503}, http.StatusBadGateway, "nextcloud_unreachable"},
		{nextcloud.ErrUnreachable, http.StatusBadGateway, "nextcloud_unreachable"},
		{&nextcloud.Error{StatusCode: 403}, http.StatusInternalServerError, "internal"},
		{errBadInput, http.StatusBadRequest, "bad_request"},
		{fmt.Errorf("%w: url", membersync.ErrInvalidSettings), http.StatusBadRequest, "invalid_settings"},
		{membersync.ErrNotConfigured, http.StatusConflict, "paheko_not_configured"},
		{membersync.ErrNoAdmin, http.StatusConflict, "paheko_no_admin"},
		{paheko.ErrUnreachable, http.StatusBadGateway, "paheko_unreachable"},
		{paheko.ErrUnauthorized, http.StatusBadGateway, "paheko_refused"},
		{paheko.ErrRights, http.StatusBadGateway, "paheko_key_read_only"},
		{paheko.ErrNotPaheko, http.StatusBadGateway, "paheko_not_paheko"},
		{paheko.ErrMoved, http.StatusBadGateway, "paheko_moved"},
		{transfer.ErrSameAccount, http.StatusBadRequest, "transfer_same_account"},
		{transfer.ErrUnknownAccount, http.StatusBadRequest, "transfer_unknown_account"},
		{transfer.ErrTargetDisabled, http.StatusBadRequest, "transfer_target_disabled"},
		{transfer.ErrNothing, http.StatusBadRequest, "transfer_nothing"},
		{fmt.Errorf("%w: /Photos", transfer.ErrNotInInventory), http.StatusBadRequest, "transfer_not_in_inventory"},
		{transfer.ErrBusy, http.StatusConflict, "transfer_busy"},
		{tours.ErrUnknownTour, http.StatusNotFound, "tour_unknown"},
		{tours.ErrInvalidInput, http.StatusBadRequest, "tour_invalid"},
		{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed"},
		{errors.New("disk full"), http.StatusInternalServerError, "internal"},
	} {
		status, code := classify(c.err)
		if status != c.status || code != c.code {
			t.Errorf("classify(%v) = %d %q, want %d %q", c.err, status, code, c.status, c.code)
		}
	}
}

// Every code of the status table is declared next to its error, so that a
// typo cannot hide an error behind a 500.
func TestStatusTableCodesAreDeclared(t *testing.T) {
	declared := errcode.Codes()
	for _, row := range statusTable {
		if !slices.Contains(declared, row.code) {
			t.Errorf("status table: code %q is declared by no error", row.code)
		}
	}
}

// Every code a feature can return has an English text in the pages'
// errorText (js/src/l10n.js) and its French and English entries in l10n/.
func TestEveryCodeIsTranslated(t *testing.T) {
	texts := errorTexts(t)
	catalogs := map[string]map[string]any{}
	for _, lang := range []string{"fr", "en"} {
		raw, err := os.ReadFile("../../l10n/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Translations map[string]any }
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("l10n/%s.json: %v", lang, err)
		}
		catalogs[lang] = f.Translations
	}
	codes := errcode.Codes()
	if len(codes) < 30 {
		t.Fatalf("only %d codes declared: %v", len(codes), codes)
	}
	for _, code := range codes {
		text, ok := texts[code]
		if !ok {
			t.Errorf("code %q has no text in js/src/l10n.js errorText", code)
			continue
		}
		for lang, cat := range catalogs {
			if s, _ := cat[text].(string); strings.TrimSpace(s) == "" {
				t.Errorf("code %q: l10n/%s.json does not translate %q", code, lang, text)
			}
		}
	}
}

// errorTexts reads the code → English text entries of errorText in
// js/src/l10n.js, resolving the one constant it uses.
func errorTexts(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../js/src/l10n.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	consts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^const (\w+) = '((?:[^'\\]|\\.)*)'$`).FindAllStringSubmatch(src, -1) {
		consts[m[1]] = jsString(m[2])
	}
	start := strings.Index(src, "export function errorText(")
	if start < 0 {
		t.Fatal("js/src/l10n.js has no errorText")
	}
	body := src[start:]
	body = body[:strings.Index(body, "\n}\n")]
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\t\t(\w+): (?:'((?:[^'\\]|\\.)*)'|(\w+)),(?: *//.*)?$`).FindAllStringSubmatch(body, -1) {
		if m[3] != "" {
			out[m[1]] = consts[m[3]]
		} else {
			out[m[1]] = jsString(m[2])
		}
	}
	return out
}

// jsString undoes the escapes of a single-quoted JavaScript string.
func jsString(s string) string {
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(s)
}
