package nextcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The AppAPI OCS endpoints an ExApp calls about itself. Registrations are
// upserts on Nextcloud's side; unregistering something absent is not an error
// for callers that use IgnoreNotFound.

// TopMenu is an entry in Nextcloud's top menu that opens an embedded page.
type TopMenu struct {
	Name          string `json:"name"`
	DisplayName   string `json:"displayName"`
	Icon          string `json:"icon,omitempty"`
	AdminRequired int    `json:"adminRequired"`
}

// RegisterTopMenu adds or updates a top-menu entry.
func (c *Client) RegisterTopMenu(ctx context.Context, m TopMenu) error {
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ui/top-menu"), nil, m, nil)
}

// UnregisterTopMenu removes a top-menu entry.
func (c *Client) UnregisterTopMenu(ctx context.Context, name string) error {
	return c.ocs(ctx, "DELETE", NCPath("/apps/app_api/api/v1/ui/top-menu"), nil, map[string]string{"name": name}, nil)
}

// TopMenuEntry is a registered top-menu entry as Nextcloud stores it.
type TopMenuEntry struct {
	ID            int    `json:"id"`
	AppID         string `json:"appid"`
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	Icon          string `json:"icon"`
	AdminRequired int    `json:"admin_required"`
}

// TopMenu returns a registered entry, or an error matching ErrNotFound.
func (c *Client) TopMenu(ctx context.Context, name string) (TopMenuEntry, error) {
	var e TopMenuEntry
	err := c.ocs(ctx, "GET", NCPath("/apps/app_api/api/v1/ui/top-menu"), url.Values{"name": {name}}, nil, &e)
	return e, err
}

// Asset is a script or style loaded on one of our top-menu pages. Path is
// relative to the ExApp, without the .js or .css extension.
type Asset struct {
	Type       string `json:"type"` // "top_menu"
	Name       string `json:"name"` // the top-menu entry's name
	Path       string `json:"path"`
	AfterAppID string `json:"afterAppId,omitempty"`
}

// RegisterScript loads a script on a top-menu page.
func (c *Client) RegisterScript(ctx context.Context, a Asset) error {
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ui/script"), nil, a, nil)
}

// UnregisterScript removes a script.
func (c *Client) UnregisterScript(ctx context.Context, a Asset) error {
	return c.ocs(ctx, "DELETE", NCPath("/apps/app_api/api/v1/ui/script"), nil, a, nil)
}

// RegisterStyle loads a stylesheet on a top-menu page.
func (c *Client) RegisterStyle(ctx context.Context, a Asset) error {
	a.AfterAppID = ""
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ui/style"), nil, a, nil)
}

// UnregisterStyle removes a stylesheet.
func (c *Client) UnregisterStyle(ctx context.Context, a Asset) error {
	a.AfterAppID = ""
	return c.ocs(ctx, "DELETE", NCPath("/apps/app_api/api/v1/ui/style"), nil, a, nil)
}

// InitialState is a JSON value given to a top-menu page, read in the browser
// with loadState('app_api', Key).
type InitialState struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Key   string `json:"key"`
	Value any    `json:"value,omitempty"`
}

// SetInitialState adds or replaces an initial state.
func (c *Client) SetInitialState(ctx context.Context, s InitialState) error {
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ui/initial-state"), nil, s, nil)
}

// DeleteInitialState removes an initial state.
func (c *Client) DeleteInitialState(ctx context.Context, s InitialState) error {
	s.Value = nil
	return c.ocs(ctx, "DELETE", NCPath("/apps/app_api/api/v1/ui/initial-state"), nil, s, nil)
}

// SettingsForm is a declarative settings form shown in Nextcloud's settings.
type SettingsForm struct {
	ID          string          `json:"id"`
	Priority    int             `json:"priority"`
	SectionType string          `json:"section_type"` // "admin" or "personal"
	SectionID   string          `json:"section_id"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	DocURL      string          `json:"doc_url,omitempty"`
	Fields      []SettingsField `json:"fields"`
}

// SettingsField is one field of a SettingsForm.
type SettingsField struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Type        string `json:"type"`
	Default     any    `json:"default"`
	Description string `json:"description,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
}

// RegisterSettingsForm adds or replaces a declarative settings form.
func (c *Client) RegisterSettingsForm(ctx context.Context, f SettingsForm) error {
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ui/settings"), nil, map[string]any{"formScheme": f}, nil)
}

// UnregisterSettingsForm removes a declarative settings form.
func (c *Client) UnregisterSettingsForm(ctx context.Context, formID string) error {
	return c.ocs(ctx, "DELETE", NCPath("/apps/app_api/api/v1/ui/settings"), nil, map[string]string{"formId": formID}, nil)
}

