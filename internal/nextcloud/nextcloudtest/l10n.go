package nextcloudtest

import (
	"encoding/json"
	"io/fs"
)

// translate is text in lang from app's installed translations, as
// Nextcloud's IFactory::get(appId)->t(text) gives it: the text itself when
// the app has none for it.
func (a *ExApp) translate(lang, text string) string {
	if a.Translations == nil || lang == "" || lang == "en" {
		return text
	}
	data, err := fs.ReadFile(a.Translations, lang+".json")
	if err != nil {
		return text
	}
	var cat struct {
		Translations map[string]any `json:"translations"`
	}
	if json.Unmarshal(data, &cat) != nil {
		return text
	}
	if s, ok := cat.Translations[text].(string); ok && s != "" {
		return s
	}
	return text
}

// TranslatedSettingsForm is ExApp appID's settings form formID as Nextcloud's
// admin settings show it to a user of language lang: its title,
// description and fields' titles, descriptions and placeholders
// translated (ok false when there is no such form).
func (s *Server) TranslatedSettingsForm(appID, formID, lang string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil || a.Forms[formID] == nil {
		return nil, false
	}
	var form map[string]any
	if json.Unmarshal(a.Forms[formID], &form) != nil {
		return nil, false
	}
	tr := func(m map[string]any, keys ...string) {
		for _, k := range keys {
			if v, ok := m[k].(string); ok && v != "" {
				m[k] = a.translate(lang, v)
			}
		}
	}
	tr(form, "title", "description")
	if fields, ok := form["fields"].([]any); ok {
		for _, f := range fields {
			if m, ok := f.(map[string]any); ok {
				tr(m, "title", "description", "placeholder", "label")
			}
		}
	}
	return form, true
}
