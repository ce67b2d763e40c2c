package nextcloud

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"path"
	"strings"
)

// Kinds of DAV collections.
const (
	Calendars    = "calendars"
	AddressBooks = "addressbooks"
)

// ErrSameUID is Nextcloud's refusal of a second object with the same UID in
// one calendar or address book (400).
var ErrSameUID = errors.New("nextcloud: an object with this UID is already in the collection")

// ErrExists is the answer to a write that asked not to replace anything
// (If-None-Match: *) when something is already there (412).
var ErrExists = errors.New("nextcloud: already there")

// Collection is a calendar or an address book in the acting user's home.
type Collection struct {
	URI         string // last segment of its path, unescaped
	Name        string
	Description string
	Color       string // calendars: "#RRGGBB" (calendar-color), "" when unset
	Owner       string // uid of the owner: another user for one shared with this one
	Deleted     bool   // a calendar in its owner's trash bin
	Sharees     []Sharee
	Components  []string // VEVENT, VTODO… (calendars)
}

// Sharee is a principal a calendar or an address book is shared with: a
// user, a group or a team (fixtures 341, 345, 351: oc:invite).
type Sharee struct {
	Principal string `json:"principal"` // "principals/users/<uid>", "principals/groups/<gid>", "principals/circles/<id>"
	Name      string `json:"name"`      // oc:common-name: display name, group id, team name
	ReadWrite bool   `json:"readWrite"`
}

// Kind returns "user", "group", "team" or "" for another kind of principal.
func (s Sharee) Kind() string {
	switch {
	case strings.HasPrefix(s.Principal, "principals/users/"):
		return "user"
	case strings.HasPrefix(s.Principal, "principals/groups/"):
		return "group"
	case strings.HasPrefix(s.Principal, "principals/circles/"):
		return "team"
	}
	return ""
}

// ID is the uid, group id or team id the principal names.
func (s Sharee) ID() string { return path.Base(s.Principal) }

// UserSharee is the sharee for the user uid.
func UserSharee(uid string, readWrite bool) Sharee {
	return Sharee{Principal: "principals/users/" + uid, Name: uid, ReadWrite: readWrite}
}

// Object is a calendar object or a vCard, byte for byte as stored.
type Object struct {
	Name string // last segment of its path, unescaped
	ETag string // without quotes
	Data []byte
}

// home is the path of the acting user's calendars or address books.
func (c *Client) home(kind string) Path {
	if kind == AddressBooks {
		return NCPath("/remote.php/dav/addressbooks/users", c.user)
	}
	return NCPath("/remote.php/dav/calendars", c.user)
}

// collPath is the path of the collection uri of the acting user, or of the
// object name in it.
func (c *Client) collPath(kind, uri string, name ...string) Path {
	if len(name) == 0 {
		return c.home(kind).Join(uri, "")
	}
	return c.home(kind).Join(uri).Join(name...)
}

func xmlTextOf(raw []byte, local string) string {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			var s string
			dec.DecodeElement(&s, &se)
			return s
		}
	}
}

// multistatus is the part of a 207 answer AssoKit reads.
type multistatus struct {
	Responses []struct {
		Href     string `xml:"href"`
		Propstat []struct {
			Prop struct {
				Inner []byte `xml:",innerxml"`
			} `xml:"prop"`
			Status string `xml:"status"`
		} `xml:"propstat"`
	} `xml:"response"`
}

// davProps is one response of a multistatus: its href and the found
// properties, by local name, as inner XML.
type davProps struct {
	Href  string
	Props map[string][]byte
}

func (p davProps) text(local string) string {
	return html.UnescapeString(strings.TrimSpace(string(p.Props[local])))
}

