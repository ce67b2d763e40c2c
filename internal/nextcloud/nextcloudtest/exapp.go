package nextcloudtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Route is a proxy route declared by an ExApp (info.xml <routes>).
type Route struct {
	URL         string // a regex, matched as AppAPI's PHP proxy does
	Verb        string // "GET,POST"
	AccessLevel int    // 0 PUBLIC, 1 USER, 2 ADMIN
}

// ExApp is an ExApp registered with the fake.
type ExApp struct {
	ID      string
	Name    string
	Version string
	Secret  string
	URL     string // where the fake reaches the ExApp, e.g. http://127.0.0.1:23000
	Routes  []Route
	// Translations is the ExApp's l10n folder as AppAPI installs it (from
	// the app-store archive's l10n/ or from translations_folder in
	// --json-info): <lang>.json files in Nextcloud's format. Nextcloud then
	// shows the top-menu names and the settings forms in each user's
	// language (IFactory::get(appId)->t); without it, as registered.
	Translations fs.FS

	Enabled      bool
	InitProgress int
	InitError    string

	TopMenus map[string]TopMenuEntry
	Scripts  []Asset
	Styles   []Asset
	States   map[string]json.RawMessage // by "menu/key"
	Forms    map[string]json.RawMessage // by form id
	Config   map[string]string

	initDone chan struct{}
}

// TopMenuEntry is a registered top-menu entry.
type TopMenuEntry struct {
	ID            int    `json:"id"`
	AppID         string `json:"appid"`
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	Icon          string `json:"icon"`
	AdminRequired int    `json:"admin_required"`
}

// Asset is a registered script or style.
type Asset struct{ Type, Name, Path string }

// ExAppState returns a copy of what an ExApp has registered.
func (s *Server) ExAppState(appID string) (ExApp, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		return ExApp{}, false
	}
	cp := *a
	cp.TopMenus = map[string]TopMenuEntry{}
	for k, v := range a.TopMenus {
		cp.TopMenus[k] = v
	}
	cp.Scripts = append([]Asset(nil), a.Scripts...)
	cp.Styles = append([]Asset(nil), a.Styles...)
	cp.States, cp.Forms, cp.Config = map[string]json.RawMessage{}, map[string]json.RawMessage{}, map[string]string{}
	for k, v := range a.States {
		cp.States[k] = v
	}
	for k, v := range a.Forms {
		cp.Forms[k] = v
	}
	for k, v := range a.Config {
		cp.Config[k] = v
	}
	return cp, true
}

// SetAppConfig sets an ExApp config value, as the admin settings form does.
func (s *Server) SetAppConfig(appID, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil {
		a.Config[key] = value
	}
}

// InstallExApp records an ExApp as registered and enabled, without calling
// it: for tests of what an ExApp sends to Nextcloud once it is installed.
func (s *Server) InstallExApp(app ExApp) {
	app.TopMenus, app.States, app.Forms = map[string]TopMenuEntry{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}
	if app.Config == nil {
		app.Config = map[string]string{}
	}
	app.Enabled, app.InitProgress = true, 100
	s.mu.Lock()
	s.apps[app.ID] = &app
	s.mu.Unlock()
}

