package membersync

import (
	"context"
	"net/url"
	"strings"
	"time"

	"assokit/internal/errcode"
	"assokit/internal/paheko"
)

// Settings an admin (or the host, at deploy time) must correct, each with
// its code; each also matches ErrInvalidSettings (errors.Is).
var (
	ErrBadURL      = invalid("paheko_url_invalid", "membersync: invalid settings: the address of Paheko")
	ErrBadKey      = invalid("paheko_key_invalid", "membersync: invalid settings: the API key")
	ErrBadInterval = invalid("sync_interval_invalid", "membersync: invalid settings: the interval")
	ErrBadCategory = invalid("paheko_category_invalid", "membersync: invalid settings: the category of new members")
)

// invalidSetting is a coded settings error that is also ErrInvalidSettings.
type invalidSetting struct{ coded *errcode.Error }

func (e invalidSetting) Error() string { return e.coded.Error() }
func (e invalidSetting) Is(target error) bool {
	return target == ErrInvalidSettings || target == e.coded
}

func invalid(code, text string) error { return invalidSetting{errcode.New(code, text)} }

// apiKey reports whether key has the form of a Paheko API key's
// identifier (API_Credentials.php: ^[a-z0-9_]+$). Checked by hand, like
// cutPagePath: no regexp is compiled at start.
func apiKey(key string) bool {
	for _, c := range []byte(key) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return key != ""
}

// cutPagePath returns path without the part, pasted from the browser, that
// names a page of Paheko rather than Paheko itself: its admin pages, API,
// plugins' and modules' pages, from the first segment admin, api, p or m
// (in any case) to the end, as (?i)/(admin|api|p|m)(/.*)?$ would. What
// comes before is where Paheko is installed (a sub-folder is kept).
func cutPagePath(path string) string {
	for i := 0; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		seg, _, _ := strings.Cut(path[i+1:], "/")
		for _, page := range []string{"admin", "api", "p", "m"} {
			if strings.EqualFold(seg, page) {
				return path[:i]
			}
		}
	}
	return path
}

// NormaliseURL returns Paheko's address as AssoKit keeps it: scheme, host
// and the folder Paheko is installed in, without a trailing slash, query,
// fragment or the page pasted from the browser's address bar
// (https://asso.example.org/admin/users/?id=3 → https://asso.example.org).
// An address without a scheme gets https://. It returns ErrBadURL for
// anything that is not an http(s) address with a host.
func NormaliseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", ErrBadURL
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = cutPagePath(strings.TrimRight(u.Path, "/"))
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// ValidateSettings checks and normalises settings before they are kept:
// the address (NormaliseURL), the key identifier (trimmed, Paheko's form),
// the interval (0: DefaultInterval; else 10 s to one day) and the category
// of new members (0: "Nextcloud — Membre" or Paheko's default; else a
// positive id, whose existence and rights CheckCategory verifies). The
// secret is kept as given. Errors wrap ErrInvalidSettings.
func ValidateSettings(in SettingsInput) (SettingsInput, error) {
	var err error
	if in.URL, err = NormaliseURL(in.URL); err != nil {
		return in, err
	}
	in.Key = strings.TrimSpace(in.Key)
	if !apiKey(in.Key) {
		return in, ErrBadKey
	}
	if in.IntervalSeconds == 0 {
		in.IntervalSeconds = int(DefaultInterval / time.Second)
	}
	if in.IntervalSeconds < 10 || in.IntervalSeconds > 86400 {
		return in, ErrBadInterval
	}
	if in.Category < 0 {
		return in, ErrBadCategory
	}
	return in, nil
}

// CheckCategory verifies against Paheko that category id (0 accepted) is
// one members can be created in: it exists and gives no admin rights
// (Paheko refuses API changes to members of config or members-admin
// categories, captures 07, 12). It returns ErrBadCategory, or Paheko's error.
func CheckCategory(ctx context.Context, pc *paheko.Client, id int) error {
	if id == 0 {
		return nil
	}
	cats, err := pc.Categories(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		if c.ID == id && !c.Protected() && c.PermConfig == 0 {
			return nil
		}
	}
	return ErrBadCategory
}
