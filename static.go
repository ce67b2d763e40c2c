// Package assokit holds the files AssoKit serves to browsers, embedded in the
// binary: the built frontend (js/dist, built by `make js`) and the icons.
package assokit

import (
	"embed"
	"io/fs"
)

//go:embed all:js/dist img
var files embed.FS

// Static returns the served files: js/ (the built bundle) and img/.
func Static() fs.FS {
	dist, _ := fs.Sub(files, "js/dist")
	img, _ := fs.Sub(files, "img")
	return staticFS{js: dist, img: img}
}

// staticFS maps "js/..." to js/dist and "img/..." to img.
type staticFS struct{ js, img fs.FS }

func (s staticFS) Open(name string) (fs.File, error) {
	switch {
	case len(name) > 3 && name[:3] == "js/":
		return s.js.Open(name[3:])
	case len(name) > 4 && name[:4] == "img/":
		return s.img.Open(name[4:])
	}
	return nil, fs.ErrNotExist
}

//go:embed l10n/*.json l10n/*.js
var l10nFiles embed.FS

// L10N returns AssoKit's l10n folder, <lang>.json and <lang>.js in
// Nextcloud's format: what AppAPI installs from translations_folder or the
// app-store archive.
func L10N() fs.FS {
	sub, _ := fs.Sub(l10nFiles, "l10n")
	return sub
}

// InfoXML is the ExApp manifest, appinfo/info.xml.
//
//go:embed appinfo/info.xml
var InfoXML []byte