// RegisterExApp registers an ExApp and runs AppAPI's registration sequence
// (occ app_api:app:register --wait-finish): heartbeat until it answers, POST
// /init, then wait until the ExApp reports progress 100 — Nextcloud enables it
// inside that report, calling /heartbeat and PUT /enabled?enabled=1 — or an
// error. It returns when the ExApp is enabled, or the reason it is not.
func (s *Server) RegisterExApp(ctx context.Context, app ExApp) error {
	app.TopMenus, app.States, app.Forms = map[string]TopMenuEntry{}, map[string]json.RawMessage{}, map[string]json.RawMessage{}
	if app.Config == nil {
		app.Config = map[string]string{}
	}
	app.initDone = make(chan struct{})
	app.URL = strings.TrimSuffix(app.URL, "/")
	s.mu.Lock()
	s.apps[app.ID] = &app
	a := s.apps[app.ID]
	s.mu.Unlock()

	if err := s.heartbeat(ctx, a, 600); err != nil {
		return err
	}
	// dispatchExAppInitInternal: init=0, enabled in DB, then POST /init.
	s.mu.Lock()
	a.InitProgress, a.Enabled = 0, true
	s.mu.Unlock()
	resp, err := s.callExApp(ctx, a, "POST", "/init", "", 30*time.Second)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented {
		return s.finishInit(ctx, a)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("init: status %d", resp.StatusCode)
	}
	select {
	case <-a.initDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.InitError != "" {
		return fmt.Errorf("init failed: %s", a.InitError)
	}
	if !a.Enabled {
		return errors.New("enable failed")
	}
	return nil
}

// finishInit is what progress 100 triggers: heartbeat, then PUT /enabled=1.
func (s *Server) finishInit(ctx context.Context, a *ExApp) error {
	defer func() {
		select {
		case <-a.initDone:
		default:
			close(a.initDone)
		}
	}()
	return s.EnableExApp(ctx, a.ID)
}

// EnableExApp enables a registered ExApp (occ app_api:app:enable): it is
// marked enabled first, then asked to register its UI with PUT /enabled?enabled=1.
// A non-empty "error" in the answer disables it again.
func (s *Server) EnableExApp(ctx context.Context, appID string) error {
	s.mu.Lock()
	a := s.apps[appID]
	s.mu.Unlock()
	if a == nil {
		return errors.New("no such ExApp")
	}
	if err := s.heartbeat(ctx, a, 60); err != nil {
		return err
	}
	s.mu.Lock()
	a.Enabled = true
	s.mu.Unlock()
	msg, err := s.callEnabled(ctx, a, true)
	if err == nil && msg != "" {
		err = errors.New(msg)
	}
	if err != nil {
		s.mu.Lock()
		a.Enabled = false
		s.mu.Unlock()
		return fmt.Errorf("enable: %w", err)
	}
	return nil
}

// DisableExApp disables an ExApp (occ app_api:app:disable): PUT
// /enabled?enabled=0 first, then it is marked disabled whatever it answered.
func (s *Server) DisableExApp(ctx context.Context, appID string) error {
	s.mu.Lock()
	a := s.apps[appID]
	s.mu.Unlock()
	if a == nil {
		return errors.New("no such ExApp")
	}
	msg, err := s.callEnabled(ctx, a, false)
	s.mu.Lock()
	a.Enabled = false
	s.mu.Unlock()
	if err == nil && msg != "" {
		err = errors.New(msg)
	}
	return err
}

func (s *Server) callEnabled(ctx context.Context, a *ExApp, enabled bool) (string, error) {
	v := "0"
	if enabled {
		v = "1"
	}
	resp, err := s.callExApp(ctx, a, "PUT", "/enabled?enabled="+v, "", 60*time.Second)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("enabled: answer is not JSON: %w", err)
	}
	return out.Error, nil
}

// heartbeat polls GET /heartbeat once a second until it answers
// {"status":"ok"}, at most tries times.
func (s *Server) heartbeat(ctx context.Context, a *ExApp, tries int) error {
	var last error
	for i := 0; i < tries; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", a.URL+"/heartbeat", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Nextcloud Server Crawler")
		resp, err := exAppClient.Do(req)
		if err == nil {
			var hb struct {
				Status string `json:"status"`
			}
			err = json.NewDecoder(resp.Body).Decode(&hb)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 && hb.Status == "ok" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("status %d %q", resp.StatusCode, hb.Status)
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(min(i+1, 10)) * 100 * time.Millisecond):
		}
	}
	return fmt.Errorf("heartbeat check failed: %w", last)
}

var exAppClient = &http.Client{}

