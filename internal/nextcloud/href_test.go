package nextcloud

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHrefsStayInTheirCollection answers listings whose hrefs try to lead
// elsewhere: to another host (where the signed request would carry the
// AppAPI secret), out of the collection, or up with dot segments. None
// becomes a collection or an object, and no request leaves Nextcloud.
func TestHrefsStayInTheirCollection(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	otherHost := strings.TrimPrefix(other.URL, "http://")
	var nc *httptest.Server
	nc = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		home := "/remote.php/dav/calendars/alice/"
		hrefs := []string{home + "work/"}
		if r.URL.Path == home {
			hrefs = append(hrefs, "@"+otherHost+"/remote.php/dav/calendars/alice/evil/", other.URL+"/remote.php/dav/calendars/alice/evil2/",
				"//"+otherHost+"/remote.php/dav/calendars/alice/evil3/", home+"../bob/evil4/", "/remote.php/dav/calendars/bob/evil5/",
				strings.Replace(nc.URL, "http://", "http://user@", 1)+home+"evil6/", home+"%2e%2e/")
		} else {
			hrefs = []string{home + "work/", home + "work/a.ics", home + "work/..", home + "work/%2E%2E", home + "other/b.ics",
				"@" + otherHost + home + "work/c.ics", other.URL + home + "work/d.ics", nc.URL + home + "work/e.ics"}
		}
		w.WriteHeader(207)
		w.Write([]byte(`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">`))
		for _, h := range hrefs {
			w.Write([]byte(`<d:response><d:href>` + h + `</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>` +
				`<d:getetag>"x"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`))
		}
		w.Write([]byte(`</d:multistatus>`))
	}))
	defer nc.Close()
	c, err := New(Config{BaseURL: nc.URL, AppID: "assokit", AppSecret: "s", AppVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	alice := c.As("alice")
	ctx := context.Background()
	cols, err := alice.Collections(ctx, Calendars)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 1 || cols[0].URI != "work" {
		t.Errorf("collections %+v, want only work", cols)
	}
	tags, err := alice.ObjectETags(ctx, Calendars, "work")
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || tags["a.ics"] == "" || tags["e.ics"] == "" {
		t.Errorf("objects %v, want a.ics and e.ics", tags)
	}
	for _, name := range []string{"..", "."} {
		if u := alice.url(alice.collPath(Calendars, "work", name), ""); !strings.HasSuffix(u, "/work/"+strings.Repeat("%2E", len(name))) {
			t.Errorf("object %q is sent to %s", name, u)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests left Nextcloud", n)
	}
}
