package appapi

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Route is a proxy route of the manifest, with AppAPI's numeric access
// level: 0 PUBLIC, 1 USER, 2 ADMIN.
type Route struct {
	URL         string `json:"url"`
	Verb        string `json:"verb"`
	AccessLevel int    `json:"access_level"`
}

// Manifest is what AppAPI reads of appinfo/info.xml.
type Manifest struct {
	ID      string
	Name    string
	Version string
	Routes  []Route
	// TranslationsFolder is AssoKit's l10n/ folder as an absolute path on
	// the Nextcloud host ("" for none): AppAPI installs it so that Nextcloud
	// shows the top-menu names and the settings form in each user's
	// language (reference: appapi.md 1.1, translations_folder).
	TranslationsFolder string
}

// ParseManifest reads an ExApp manifest (info.xml).
func ParseManifest(infoXML []byte) (Manifest, error) {
	var info struct {
		ID      string `xml:"id"`
		Name    string `xml:"name"`
		Version string `xml:"version"`
		Routes  []struct {
			URL    string `xml:"url"`
			Verb   string `xml:"verb"`
			Access string `xml:"access_level"`
		} `xml:"external-app>routes>route"`
	}
	if err := xml.Unmarshal(infoXML, &info); err != nil {
		return Manifest{}, fmt.Errorf("read info.xml: %w", err)
	}
	levels := map[string]int{"PUBLIC": 0, "USER": 1, "ADMIN": 2}
	m := Manifest{ID: info.ID, Name: info.Name, Version: info.Version}
	for _, r := range info.Routes {
		lv, ok := levels[r.Access]
		if !ok {
			return Manifest{}, fmt.Errorf("info.xml route %s: unknown access level %q", r.URL, r.Access)
		}
		m.Routes = append(m.Routes, Route{URL: r.URL, Verb: r.Verb, AccessLevel: lv})
	}
	if m.ID == "" || m.Version == "" || len(m.Routes) == 0 {
		return Manifest{}, errors.New("info.xml lacks an id, a version or routes")
	}
	return m, nil
}

// RegisterJSON is the --json-info of `occ app_api:app:register` for a
// manual install (NC 30–32 want integer access levels there). secret and port
// must be the APP_SECRET and APP_PORT AssoKit runs with: AppAPI stores them
// and calls http://<daemon host>:<port>, so an empty secret or port 0 leaves
// the app registered where nothing answers. It returns an error naming each
// missing value.
func (m Manifest) RegisterJSON(secret string, port int) ([]byte, error) {
	var missing []string
	if secret == "" {
		missing = append(missing, "APP_SECRET")
	}
	if port <= 0 || port > 65535 {
		missing = append(missing, "APP_PORT")
	}
	if m.TranslationsFolder != "" && !strings.HasPrefix(m.TranslationsFolder, "/") {
		return nil, fmt.Errorf("register-json: TRANSLATIONS_FOLDER %q must be an absolute path on the Nextcloud host", m.TranslationsFolder)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("register-json needs %s, the same values AssoKit runs with", strings.Join(missing, " and "))
	}
	routes := make([]map[string]any, 0, len(m.Routes))
	for _, r := range m.Routes {
		routes = append(routes, map[string]any{"url": r.URL, "verb": r.Verb, "access_level": r.AccessLevel,
			"headers_to_exclude": []string{}})
	}
	info := map[string]any{"id": m.ID, "name": m.Name, "version": m.Version,
		"secret": secret, "port": port, "routes": routes}
	if m.TranslationsFolder != "" {
		info["translations_folder"] = m.TranslationsFolder
	}
	return json.Marshal(info)
}
