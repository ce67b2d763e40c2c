package membersync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"assokit/internal/errcode"
	"assokit/internal/paheko"
)

// Hosted are the bridge settings a host provisioned at deploy time
// (appapi.Provisioned); "" means not set. Set values take the place of what
// admins saved, and the settings page cannot change them.
type Hosted struct {
	URL, Key, Secret string
	Category         string // a category id
	Admin            string // the admin account whose rights read the accounts
}

// ErrHostedInvalid is a value the host set that the settings page would
// refuse: AssoKit does not use it and shows admins which one it is.
var ErrHostedInvalid = errcode.New("host_setting_invalid", "membersync: a setting provisioned by the host is invalid")

// Where the account AssoKit reads the accounts as comes from (Settings.AdminFrom).
const (
	AdminFromHost  = "host"  // the host named it
	AdminFromSaved = "saved" // the admin who last saved the settings
	AdminFromFirst = "first" // nobody did: the first enabled member of admin, looked for at each run
)

// hosted is what UseHosted kept: the valid values and, if any was invalid,
// the field and the error.
type hosted struct {
	Hosted
	fields   []string // the fields set, as the page names them: url, key, secret, category, admin
	badField string
	err      error
}

// UseHosted checks h with the settings page's rules (ValidateSettings) and
// makes its values take the place of the saved ones. When a value is
// invalid, none of h's Paheko values is used (a half-provisioned connection
// would reach the wrong Paheko or with the wrong key): it returns an error
// matching ErrHostedInvalid naming the field, and Settings shows it to
// admins as HostError and HostErrorField. Call it once, before serving.
func (s *Service) UseHosted(h Hosted) error {
	hs := &hosted{Hosted: h}
	for _, f := range []struct{ name, v string }{{"url", h.URL}, {"key", h.Key}, {"secret", h.Secret},
		{"category", h.Category}, {"admin", h.Admin}} {
		if f.v != "" {
			hs.fields = append(hs.fields, f.name)
		}
	}
	// The page's rules apply to whole settings: fill what the host left to
	// the admins with values that pass, check, keep the host's values.
	in := SettingsInput{URL: h.URL, Key: h.Key, Secret: h.Secret}
	if in.URL == "" {
		in.URL = "https://paheko.invalid"
	}
	if in.Key == "" {
		in.Key = "assokit"
	}
	var err error
	if h.Category != "" {
		if in.Category, err = strconv.Atoi(h.Category); err != nil || in.Category < 0 {
			hs.badField, hs.err = "category", fmt.Errorf("%w: category %q", ErrHostedInvalid, h.Category)
		}
	}
	if hs.err == nil {
		out, err := ValidateSettings(in)
		switch {
		case err != nil:
			hs.badField, hs.err = settingsField(err), fmt.Errorf("%w: %w", ErrHostedInvalid, err)
		default:
			if h.URL != "" {
				hs.URL = out.URL
			}
			if h.Key != "" {
				hs.Key = out.Key
			}
		}
	}
	s.hostedMu.Lock()
	s.hosted = hs
	s.hostedMu.Unlock()
	return hs.err
}

// settingsField names the field an error of ValidateSettings is about.
func settingsField(err error) string {
	for f, e := range map[string]error{"url": ErrBadURL, "key": ErrBadKey, "interval": ErrBadInterval, "category": ErrBadCategory} {
		if errors.Is(err, e) {
			return f
		}
	}
	return ""
}

// overHosted puts the host's values over the saved ones in st.
func (s *Service) overHosted(st *Settings) {
	s.hostedMu.Lock()
	h, first := s.hosted, s.firstAdmin
	s.hostedMu.Unlock()
	st.AdminFrom = AdminFromSaved
	if h != nil {
		st.Hosted = h.fields
		if h.err != nil {
			st.HostError, st.HostErrorField = ErrHostedInvalid.Code(), h.badField
		} else {
			if h.URL != "" {
				st.URL = h.URL
			}
			if h.Key != "" {
				st.Key = h.Key
			}
			if h.Secret != "" {
				st.secret, st.HasSecret = h.Secret, true
			}
			if h.Category != "" {
				st.Category, _ = strconv.Atoi(h.Category)
			}
		}
		if h.Admin != "" {
			st.Admin, st.AdminFrom = h.Admin, AdminFromHost
		}
	}
	if st.Admin == "" {
		st.Admin, st.AdminFrom = first, AdminFromFirst
	}
}

// keepHosted replaces, in what an admin saves, the fields the host set.
func (s *Service) keepHosted(in SettingsInput) SettingsInput {
	s.hostedMu.Lock()
	h := s.hosted
	s.hostedMu.Unlock()
	if h == nil || h.err != nil {
		return in
	}
	if h.URL != "" {
		in.URL = h.URL
	}
	if h.Key != "" {
		in.Key = h.Key
	}
	if h.Secret != "" {
		in.Secret = ""
	}
	if h.Category != "" {
		in.Category, _ = strconv.Atoi(h.Category)
	}
	return in
}

// MarshalJSON writes the settings for the admin page: the API key is left
// out when the host set it (the address is shown, keys and secrets never).
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	p := plain(s)
	if slices.Contains(s.Hosted, "key") {
		p.Key = ""
	}
	if p.Hosted == nil {
		p.Hosted = []string{}
	}
	return json.Marshal(p)
}

// firstAdmin returns the first enabled member of Nextcloud's admin group,
// by uid order: AppAPI lists every uid without an acting user
// (fixtures nextcloud-32 15: the provisioning API refuses that), and each
// account reads its own details and groups (nextcloud-32-more 330; a
// disabled account is refused, 315). It remembers the answer for Settings.
func (s *Service) findFirstAdmin(ctx context.Context) (string, error) {
	uids, err := s.nc.AllUserIDs(ctx)
	if err != nil {
		return "", err
	}
	sort.Strings(uids)
	found := ""
	for _, uid := range uids {
		acc, err := s.nc.As(uid).Account(ctx, uid)
		if err == nil && acc.Enabled && slices.Contains(acc.Groups, paheko.GroupAdmin) {
			found = uid
			break
		}
		if err != nil && ctx.Err() != nil {
			return "", err
		}
	}
	s.hostedMu.Lock()
	s.firstAdmin = found
	s.hostedMu.Unlock()
	if found == "" {
		return "", ErrNoAdmin
	}
	return found, nil
}