func parseMultistatus(raw []byte) ([]davProps, error) {
	var ms multistatus
	if err := xml.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("nextcloud: not a multistatus: %w", err)
	}
	out := make([]davProps, 0, len(ms.Responses))
	for _, r := range ms.Responses {
		p := davProps{Href: r.Href, Props: map[string][]byte{}}
		for _, ps := range r.Propstat {
			if !strings.Contains(ps.Status, " 200 ") {
				continue
			}
			dec := xml.NewDecoder(bytes.NewReader(ps.Prop.Inner))
			for {
				tok, err := dec.Token()
				if err != nil {
					break
				}
				se, ok := tok.(xml.StartElement)
				if !ok {
					continue
				}
				var inner struct {
					Inner []byte `xml:",innerxml"`
				}
				dec.DecodeElement(&inner, &se)
				p.Props[se.Name.Local] = inner.Inner
			}
		}
		out = append(out, p)
	}
	return out, nil
}

const collectionPropfind = `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.com/ns" xmlns:a="http://apple.com/ns/ical/"><d:prop><d:displayname/><d:resourcetype/><oc:owner-principal/><oc:invite/><nc:deleted-at/><c:calendar-description/><card:addressbook-description/><c:supported-calendar-component-set/><a:calendar-color/></d:prop></d:propfind>`

// Collections lists the acting user's calendars (kind Calendars) or address
// books (AddressBooks): its own, deleted calendars still in the trash bin,
// and those others share with it (Owner tells them apart; fixtures 346,
// 352). The inbox, outbox, trash bin and subscriptions are left out. Hrefs
// are compared decoded.
func (c *Client) Collections(ctx context.Context, kind string) ([]Collection, error) {
	home := c.home(kind)
	raw, _, err := c.davRequest(ctx, "PROPFIND", home.Join(""), "", http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(collectionPropfind), ListingLimit)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	return c.collectionsOf(kind, resps), nil
}

// collectionsOf picks the calendars (kind Calendars) or address books of
// the acting user among the responses of a PROPFIND of its home (fixtures
// nextcloud-32 40, 50; nextcloud-32-transfer 208, 209; nextcloud-32-more
// 346, 352).
func (c *Client) collectionsOf(kind string, resps []davProps) []Collection {
	home := c.home(kind)
	var out []Collection
	for _, r := range resps {
		rt := string(r.Props["resourcetype"])
		deleted := strings.Contains(rt, "deleted-calendar")
		isColl := (kind == Calendars && (strings.Contains(rt, "calendar") && !strings.Contains(rt, "schedule-"))) ||
			(kind == AddressBooks && strings.Contains(rt, "addressbook"))
		p, ok := c.hrefPath(r.Href)
		if ok {
			p, ok = p.under(home)
		}
		if !isColl || strings.Contains(rt, "trash-bin") || !ok || len(p) != 1 {
			continue
		}
		col := Collection{URI: p[0], Name: r.text("displayname"), Deleted: deleted,
			Owner: path.Base(r.text("owner-principal")), Color: r.text("calendar-color")}
		if col.Owner == "." || col.Owner == "" || col.Owner == "/" {
			col.Owner = c.user
		}
		col.Description = r.text("calendar-description")
		if kind == AddressBooks {
			col.Description = r.text("addressbook-description")
		}
		col.Sharees = parseInvite(r.Props["invite"])
		col.Components = parseComponents(r.Props["supported-calendar-component-set"])
		out = append(out, col)
	}
	return out
}

// parseComponents reads the names of the <c:comp name="…"/> elements of a
// supported-calendar-component-set property (VEVENT, VTODO…), as XML: an
// answer cut short or malformed gives the names read before the fault.
func parseComponents(inner []byte) []string {
	var out []string
	dec := xml.NewDecoder(io.MultiReader(strings.NewReader("<set>"), bytes.NewReader(inner), strings.NewReader("</set>")))
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "comp" {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local == "name" && a.Value != "" {
				out = append(out, a.Value)
			}
		}
	}
}