// callExApp sends a request to the ExApp with AppAPI's headers, acting as user.
func (s *Server) callExApp(ctx context.Context, a *ExApp, method, path, user string, timeout time.Duration) (*http.Response, error) {
	return s.forward(ctx, a, method, path, user, nil, nil, timeout)
}

// forward sends a request to the ExApp as AppAPI does (requestToExApp).
func (s *Server) forward(ctx context.Context, a *ExApp, method, path, user string, header http.Header, body io.Reader, timeout time.Duration) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if host := header.Get("Host"); host != "" {
		req.Host = host // a Host header given to Guzzle replaces the URL's
	}
	req.Header.Set("AA-VERSION", AAVersion)
	req.Header.Set("EX-APP-ID", a.ID)
	req.Header.Set("EX-APP-VERSION", a.Version)
	req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(user+":"+a.Secret)))
	req.Header.Set("AA-REQUEST-ID", "CLI")
	if req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", "en")
	}
	req.Header.Set("User-Agent", "Nextcloud Server Crawler")
	return (&http.Client{Timeout: timeout}).Do(req)
}

// serveAppAPI serves /ocs/vN.php/apps/app_api/... for an authenticated ExApp.
func (s *Server) serveAppAPI(o *ocsReq) {
	p := strings.TrimPrefix(o.path, "/apps/app_api")
	m := o.r.Method
	a := o.who.app
	switch {
	case p == "/api/v1/users" && m == "GET":
		s.mu.Lock()
		ids := make([]string, 0, len(s.users))
		for _, u := range s.sortedUsersLocked() {
			ids = append(ids, u.ID)
		}
		s.mu.Unlock()
		o.ok(ids)
	case p == "/ex-app/state" && m == "GET":
		s.mu.Lock()
		st := 0
		if a.Enabled {
			st = 1
		}
		s.mu.Unlock()
		o.ok(st)
	case p == "/ex-app/status" && m == "PUT":
		s.initStatus(o, a)
	case p == "/api/v1/log" && m == "POST":
		level, ok := o.num("level")
		if !ok || level < 0 || level > 4 {
			o.reply(http.StatusBadRequest, "Invalid log level", nil)
			return
		}
		s.mu.Lock()
		s.logs = append(s.logs, LogEntry{App: a.ID, Level: level, Message: o.str("message")})
		s.mu.Unlock()
		o.ok(nil)
	case p == "/api/v1/notification" && m == "POST":
		s.notify(o, a)
	case p == "/api/v1/info/nextcloud_url/absolute" && m == "GET":
		o.ok(map[string]any{"absolute_url": s.URL() + o.r.URL.Query().Get("url")})
	case p == "/api/v1/ui/top-menu":
		s.topMenu(o, a)
	case p == "/api/v1/ui/script", p == "/api/v1/ui/style":
		s.asset(o, a, strings.HasSuffix(p, "script"))
	case p == "/api/v1/ui/initial-state":
		s.initialState(o, a)
	case p == "/api/v1/ui/settings":
		s.settingsForm(o, a)
	case p == "/api/v1/ex-app/config/get-values" && m == "POST":
		s.mu.Lock()
		rows := []any{}
		keys, _ := o.body["configKeys"].([]any)
		for _, k := range keys {
			ks, _ := k.(string)
			if v, ok := a.Config[ks]; ok {
				rows = append(rows, map[string]any{"configkey": ks, "configvalue": v})
			}
		}
		s.mu.Unlock()
		o.ok(rows)
	case p == "/api/v1/ex-app/config" && m == "POST":
		s.mu.Lock()
		a.Config[o.str("configKey")] = o.str("configValue")
		s.mu.Unlock()
		o.ok(map[string]any{"appid": a.ID, "configkey": o.str("configKey"), "configvalue": o.str("configValue")})
	default:
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
	}
}

