package membersync

import (
	"errors"
	"testing"
)

func TestNormaliseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://asso.paheko.cloud":                       "https://asso.paheko.cloud",
		"https://asso.paheko.cloud/":                      "https://asso.paheko.cloud",
		"  https://Asso.Paheko.Cloud/admin/  ":            "https://asso.paheko.cloud",
		"https://asso.paheko.cloud/admin/users/?id=3#top": "https://asso.paheko.cloud",
		"https://asso.example.org/paheko/admin/login.php": "https://asso.example.org/paheko",
		"https://asso.example.org/paheko/":                "https://asso.example.org/paheko",
		"https://asso.example.org/api/user/categories":    "https://asso.example.org",
		"asso.paheko.cloud/admin/":                        "https://asso.paheko.cloud",
		"http://127.0.0.1:8089/admin/":                    "http://127.0.0.1:8089",
		"https://asso.example.org/p/agenda/":              "https://asso.example.org",
		"https://asso.example.org/admindocs":              "https://asso.example.org/admindocs",
	} {
		got, err := NormaliseURL(in)
		if err != nil || got != want {
			t.Errorf("NormaliseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://asso.example.org", "https://", "https://user:pw@asso.example.org", "http://%zz"} {
		if got, err := NormaliseURL(bad); !errors.Is(err, ErrBadURL) {
			t.Errorf("NormaliseURL(%q) = %q, %v; want ErrBadURL", bad, got, err)
		}
	}
}

func TestValidateSettings(t *testing.T) {
	ok := SettingsInput{URL: "https://asso.example.org/admin/", Key: " assokit ", Secret: "s"}
	got, err := ValidateSettings(ok)
	if err != nil || got.URL != "https://asso.example.org" || got.Key != "assokit" || got.IntervalSeconds != 60 {
		t.Errorf("ValidateSettings(%+v) = %+v, %v", ok, got, err)
	}
	for name, tc := range map[string]struct {
		in   SettingsInput
		want error
	}{
		"no address":         {SettingsInput{Key: "k"}, ErrBadURL},
		"a key with a space": {SettingsInput{URL: "https://a.example", Key: "my key"}, ErrBadKey},
		"no key":             {SettingsInput{URL: "https://a.example"}, ErrBadKey},
		"interval too short": {SettingsInput{URL: "https://a.example", Key: "k", IntervalSeconds: 5}, ErrBadInterval},
		"negative category":  {SettingsInput{URL: "https://a.example", Key: "k", Category: -1}, ErrBadCategory},
	} {
		if _, err := ValidateSettings(tc.in); !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidSettings) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func FuzzNormaliseURL(f *testing.F) {
	f.Add("https://asso.paheko.cloud/admin/users/?id=3")
	f.Add("asso.example.org/paheko/")
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := NormaliseURL(raw)
		if err != nil {
			return
		}
		again, err := NormaliseURL(u)
		if err != nil || again != u {
			t.Errorf("not stable: %q → %q → %q, %v", raw, u, again, err)
		}
	})
}