// parseInvite reads the sharees of an oc:invite property: users, groups
// and teams alike (fixture 345).
func parseInvite(inner []byte) []Sharee {
	var inv struct {
		Users []struct {
			Href       string `xml:"href"`
			CommonName string `xml:"common-name"`
			Access     struct {
				ReadWrite *struct{} `xml:"read-write"`
			} `xml:"access"`
		} `xml:"user"`
	}
	if xml.Unmarshal(append(append([]byte("<invite>"), inner...), "</invite>"...), &inv) != nil {
		return nil
	}
	var out []Sharee
	for _, u := range inv.Users {
		principal, ok := strings.CutPrefix(u.Href, "principal:")
		if !ok || path.Base(principal) == "." || strings.HasSuffix(principal, "/") {
			continue // an e-mail invitation, or a principal without an id
		}
		out = append(out, Sharee{Principal: principal, Name: u.CommonName, ReadWrite: u.Access.ReadWrite != nil})
	}
	return out
}

// ObjectETags lists the objects of the acting user's collection uri with
// their ETags, which for Nextcloud are the MD5 of the stored bytes. Names
// are unescaped.
func (c *Client) ObjectETags(ctx context.Context, kind, uri string) (map[string]string, error) {
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`
	coll := c.collPath(kind, uri)
	raw, _, err := c.davRequest(ctx, "PROPFIND", coll, "", http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), ListingLimit)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", uri, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range resps {
		if name, ok := c.objectName(r.Href, coll); ok {
			out[name] = strings.Trim(r.text("getetag"), `"`)
		}
	}
	return out, nil
}

// objectName returns the unescaped name of an object whose href lies
// directly in the collection coll (a path ending with "").
func (c *Client) objectName(href string, coll Path) (string, bool) {
	p, ok := c.hrefPath(href)
	if ok {
		p, ok = p.under(coll)
	}
	if !ok || strings.HasSuffix(href, "/") || len(p) != 1 {
		return "", false
	}
	return p[0], true
}