// initStatus is OCSExAppController::setAppInitProgress: progress 100
// synchronously enables the ExApp before answering.
func (s *Server) initStatus(o *ocsReq, a *ExApp) {
	progress, ok := o.num("progress")
	if !ok || progress < 0 || progress > 100 {
		o.reply(http.StatusBadRequest, "Invalid ExApp status progress value", nil)
		return
	}
	errText := o.str("error")
	s.mu.Lock()
	done := a.InitProgress == 100
	if !done {
		a.InitProgress, a.InitError = progress, errText
	}
	s.mu.Unlock()
	switch {
	case done:
	case errText != "":
		s.mu.Lock()
		select {
		case <-a.initDone:
		default:
			close(a.initDone)
		}
		s.mu.Unlock()
	case progress == 100:
		if err := s.finishInit(o.r.Context(), a); err != nil {
			s.mu.Lock()
			a.InitError = err.Error()
			s.mu.Unlock()
		}
	}
	o.ok(nil)
}

func (s *Server) notify(o *ocsReq, a *ExApp) {
	if o.who.user == "" {
		o.reply(http.StatusBadRequest, "User not found", nil)
		return
	}
	params, _ := o.body["params"].(map[string]any)
	sp, _ := params["subject_params"].(map[string]any)
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	obj := func(k string) map[string]any { v, _ := sp[k].(map[string]any); return v }
	subject, okS := exAppNotifierText(str(sp, "rich_subject"), obj("rich_subject_params"))
	message, okM := exAppNotifierText(str(sp, "rich_message"), obj("rich_message_params"))
	s.mu.Lock()
	n := Notification{App: a.ID, User: o.who.user, ObjectType: "app_api", ObjectID: str(params, "object_id"),
		Subject: subject, Message: message, Link: str(sp, "link"),
		subjectRich: str(sp, "rich_subject"), messageRich: str(sp, "rich_message"),
		subjectParams: obj("rich_subject_params"), messageParams: obj("rich_message_params")}
	if okS && okM {
		s.addNoteLocked(n)
		n = s.notes[len(s.notes)-1]
	}
	s.mu.Unlock()
	o.ok(map[string]any{"app": a.ID, "user": n.User, "datetime": n.Time.UTC().Format("2006-01-02T15:04:05+00:00"),
		"object_type": "app_api", "object_id": n.ObjectID, "subject": "", "message": "", "link": "", "icon": ""})
}

func (s *Server) topMenu(o *ocsReq, a *ExApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := o.str("name")
	switch o.r.Method {
	case "POST":
		admin, _ := o.num("adminRequired")
		e, exists := a.TopMenus[name]
		if !exists {
			e.ID = s.nextID
			s.nextID++
		}
		e.AppID, e.Name, e.DisplayName, e.Icon, e.AdminRequired = a.ID, name, o.str("displayName"), o.str("icon"), admin
		a.TopMenus[name] = e
		o.ok(nil)
	case "DELETE":
		if _, ok := a.TopMenus[name]; !ok {
			o.reply(http.StatusNotFound, "No top menu item found", nil)
			return
		}
		delete(a.TopMenus, name)
		o.ok(nil)
	case "GET":
		e, ok := a.TopMenus[name]
		if !ok {
			o.reply(http.StatusNotFound, "No top menu item found", nil)
			return
		}
		o.ok(e)
	}
}

func (s *Server) asset(o *ocsReq, a *ExApp, script bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := &a.Styles
	if script {
		list = &a.Scripts
	}
	as := Asset{Type: o.str("type"), Name: o.str("name"), Path: o.str("path")}
	idx := -1
	for i, x := range *list {
		if x == as {
			idx = i
		}
	}
	switch o.r.Method {
	case "POST":
		if idx < 0 {
			*list = append(*list, as)
		}
		o.ok(nil)
	case "DELETE":
		if idx < 0 {
			o.reply(http.StatusNotFound, "Not found", nil)
			return
		}
		*list = append((*list)[:idx], (*list)[idx+1:]...)
		o.ok(nil)
	case "GET":
		if idx < 0 {
			o.reply(http.StatusNotFound, "Not found", nil)
			return
		}
		o.ok(map[string]any{"appid": a.ID, "type": as.Type, "name": as.Name, "path": as.Path})
	}
}

