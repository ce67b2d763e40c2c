package nextcloudtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// OCS status codes with a meaning of their own.
const (
	ocsUnauthorised = 997
	ocsNotFound     = 998
)

// ocsReq is an OCS request being served.
type ocsReq struct {
	w    http.ResponseWriter
	r    *http.Request
	v2   bool
	path string // after /ocs/vN.php
	who  caller
	body map[string]any
}

// reply writes an OCS envelope. code is the OCS status: 100/200 for success
// (written as 100 in v1 and 200 in v2), 201 for a creation (Talk answers
// HTTP 201 with statuscode 201, fixture 500), anything else a failure. As in
// Nextcloud, v1 answers HTTP 200 except for 997 (401); v2 maps 997 to 401,
// 998 to 404, codes outside 200–600 to 400, and uses the others as is.
func (o *ocsReq) reply(code int, message string, data any) {
	ok := code == 100 || code == 200 || code == 201
	meta := map[string]any{"status": "ok", "statuscode": code, "message": message}
	switch {
	case code == 201:
		meta["message"] = "OK"
	case ok:
		meta["statuscode"], meta["message"] = 200, "OK"
		if !o.v2 {
			meta["statuscode"] = 100
		}
	default:
		meta["status"] = "failure"
	}
	if !o.v2 {
		meta["totalitems"], meta["itemsperpage"] = "", ""
	}
	if data == nil {
		data = []any{}
	}
	status := http.StatusOK
	switch {
	case code == 201:
		status = http.StatusCreated
	case ok:
	case code == ocsUnauthorised:
		status = http.StatusUnauthorized
	case !o.v2:
	case code == ocsNotFound:
		status = http.StatusNotFound
	case code < 200 || code > 600:
		status = http.StatusBadRequest
	default:
		status = code
	}
	h := o.w.Header()
	sessionCookie(o.w)
	h.Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';frame-ancestors 'none'")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Content-Type", "application/json; charset=utf-8")
	if o.who.user != "" {
		h.Set("X-User-Id", o.who.user)
	}
	o.w.WriteHeader(status)
	json.NewEncoder(o.w).Encode(map[string]any{"ocs": map[string]any{"meta": meta, "data": data}})
}

func (o *ocsReq) ok(data any) { o.reply(200, "OK", data) }

func (o *ocsReq) str(key string) string {
	switch v := o.body[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	}
	return o.r.URL.Query().Get(key)
}

func (o *ocsReq) num(key string) (int, bool) {
	switch v := o.body[key].(type) {
	case float64:
		return int(v), true
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	n, err := strconv.Atoi(o.r.URL.Query().Get(key))
	return n, err == nil
}

// readBody reads a JSON or form-encoded body into a map, as Nextcloud's
// Request merges both into its parameters.
func readBody(r *http.Request) map[string]any {
	out := map[string]any{}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"), len(raw) > 0 && raw[0] == '{':
		json.Unmarshal(raw, &out)
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		vals, _ := url.ParseQuery(string(raw))
		for k, v := range vals {
			if strings.HasSuffix(k, "[]") {
				list := make([]any, len(v))
				for i := range v {
					list[i] = v[i]
				}
				out[strings.TrimSuffix(k, "[]")] = list
			} else if len(v) > 0 {
				out[k] = v[0]
			}
		}
	}
	return out
}

func (s *Server) serveOCS(w http.ResponseWriter, r *http.Request) {
	o := &ocsReq{w: w, r: r, v2: strings.HasPrefix(r.URL.Path, "/ocs/v2.php/"), body: readBody(r)}
	o.path = strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/ocs/v2.php"), "/ocs/v1.php")
	appAPIPath := strings.HasPrefix(o.path, "/apps/app_api/")

	who, present, ok := s.appAPIAuth(r)
	if !present {
		if u, bok := s.browserAuth(r); bok {
			who, ok = caller{user: u}, true
		}
	}
	if !ok {
		if appAPIPath {
			o.reply(ocsUnauthorised, "AppAPI authentication failed", nil)
		} else {
			o.reply(ocsUnauthorised, "Current user is not logged in", nil)
		}
		return
	}
	if who.user != "" && !s.enabled(who.user) {
		// Nextcloud refuses OCS calls as a disabled account (fixtures 314,
		// 315); its DAV still answers (316–321). For AppAPI's own endpoints
		// (a notification sent as a disabled account) the same refusal is
		// assumed: AppAPI's AppAPIService::validateExAppRequestToNC signs
		// the user in through the same user session, no capture.
		o.reply(ocsUnauthorised, "Current user is not logged in", nil)
		return
	}
	o.who = who
	if o.path == "/cloud/capabilities" && r.Method == http.MethodGet {
		s.capabilities(o)
		return
	}
	if appAPIPath {
		if who.app == nil {
			o.reply(ocsUnauthorised, "AppAPI authentication failed", nil)
			return
		}
		s.serveAppAPI(o)
		return
	}
	if who.user == "" || !s.userEnabled(who.user) {
		// A disabled account is not logged in for OCS, DAV still answers
		// (fixtures nextcloud-32-more 314, 315).
		o.reply(ocsUnauthorised, "Current user is not logged in", nil)
		return
	}
	switch {
	case strings.HasPrefix(o.path, "/cloud/"):
		s.serveProvisioning(o)
	case strings.HasPrefix(o.path, "/apps/files/"):
		s.serveFilesApp(o)
	case strings.HasPrefix(o.path, "/apps/files_sharing/"):
		s.serveSharing(o)
	case strings.HasPrefix(o.path, "/apps/notifications/"):
		s.serveNotifications(o)
	case strings.HasPrefix(o.path, "/apps/spreed/") && s.talkEnabled():
		s.serveTalk(o)
	default:
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
	}
}

// enabled reports whether the account uid exists and is enabled.
func (s *Server) enabled(uid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[uid]
	return u != nil && u.Enabled
}

func (s *Server) capabilities(o *ocsReq) {
	caps := map[string]any{
		"core":    map[string]any{"pollinterval": 60, "webdav-root": "remote.php/webdav"},
		"app_api": map[string]any{"loglevel": 1, "version": AAVersion},
	}
	s.mu.Lock()
	s.appCapabilitiesLocked(caps)
	s.mu.Unlock()
	o.ok(map[string]any{
		"version":      map[string]any{"major": 32, "minor": 0, "micro": 1, "string": Version, "edition": "", "extendedSupport": false},
		"capabilities": caps,
	})
}

// userEnabled says whether account uid exists and is enabled.
func (s *Server) userEnabled(uid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[uid]
	return u != nil && u.Enabled
}