// CalendarObjects returns every object of the acting user's calendar uri as
// stored, in one calendar-query REPORT. An answer over ListingLimit gives
// ErrTooLarge: read the objects one by one then (GetObject).
func (c *Client) CalendarObjects(ctx context.Context, uri string) ([]Object, error) {
	body := `<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>`
	coll := c.collPath(Calendars, uri)
	raw, _, err := c.davRequest(ctx, "REPORT", coll, "", http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), ListingLimit)
	if err != nil {
		return nil, fmt.Errorf("read calendar %s: %w", uri, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	return c.objectsOf(coll, resps), nil
}

// objectsOf reads the objects of the collection coll in the responses of a
// calendar-query REPORT (fixtures nextcloud-32 45, nextcloud-32-transfer
// 210); responses outside coll are left out.
func (c *Client) objectsOf(coll Path, resps []davProps) []Object {
	out := make([]Object, 0, len(resps))
	for _, r := range resps {
		name, ok := c.objectName(r.Href, coll)
		if !ok {
			continue
		}
		// The raw inner XML keeps the CRLF line ends an XML decoder would
		// fold; callers check the bytes against the ETag.
		data := html.UnescapeString(string(r.Props["calendar-data"]))
		out = append(out, Object{Name: name, ETag: strings.Trim(r.text("getetag"), `"`), Data: []byte(data)})
	}
	return out
}

// ExportAddressBook opens the export of the acting user's address book uri
// (?export): every card as stored, mixed vCard versions included, to read
// as a stream and close — an export is never held whole. A plain GET of a
// card would convert vCard 4.0 to 3.0 with losses.
func (c *Client) ExportAddressBook(ctx context.Context, uri string) (io.ReadCloser, error) {
	body, err := c.davStream(ctx, "GET", c.collPath(AddressBooks, uri), "export", nil, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", uri, err)
	}
	return body, nil
}

// NewCollection describes a calendar or an address book to create.
type NewCollection struct {
	URI         string
	Name        string
	Description string
	Color       string   // calendars: kept as sent (fixture 355)
	Components  []string // calendars: VEVENT, VTODO…
}

// MakeCollection creates a calendar (MKCALENDAR) or an address book
// (extended MKCOL) in the acting user's home. One that exists already is
// ErrConflict.
func (c *Client) MakeCollection(ctx context.Context, kind string, nc NewCollection) error {
	esc := html.EscapeString
	var body string
	method := "MKCALENDAR"
	if kind == Calendars {
		var comps strings.Builder
		for _, comp := range nc.Components {
			comps.WriteString(`<c:comp name="` + esc(comp) + `"/>`)
		}
		body = `<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>` + esc(nc.Name) +
			`</d:displayname><c:calendar-description>` + esc(nc.Description) + `</c:calendar-description>`
		if nc.Color != "" {
			body += `<a:calendar-color>` + esc(nc.Color) + `</a:calendar-color>`
		}
		if comps.Len() > 0 {
			body += `<c:supported-calendar-component-set>` + comps.String() + `</c:supported-calendar-component-set>`
		}
		body += `</d:prop></d:set></c:mkcalendar>`
	} else {
		method = "MKCOL"
		body = `<?xml version="1.0"?><d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>` +
			esc(nc.Name) + `</d:displayname><card:addressbook-description>` + esc(nc.Description) + `</card:addressbook-description></d:prop></d:set></d:mkcol>`
	}
	if _, _, err := c.davRequest(ctx, method, c.collPath(kind, nc.URI), "", http.Header{"Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), 1<<20); err != nil {
		return fmt.Errorf("create %s %s: %w", kind, nc.URI, err)
	}
	return nil
}

// PutObject stores data as the object name of the acting user's collection
// uri, only if no object has that name yet (ErrExists otherwise); ErrSameUID
// when another object of the collection has the same UID. A calendar object
// is sent with "Schedule-Reply: F": Nextcloud then stores it byte for byte
// and schedules nothing — no invitation, update or cancellation is mailed,
// whoever organizes the event (fixtures 361–364).
func (c *Client) PutObject(ctx context.Context, kind, uri, name string, data []byte) error {
	h := http.Header{"Content-Type": {"text/calendar; charset=utf-8"}, "If-None-Match": {"*"}, "Schedule-Reply": {"F"}}
	if kind == AddressBooks {
		h = http.Header{"Content-Type": {"text/vcard; charset=utf-8"}, "If-None-Match": {"*"}}
	}
	if _, _, err := c.davRequest(ctx, "PUT", c.collPath(kind, uri, name), "", h, data, 1<<20); err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	return nil
}

// GetObject reads one object of the acting user's collection uri, at most
// ObjectLimit bytes (ErrTooLarge past it). For vCards, accept chooses the
// version ("text/vcard; version=4.0"); "" lets Nextcloud answer in vCard 3.0.
func (c *Client) GetObject(ctx context.Context, kind, uri, name, accept string) ([]byte, error) {
	var h http.Header
	if accept != "" {
		h = http.Header{"Accept": {accept}}
	}
	raw, _, err := c.davRequest(ctx, "GET", c.collPath(kind, uri, name), "", h, nil, ObjectLimit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return raw, nil
}

// Share shares the acting user's calendar or address book uri with each
// sharee (users, groups, teams), read-only unless ReadWrite. Nextcloud
// answers 200 with an empty body (fixtures 340, 344, 350).
func (c *Client) Share(ctx context.Context, kind, uri string, sharees []Sharee) error {
	if len(sharees) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">`)
	for _, s := range sharees {
		b.WriteString(`<o:set><d:href>principal:` + html.EscapeString(s.Principal) + `</d:href>`)
		if s.ReadWrite {
			b.WriteString(`<o:read-write/>`)
		}
		b.WriteString(`</o:set>`)
	}
	b.WriteString(`</o:share>`)
	if _, _, err := c.davRequest(ctx, "POST", c.collPath(kind, uri), "", http.Header{"Content-Type": {"application/xml; charset=utf-8"}}, []byte(b.String()), 1<<20); err != nil {
		return fmt.Errorf("share %s: %w", uri, err)
	}
	return nil
}

// DeleteCollection deletes the acting user's calendar uri (to its trash
// bin, 30 days by default) or address book uri (for good: address books
// have no trash bin).
func (c *Client) DeleteCollection(ctx context.Context, kind, uri string) error {
	if _, _, err := c.davRequest(ctx, "DELETE", c.collPath(kind, uri), "", nil, nil, 1<<20); err != nil {
		return fmt.Errorf("delete %s: %w", uri, err)
	}
	return nil
}
