package oidc

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAuthorizeRequest(f *testing.F) {
	f.Add("response_type=code&client_id=paheko&redirect_uri=https%3A%2F%2Fp.example%2Fadmin%2Flogin.php%3Foidc&state=abc&scope=openid")
	f.Add("client_id=paheko&client_id=x&redirect_uri=%3A")
	f.Add("code_challenge=" + strings.Repeat("A", 43) + "&code_challenge_method=S256&client_id=a&redirect_uri=http://x/")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseAuthorizeRequest(q)
		if err != nil {
			return
		}
		if r.ClientID == "" || r.RedirectURI == "" || len(r.State) > maxParam {
			t.Fatalf("accepted %+v", r)
		}
		if oe := r.check(); oe == nil && r.ResponseType != "code" {
			t.Fatalf("response_type %q passed the checks", r.ResponseType)
		}
	})
}

func FuzzParseTokenRequest(f *testing.F) {
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=http://x/&client_id=paheko&client_secret=s")
	f.Add("grant_type=authorization_code&code=abc&code=def")
	f.Add("code_verifier=short&grant_type=authorization_code&code=a&redirect_uri=b&client_id=c&client_secret=d")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseTokenRequest(form)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is not an OAuth error", err)
			}
			return
		}
		if r.GrantType != "authorization_code" || r.Code == "" || r.ClientSecret == "" {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		got, ok := BearerToken(header)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v", header, got, ok)
		}
	}
}

func TestPKCEShapes(t *testing.T) {
	for _, tc := range []struct {
		s                   string
		challenge, verifier bool
	}{
		{strings.Repeat("A", 43), true, true},
		{strings.Repeat("a", 42), false, false},
		{strings.Repeat("z", 44), false, true},
		{strings.Repeat("9", 128), false, true},
		{strings.Repeat("9", 129), false, false},
		{strings.Repeat("-", 20) + strings.Repeat("_", 23), true, true},
		{strings.Repeat(".~", 22), false, true},
		{strings.Repeat("A", 42) + "=", false, false},
		{strings.Repeat("é", 22), false, false},
		{"", false, false},
	} {
		if got := pkceChallenge(tc.s); got != tc.challenge {
			t.Errorf("pkceChallenge(%q) = %v", tc.s, got)
		}
		if got := pkceVerifier(tc.s); got != tc.verifier {
			t.Errorf("pkceVerifier(%q) = %v", tc.s, got)
		}
	}
}