// AppConfigValues reads ExApp config values (the admin settings form stores
// its fields there). Missing keys are absent from the map.
func (c *Client) AppConfigValues(ctx context.Context, keys ...string) (map[string]string, error) {
	var rows []struct {
		Key   string          `json:"configkey"`
		Value json.RawMessage `json:"configvalue"`
	}
	err := c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/ex-app/config/get-values"), nil, map[string]any{"configKeys": keys}, &rows)
	if err != nil {
		return nil, fmt.Errorf("read app config: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		var s string
		if json.Unmarshal(r.Value, &s) != nil {
			s = string(r.Value)
		}
		out[r.Key] = s
	}
	return out, nil
}

// SetInitProgress reports /init progress (0–100) or, with a non-empty
// errText, a failed init. Reaching 100 makes Nextcloud enable the ExApp inside
// this very request, so it may take a minute: the caller's context decides.
func (c *Client) SetInitProgress(ctx context.Context, progress int, errText string) error {
	return c.ocs(ctx, "PUT", NCPath("/apps/app_api/ex-app/status"), nil, map[string]any{"progress": progress, "error": errText}, nil)
}

// Notification is a Nextcloud notification sent to the user the client acts as.
type Notification struct {
	ObjectID string // stable id of what the notification is about
	Subject  string
	Message  string
	Link     string // absolute URL, optional
}

// Notify sends a notification to the user the client acts as (not empty).
// Its subject and message are shown as given, whatever names they hold
// (see notifierText).
func (c *Client) Notify(ctx context.Context, n Notification) error {
	subjectParams, messageParams := map[string]any{}, map[string]any{}
	params := map[string]any{
		"object": "app_api", "object_id": n.ObjectID, "subject_type": "app_api_ex_app",
		"subject_params": map[string]any{
			"rich_subject": notifierText(n.Subject, subjectParams), "rich_subject_params": subjectParams,
			"rich_message": notifierText(n.Message, messageParams), "rich_message_params": messageParams,
			"link": n.Link,
		},
	}
	if err := c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/notification"), nil, map[string]any{"params": params}, nil); err != nil {
		return fmt.Errorf("notify %s: %w", c.user, err)
	}
	return nil
}

// notifierText is text as AppAPI's notifier must receive it to show it as
// is. The notifier passes it through Nextcloud's l10n ($l->t(): a '|'
// makes it answer "Can not use pipe character in translations", so it
// becomes '∣'; vsprintf reads '%' as a format, so it is doubled), then
// through the rich-object validator, which wants a parameter for every
// {word}: each is added to params as a highlight that shows itself (AppAPI
// lib/Notifications/ExAppNotifier.php; Nextcloud lib/private/L10N/L10NString.php,
// lib/private/RichObjectStrings/Validator.php).
func notifierText(text string, params map[string]any) string {
	text = strings.NewReplacer("%", "%%", "|", "∣").Replace(text)
	for _, m := range richPlaceholder.FindAllStringSubmatch(text, -1) {
		params[m[1]] = map[string]any{"type": "highlight", "id": m[1], "name": m[0]}
	}
	return text
}

// richPlaceholder is a {word} as Nextcloud's rich-object validator finds it.
var richPlaceholder = regexp.MustCompile(`(?i)\{([a-z0-9]+)\}`)

// Log levels of Nextcloud's log.
const (
	LogDebug = iota
	LogInfo
	LogWarning
	LogError
	LogFatal
)

// Log writes a line in Nextcloud's log, tagged with the ExApp's id.
func (c *Client) Log(ctx context.Context, level int, message string) error {
	return c.ocs(ctx, "POST", NCPath("/apps/app_api/api/v1/log"), nil, map[string]any{"level": level, "message": message}, nil)
}

// Version returns Nextcloud's version string ("32.0.1"), which also
// tells that Nextcloud answers.
func (c *Client) Version(ctx context.Context) (string, error) {
	var data struct {
		Version struct {
			String string `json:"string"`
		} `json:"version"`
	}
	if err := c.ocs(ctx, "GET", NCPath("/cloud/capabilities"), nil, nil, &data); err != nil {
		return "", fmt.Errorf("read capabilities: %w", err)
	}
	return data.Version.String, nil
}

// AbsoluteURL returns the address browsers use for path on this Nextcloud
// (built from its overwrite.cli.url, which NEXTCLOUD_URL may not be).
func (c *Client) AbsoluteURL(ctx context.Context, path string) (string, error) {
	var data struct {
		URL string `json:"absolute_url"`
	}
	if err := c.ocs(ctx, "GET", NCPath("/apps/app_api/api/v1/info/nextcloud_url/absolute"), url.Values{"url": {path}}, nil, &data); err != nil {
		return "", fmt.Errorf("absolute url: %w", err)
	}
	return data.URL, nil
}