func (s *Server) initialState(o *ocsReq, a *ExApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := o.str("name") + "/" + o.str("key")
	switch o.r.Method {
	case "POST":
		v, ok := o.body["value"]
		if _, isObj := v.(map[string]any); !ok || (!isObj && !isList(v)) {
			o.reply(http.StatusBadRequest, "Value must be an object or an array", nil)
			return
		}
		raw, _ := json.Marshal(v)
		a.States[key] = raw
		o.ok(nil)
	case "DELETE":
		if _, ok := a.States[key]; !ok {
			o.reply(http.StatusNotFound, "Not found", nil)
			return
		}
		delete(a.States, key)
		o.ok(nil)
	case "GET":
		v, ok := a.States[key]
		if !ok {
			o.reply(http.StatusNotFound, "Not found", nil)
			return
		}
		o.ok(map[string]any{"appid": a.ID, "key": o.str("key"), "value": v})
	}
}

func isList(v any) bool { _, ok := v.([]any); return ok }

func (s *Server) settingsForm(o *ocsReq, a *ExApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch o.r.Method {
	case "POST":
		scheme, ok := o.body["formScheme"].(map[string]any)
		id, _ := scheme["id"].(string)
		if !ok || id == "" {
			o.reply(http.StatusBadRequest, "Invalid form scheme", nil)
			return
		}
		scheme["storage_type"] = "external"
		raw, _ := json.Marshal(scheme)
		a.Forms[id] = raw
		o.ok(nil)
	case "DELETE":
		id := o.str("formId")
		if _, ok := a.Forms[id]; !ok {
			o.reply(http.StatusNotFound, "Settings form not found", nil)
			return
		}
		delete(a.Forms, id)
		o.ok(nil)
	case "GET":
		raw, ok := a.Forms[o.str("formId")]
		if !ok {
			o.reply(http.StatusNotFound, "Settings form not found", nil)
			return
		}
		o.ok(json.RawMessage(raw))
	}
}

// sortedMenus lists an app's top-menu entries by name.
func sortedMenus(a *ExApp) []TopMenuEntry {
	out := make([]TopMenuEntry, 0, len(a.TopMenus))
	for _, e := range a.TopMenus {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// exAppNotifierText is a subject or message as AppAPI's ExAppNotifier
// shows it: passed through Nextcloud's l10n ($l->t(), whose L10NString
// answers a fixed text for any '|' and ends in vsprintf, where "%%" is '%'
// and any other '%' is a format that fails for want of arguments), then
// through the rich-object validator, which wants a parameter for every
// {word} (AppAPI lib/Notifications/ExAppNotifier.php; Nextcloud
// lib/private/L10N/L10NString.php, lib/private/RichObjectStrings/Validator.php).
// ok is false for a notification Nextcloud never shows (assumed, not
// captured: the notifier fails while preparing it).
func exAppNotifierText(text string, params map[string]any) (shown string, ok bool) {
	if strings.Contains(text, "|") {
		return "Can not use pipe character in translations", true
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] != '%' {
			b.WriteByte(text[i])
			continue
		}
		if i+1 < len(text) && text[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		return "", false
	}
	for _, m := range richPlaceholder.FindAllStringSubmatch(b.String(), -1) {
		if _, ok := params[m[1]]; !ok {
			return "", false
		}
	}
	return richText(b.String(), params, false), true
}

// richPlaceholder is a placeholder as Nextcloud's rich-object validator
// finds them.
var richPlaceholder = regexp.MustCompile(`(?i)\{([a-z0-9]+)\}`)
