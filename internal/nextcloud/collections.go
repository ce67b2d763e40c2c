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
	"net/url"
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
	Path        string // absolute path on the server, ending with "/"
	URI         string // last segment of Path
	Name        string
	Description string
	Owner       string // uid of the owner: another user for a calendar shared with this one
	Deleted     bool   // a calendar in its owner's trash bin
	Sharees     []Sharee
	Components  []string // VEVENT, VTODO… (calendars)
}

// Sharee is a user a calendar is shared with.
type Sharee struct {
	UID       string
	ReadWrite bool
}

// Object is a calendar object or a vCard, byte for byte as stored.
type Object struct {
	Name string // last segment of its path
	ETag string // without quotes
	Data []byte
}

func (c *Client) home(kind string) string {
	if kind == AddressBooks {
		return c.base.Path + "/remote.php/dav/addressbooks/users/" + url.PathEscape(c.user) + "/"
	}
	return c.base.Path + "/remote.php/dav/calendars/" + url.PathEscape(c.user) + "/"
}

// davRequest sends a DAV request to a server path and returns the body of a
// 2xx answer; other answers become an *Error.
func (c *Client) davRequest(ctx context.Context, method, p string, h http.Header, body []byte, limit int64) ([]byte, int, error) {
	if err := c.requireUser(); err != nil {
		return nil, 0, err
	}
	u := *c.base
	u.Path, u.RawPath, u.RawQuery = "", "", ""
	rawURL := u.String() + p
	resp, err := c.send(ctx, method, rawURL, h, body)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := readAtMost(resp.Body, limit)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("nextcloud: %s %s: read: %w", method, redactURL(p), err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Method: method, Path: redactURL(p), StatusCode: resp.StatusCode, Message: sabreMessage(raw)}
		switch {
		case resp.StatusCode == http.StatusBadRequest && strings.Contains(e.Message, "uid already exists"):
			return raw, resp.StatusCode, fmt.Errorf("%w: %w", ErrSameUID, e)
		case resp.StatusCode == http.StatusPreconditionFailed:
			return raw, resp.StatusCode, fmt.Errorf("%w: %w", ErrExists, e)
		}
		return raw, resp.StatusCode, e
	}
	return raw, resp.StatusCode, nil
}

