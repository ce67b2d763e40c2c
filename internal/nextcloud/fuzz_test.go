package nextcloud

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The seed corpora in testdata/fuzz are answers captured from a real
// Nextcloud 32.0.1 (fixtures nextcloud-32, nextcloud-32-transfer,
// nextcloud-32-more); go test runs them, go test -fuzz explores from them.

// FuzzMultistatus reads any DAV answer the way the calendar, address book
// and object listings do.
func FuzzMultistatus(f *testing.F) {
	// An unterminated quote in a component set once stopped the process.
	f.Add([]byte(`<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/remote.php/dav/calendars/alice/x/</d:href>` +
		`<d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype><cal:supported-calendar-component-set>name="VEVENT</cal:supported-calendar-component-set></d:prop>` +
		`<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`))
	client, _ := New(Config{BaseURL: "http://127.0.0.1:8080"})
	alice := client.As("alice")
	f.Fuzz(func(t *testing.T, raw []byte) {
		resps, err := parseMultistatus(raw)
		if err != nil {
			return
		}
		for _, kind := range []string{Calendars, AddressBooks} {
			for _, c := range alice.collectionsOf(kind, resps) {
				if c.Owner == "" || c.URI == "" {
					t.Errorf("collection %q without an owner or a name", c.URI)
				}
				for _, comp := range c.Components {
					if comp == "" {
						t.Errorf("empty component name in %q", c.URI)
					}
				}
			}
		}
		for _, f := range alice.filesOf(resps) {
			if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "/../") || strings.HasSuffix(f.Path, "/..") {
				t.Errorf("file path %q leaves the user's files", f.Path)
			}
		}
		coll := alice.collPath(Calendars, "work")
		for _, o := range alice.objectsOf(coll, resps) {
			if o.Name == "" || o.Name == "." || o.Name == ".." || strings.Contains(o.Name, "/") {
				t.Errorf("object name %q is not one name in the collection", o.Name)
			}
		}
	})
}

// FuzzParseInvite reads any oc:invite property.
func FuzzParseInvite(f *testing.F) {
	// fixtures nextcloud-32-transfer 208, nextcloud-32-more 340–355
	f.Add([]byte(`<oc:user><d:href>principal:principals/users/carol</d:href><oc:common-name>Carol Example</oc:common-name><oc:invite-accepted/><oc:access><oc:read-write/></oc:access></oc:user>`))
	f.Add([]byte(`<oc:user><d:href>principal:principals/groups/staff</d:href><oc:access><oc:read/></oc:access></oc:user>`))
	f.Add([]byte(`</invite><invite>`))
	f.Add([]byte(`<oc:user><d:href>principal:principals/users/</d:href></oc:user>`))
	f.Fuzz(func(t *testing.T, inner []byte) {
		for _, s := range parseInvite(inner) {
			if s.Principal == "" || s.ID() == "" {
				t.Errorf("a sharee without a principal id from %q", inner)
			}
		}
	})
}

// FuzzDecodeOCS reads any OCS answer into every shape AssoKit decodes.
func FuzzDecodeOCS(f *testing.F) {
	f.Add(200, []byte(`{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":{"users":[]}}}`))
	f.Add(200, []byte(`{"ocs":{"meta":{"statuscode":100},"data":null}}`))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {"120"}}}
		outs := []any{&Account{}, &[]UserNotification{}, &[]Share{}, &[]string{}, &map[string]json.RawMessage{},
			&[]Conversation{}, &Conversation{}, &[]TalkParticipant{},
			&struct {
				Users json.RawMessage `json:"users"`
			}{}}
		for _, out := range outs {
			if err := decodeOCS("GET", "/ocs/v2.php/cloud/users", resp, raw, out); err == nil && status >= 300 {
				t.Fatalf("status %d accepted", status)
			}
		}
	})
}

// FuzzDeckAnswer reads any answer of Deck's API (seeds: fixtures
// nextcloud-32-more 426, 432, 438, 439) into the shapes AssoKit decodes: an
// owner is an object in listings and a bare uid after transferOwner.
func FuzzDeckAnswer(f *testing.F) {
	f.Add([]byte(`{"id":2,"title":"Bureau","owner":"lea","acl":[{"id":1,"participant":{"uid":"chloe"},"type":0}]}`))
	f.Add([]byte(`[{"id":3,"title":"À faire","cards":[{"id":1,"title":"x","owner":{"uid":"hugo","displayname":"Hugo"}}]}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var boards []Board
		json.Unmarshal(raw, &boards)
		var board Board
		json.Unmarshal(raw, &board)
		var stacks []Stack
		json.Unmarshal(raw, &stacks)
	})
}
