package nextcloudtest

import (
	"embed"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
)

// The stylesheets and images of Nextcloud's page frame, served at the paths
// a real Nextcloud 32 serves them (fixtures nextcloud-32-page).
//
//go:embed static
var staticFiles embed.FS

// staticPaths maps a Nextcloud path to a file of static/ and its type.
var staticPaths = map[string][2]string{
	"/core/css/server.css":            {"static/server.css", "text/css; charset=utf-8"},
	"/apps/theming/theme/default.css": {"static/default.css", "text/css; charset=utf-8"},
	"/core/img/logo/logo.svg":         {"static/logo.svg", "image/svg+xml"},
	backgroundPath:                    {"static/background.svg", "image/svg+xml"},
}

// backgroundPath is the default theme's wallpaper (--image-background); the
// fake serves a drawing of the same colours in its place.
const backgroundPath = "/apps/theming/img/background/jo-myoung-hee-fluid.webp"

// serveStatic serves a file of the page frame; false when p is none.
func serveStatic(w http.ResponseWriter, p string) bool {
	f, ok := staticPaths[p]
	if !ok {
		return false
	}
	data, err := staticFiles.ReadFile(f[0])
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", f[1])
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(data)
	return true
}

var cssVariable = regexp.MustCompile(`(?m)^\s*(--[\w-]+):\s*(.+?);\s*$`)

// CSSVariables lists the custom properties the fake's page defines, in
// its theme and core stylesheets, as "--name: value" (one entry per
// definition; a name defined under two selectors appears twice). They are
// those a real Nextcloud 32.0.1 defines (fixtures
// nextcloud-32-page/css-variables.txt), no more.
func CSSVariables() []string {
	var out []string
	for _, name := range []string{"static/default.css", "static/server.css"} {
		data, _ := fs.ReadFile(staticFiles, name)
		for _, m := range cssVariable.FindAllStringSubmatch(string(data), -1) {
			out = append(out, m[1]+": "+strings.TrimSpace(m[2]))
		}
	}
	return out
}
