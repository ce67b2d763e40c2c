// Package transfer moves a departing member's files, calendars and address
// books to another account, acting as the two users: files through the
// files app's own ownership transfer (no byte passes through AssoKit),
// calendars and address books copied object by object, verified, and only
// then deleted at the source. Every step is journaled in the store, so a
// transfer stopped at any point resumes without duplicating or losing
// anything.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"assokit/internal/errcode"
	"assokit/internal/nextcloud"
)

// Errors the pages explain.
var (
	ErrSameAccount    = errcode.New("transfer_same_account", "transfer: source and target are the same account")
	ErrUnknownAccount = errcode.New("transfer_unknown_account", "transfer: no such account")
	ErrTargetDisabled = errcode.New("transfer_target_disabled", "transfer: the target account is disabled")
	ErrBusy           = errcode.New("transfer_busy", "transfer: a transfer of one of these accounts is under way")
	ErrNothing        = errcode.New("transfer_nothing", "transfer: nothing chosen to transfer")
	ErrNotInInventory = errcode.New("transfer_not_in_inventory", "transfer: a chosen item is not among what the source holds")
)

// Person names an account.
type Person struct {
	UID     string `json:"uid"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Lang    string `json:"-"`
}

// FileEntry is a file or folder at the top of the source's files.
type FileEntry struct {
	Path   string `json:"path"`
	IsDir  bool   `json:"isDir"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`  // files inside (1 for a file)
	Shares int    `json:"shares"` // shares the source made of it or inside it
}

// ShareInfo is a share the source made, or one it received.
type ShareInfo struct {
	Path string `json:"path"`
	With string `json:"with"` // uid, or "" for a public link
	From string `json:"from"` // owner of a received share
}

// CalendarInfo is one of the source's calendars.
type CalendarInfo struct {
	Path    string   `json:"path"`
	URI     string   `json:"uri"`
	Name    string   `json:"name"`
	Objects int      `json:"objects"`
	Sharees []string `json:"sharees"`

	sharees    []nextcloud.Sharee // with their rights, re-created on the copy
	components []string
}

// BookInfo is one of the source's address books.
type BookInfo struct {
	Path  string `json:"path"`
	URI   string `json:"uri"`
	Name  string `json:"name"`
	Cards int    `json:"cards"`
}

// Inventory is what the source holds, and what it only receives from
// others (listed so that the page can say it stays with its owner).
type Inventory struct {
	Source        Person         `json:"source"`
	Target        Person         `json:"target"`
	Files         []FileEntry    `json:"files"`
	FilesSize     int64          `json:"filesSize"`
	FilesCount    int            `json:"filesCount"`
	Shares        []ShareInfo    `json:"shares"`
	Received      []ShareInfo    `json:"received"`
	Calendars     []CalendarInfo `json:"calendars"`
	CalendarsIn   []CalendarInfo `json:"calendarsReceived"`
	CalendarsGone []CalendarInfo `json:"calendarsInTrash"`
	AddressBooks  []BookInfo     `json:"addressBooks"`
	BeyondFiles                  // Deck boards and Talk conversations
}

// people reads both accounts, as admin, and checks that a transfer between
// them makes sense.
func (s *Service) people(ctx context.Context, admin, source, target string) (Person, Person, error) {
	if source == target {
		return Person{}, Person{}, ErrSameAccount
	}
	var out [2]Person
	for i, uid := range []string{source, target} {
		a, err := s.nc.As(admin).Account(ctx, uid)
		if errors.Is(err, nextcloud.ErrNotFound) || (err == nil && a.ID == "") {
			return Person{}, Person{}, fmt.Errorf("%w: %s", ErrUnknownAccount, uid)
		}
		if err != nil {
			return Person{}, Person{}, err
		}
		out[i] = Person{UID: a.ID, Name: a.DisplayName, Enabled: a.Enabled, Lang: a.Language}
		if out[i].Name == "" {
			out[i].Name = a.ID
		}
	}
	if !out[1].Enabled {
		return Person{}, Person{}, ErrTargetDisabled
	}
	return out[0], out[1], nil
}

// Inventory reads what source holds, acting as source; target is checked,
// by admin, to exist and be enabled.
func (s *Service) Inventory(ctx context.Context, admin, source, target string) (Inventory, error) {
	src, dst, err := s.people(ctx, admin, source, target)
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{Source: src, Target: dst, Files: []FileEntry{}, Shares: []ShareInfo{}, Received: []ShareInfo{},
		Calendars: []CalendarInfo{}, CalendarsIn: []CalendarInfo{}, CalendarsGone: []CalendarInfo{}, AddressBooks: []BookInfo{}}
	as := s.nc.As(source)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(recovering(func() error { return s.fileInventory(gctx, as, &inv) }))
	g.Go(recovering(func() error { return s.calendarInventory(gctx, as, &inv) }))
	g.Go(recovering(func() error { return s.bookInventory(gctx, as, &inv) }))
	g.Go(recovering(func() error { return s.beyondInventory(gctx, as, &inv) }))
	if err := g.Wait(); err != nil {
		return Inventory{}, fmt.Errorf("inventory of %s: %w", source, err)
	}
	return inv, nil
}

func (s *Service) fileInventory(ctx context.Context, as *nextcloud.Client, inv *Inventory) error {
	files, err := as.ListFiles(ctx, "/", true)
	if err != nil {
		return err
	}
	mine, err := as.Shares(ctx, false)
	if err != nil {
		return err
	}
	received, err := as.Shares(ctx, true)
	if err != nil {
		return err
	}
	for _, sh := range received {
		inv.Received = append(inv.Received, ShareInfo{Path: sh.Path, From: sh.Owner})
	}
	isReceived := func(p string) bool {
		for _, r := range inv.Received {
			if p == r.Path || strings.HasPrefix(p, strings.TrimSuffix(r.Path, "/")+"/") {
				return true
			}
		}
		return false
	}
	top := map[string]*FileEntry{}
	for _, f := range files {
		p := strings.TrimSuffix(f.Path, "/")
		if p == "" || isReceived(p) {
			continue
		}
		head := "/" + strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
		e := top[head]
		if e == nil {
			e = &FileEntry{Path: head}
			top[head] = e
		}
		if p == head {
			e.IsDir = f.IsDir
		}
		if !f.IsDir {
			e.Size += f.Size
			e.Files++
			inv.FilesSize += f.Size
			inv.FilesCount++
		}
	}
	for _, sh := range mine {
		inv.Shares = append(inv.Shares, ShareInfo{Path: sh.Path, With: sh.ShareWith})
		head := "/" + strings.SplitN(strings.TrimPrefix(sh.Path, "/"), "/", 2)[0]
		if e := top[head]; e != nil {
			e.Shares++
		}
	}
	for _, e := range top {
		inv.Files = append(inv.Files, *e)
	}
	sort.Slice(inv.Files, func(i, j int) bool { return strings.ToLower(inv.Files[i].Path) < strings.ToLower(inv.Files[j].Path) })
	return nil
}

func (s *Service) calendarInventory(ctx context.Context, as *nextcloud.Client, inv *Inventory) error {
	cals, err := as.Collections(ctx, nextcloud.Calendars)
	if err != nil {
		return err
	}
	for _, c := range cals {
		info := CalendarInfo{Path: c.Path, URI: c.URI, Name: c.Name, Sharees: []string{}, sharees: c.Sharees, components: c.Components}
		for _, sh := range c.Sharees {
			info.Sharees = append(info.Sharees, sh.UID)
		}
		switch {
		case c.Owner != as.User():
			inv.CalendarsIn = append(inv.CalendarsIn, info)
			continue
		case c.URI == "contact_birthdays":
			continue // rebuilt by Nextcloud from the contacts
		case c.Deleted:
			inv.CalendarsGone = append(inv.CalendarsGone, info)
			continue
		}
		etags, err := as.ObjectETags(ctx, c.Path)
		if err != nil {
			return err
		}
		info.Objects = len(etags)
		inv.Calendars = append(inv.Calendars, info)
	}
	return nil
}

func (s *Service) bookInventory(ctx context.Context, as *nextcloud.Client, inv *Inventory) error {
	books, err := as.Collections(ctx, nextcloud.AddressBooks)
	if err != nil {
		return err
	}
	for _, b := range books {
		if b.Owner != as.User() || path.Base(strings.TrimSuffix(b.Path, "/")) == "z-app-generated--contactsinteraction--recent" {
			continue // shared with the source, or rebuilt by Nextcloud
		}
		etags, err := as.ObjectETags(ctx, b.Path)
		if err != nil {
			return err
		}
		inv.AddressBooks = append(inv.AddressBooks, BookInfo{Path: b.Path, URI: b.URI, Name: b.Name, Cards: len(etags)})
	}
	return nil
}