// sabreMessage returns the <s:message> of a Sabre error body, or its start.
func sabreMessage(raw []byte) string {
	if m := xmlTextOf(raw, "message"); m != "" {
		return m
	}
	return snippet(raw)
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

const collectionPropfind = `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.com/ns"><d:prop><d:displayname/><d:resourcetype/><oc:owner-principal/><oc:invite/><nc:deleted-at/><c:calendar-description/><card:addressbook-description/><c:supported-calendar-component-set/></d:prop></d:propfind>`

// Collections lists the acting user's calendars (kind Calendars) or address
// books (AddressBooks): its own, deleted calendars still in the trash bin,
// and calendars others share with it (Owner tells them apart). The inbox,
// outbox, trash bin and subscriptions are left out.
func (c *Client) Collections(ctx context.Context, kind string) ([]Collection, error) {
	home := c.home(kind)
	raw, _, err := c.davRequest(ctx, "PROPFIND", home, http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(collectionPropfind), 16<<20)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	return collectionsOf(kind, c.user, resps), nil
}

// collectionsOf picks the calendars (kind Calendars) or address books of
// user among the responses of a PROPFIND of its home (fixtures
// nextcloud-32 40, 50; nextcloud-32-transfer 208, 209).
func collectionsOf(kind, user string, resps []davProps) []Collection {
	var out []Collection
	for _, r := range resps {
		rt := string(r.Props["resourcetype"])
		deleted := strings.Contains(rt, "deleted-calendar")
		isColl := (kind == Calendars && (strings.Contains(rt, "calendar") && !strings.Contains(rt, "schedule-"))) ||
			(kind == AddressBooks && strings.Contains(rt, "addressbook"))
		if !isColl || strings.Contains(rt, "trash-bin") {
			continue
		}
		p, _ := url.PathUnescape(r.Href)
		col := Collection{Path: r.Href, URI: path.Base(p), Name: r.text("displayname"), Deleted: deleted,
			Owner: path.Base(r.text("owner-principal"))}
		if col.Owner == "." || col.Owner == "" || col.Owner == "/" {
			col.Owner = user
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

// parseInvite reads the sharees of an oc:invite property.
func parseInvite(inner []byte) []Sharee {
	var inv struct {
		Users []struct {
			Href   string `xml:"href"`
			Access struct {
				ReadWrite *struct{} `xml:"read-write"`
			} `xml:"access"`
		} `xml:"user"`
	}
	if xml.Unmarshal(append(append([]byte("<invite>"), inner...), "</invite>"...), &inv) != nil {
		return nil
	}
	var out []Sharee
	for _, u := range inv.Users {
		uid, ok := strings.CutPrefix(u.Href, "principal:principals/users/")
		if !ok || uid == "" {
			continue // groups and circles are not re-created
		}
		out = append(out, Sharee{UID: uid, ReadWrite: u.Access.ReadWrite != nil})
	}
	return out
}

// ObjectETags lists the objects of a collection (server path) with their
// ETags, which for Nextcloud are the MD5 of the stored bytes.
func (c *Client) ObjectETags(ctx context.Context, coll string) (map[string]string, error) {
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>`
	raw, _, err := c.davRequest(ctx, "PROPFIND", coll, http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), 64<<20)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", coll, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range resps {
		if strings.HasSuffix(r.Href, "/") {
			continue // the collection itself
		}
		name, _ := url.PathUnescape(path.Base(r.Href))
		out[name] = strings.Trim(r.text("getetag"), `"`)
	}
	return out, nil
}

// CalendarObjects returns every object of a calendar as stored, in one
// calendar-query REPORT.
func (c *Client) CalendarObjects(ctx context.Context, coll string) ([]Object, error) {
	body := `<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>`
	raw, _, err := c.davRequest(ctx, "REPORT", coll, http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), 1<<30)
	if err != nil {
		return nil, fmt.Errorf("read calendar %s: %w", coll, err)
	}
	resps, err := parseMultistatus(raw)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(resps))
	for _, r := range resps {
		if strings.HasSuffix(r.Href, "/") {
			continue
		}
		name, _ := url.PathUnescape(path.Base(r.Href))
		// The raw inner XML keeps the CRLF line ends an XML decoder would
		// fold; callers check the bytes against the ETag.
		data := html.UnescapeString(string(r.Props["calendar-data"]))
		out = append(out, Object{Name: name, ETag: strings.Trim(r.text("getetag"), `"`), Data: []byte(data)})
	}
	return out, nil
}

// ExportAddressBook returns every card of an address book as stored, mixed
// vCard versions included (?export). A plain GET of a card would convert
// vCard 4.0 to 3.0 with losses.
func (c *Client) ExportAddressBook(ctx context.Context, coll string) ([]byte, error) {
	raw, _, err := c.davRequest(ctx, "GET", coll+"?export", nil, nil, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", coll, err)
	}
	return raw, nil
}

// MakeCollection creates a calendar (MKCALENDAR) or an address book
// (extended MKCOL) named uri in the acting user's home and returns its
// path. One that exists already is ErrConflict.
func (c *Client) MakeCollection(ctx context.Context, kind, uri, name, description string, components []string) (string, error) {
	p := c.home(kind) + url.PathEscape(uri) + "/"
	esc := html.EscapeString
	var body string
	method := "MKCALENDAR"
	if kind == Calendars {
		var comps strings.Builder
		for _, comp := range components {
			comps.WriteString(`<c:comp name="` + esc(comp) + `"/>`)
		}
		body = `<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>` + esc(name) +
			`</d:displayname><c:calendar-description>` + esc(description) + `</c:calendar-description>`
		if comps.Len() > 0 {
			body += `<c:supported-calendar-component-set>` + comps.String() + `</c:supported-calendar-component-set>`
		}
		body += `</d:prop></d:set></c:mkcalendar>`
	} else {
		method = "MKCOL"
		body = `<?xml version="1.0"?><d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>` +
			esc(name) + `</d:displayname><card:addressbook-description>` + esc(description) + `</card:addressbook-description></d:prop></d:set></d:mkcol>`
	}
	if _, _, err := c.davRequest(ctx, method, p, http.Header{"Content-Type": {"application/xml; charset=utf-8"}}, []byte(body), 1<<20); err != nil {
		return p, fmt.Errorf("create %s %s: %w", kind, uri, err)
	}
	return p, nil
}

// PutObject stores data as the object name of a collection, only if no
// object has that name yet (ErrExists otherwise); ErrSameUID when another
// object of the collection has the same UID.
func (c *Client) PutObject(ctx context.Context, coll, name, contentType string, data []byte) error {
	h := http.Header{"Content-Type": {contentType}, "If-None-Match": {"*"}}
	if _, _, err := c.davRequest(ctx, "PUT", coll+url.PathEscape(name), h, data, 1<<20); err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	return nil
}

// GetObject reads one object. For vCards, accept chooses the version
// ("text/vcard; version=4.0"); "" lets Nextcloud answer in vCard 3.0.
func (c *Client) GetObject(ctx context.Context, coll, name, accept string) ([]byte, error) {
	var h http.Header
	if accept != "" {
		h = http.Header{"Accept": {accept}}
	}
	raw, _, err := c.davRequest(ctx, "GET", coll+url.PathEscape(name), h, nil, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return raw, nil
}

// ShareCalendar shares a calendar of the acting user with each sharee.
func (c *Client) ShareCalendar(ctx context.Context, coll string, sharees []Sharee) error {
	if len(sharees) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">`)
	for _, s := range sharees {
		b.WriteString(`<o:set><d:href>principal:principals/users/` + html.EscapeString(s.UID) + `</d:href>`)
		if s.ReadWrite {
			b.WriteString(`<o:read-write/>`)
		}
		b.WriteString(`</o:set>`)
	}
	b.WriteString(`</o:share>`)
	if _, _, err := c.davRequest(ctx, "POST", coll, http.Header{"Content-Type": {"application/xml; charset=utf-8"}}, []byte(b.String()), 1<<20); err != nil {
		return fmt.Errorf("share %s: %w", coll, err)
	}
	return nil
}

// DeleteCollection deletes a calendar (to its owner's trash bin, 30 days by
// default) or an address book (for good: address books have no trash bin).
func (c *Client) DeleteCollection(ctx context.Context, coll string) error {
	if _, _, err := c.davRequest(ctx, "DELETE", coll, nil, nil, 1<<20); err != nil {
		return fmt.Errorf("delete %s: %w", coll, err)
	}
	return nil
}
