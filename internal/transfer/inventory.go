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
	ErrSourceDisabled = errcode.New("transfer_source_disabled", "transfer: the source account is disabled and files, boards or conversations were chosen without enabling it")
	ErrBusy           = errcode.New("transfer_busy", "transfer: the source already leaves in an active transfer, or an account of this one leaves or takes over in another")
	ErrNothing        = errcode.New("transfer_nothing", "transfer: nothing chosen to transfer")
	ErrNotInInventory = errcode.New("transfer_not_in_inventory", "transfer: a chosen item is not among what the source holds")
)

// Person names an account.
type Person struct {
	UID     string `json:"uid"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Lang    string `json:"-"`
	// Free is the space left in the account's quota, in bytes; Unlimited
	// when it has none (Nextcloud's -3, fixtures 330–332).
	Free      int64 `json:"free"`
	Unlimited bool  `json:"unlimited"`
}

// FileEntry is a file or folder at the top of the source's own files.
type FileEntry struct {
	Path   string `json:"path"`
	IsDir  bool   `json:"isDir"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`  // files inside (1 for a file)
	Shares int    `json:"shares"` // shares the source made of it or inside it
	Fits   bool   `json:"fits"`   // it fits in the target's free space
}

// MountInfo is something mounted in the source's files that is not its
// own: it stays in place whatever moves (fixture 410).
type MountInfo struct {
	Path string `json:"path"`
	Type string `json:"type"` // "external", "group", "shared"
	From string `json:"from"` // owner of a share received
}

// ShareInfo is a share the source made, or one it received.
type ShareInfo struct {
	Path string `json:"path"`
	With string `json:"with"` // uid, or "" for a public link
	From string `json:"from"` // owner of a received share
}

// CalendarInfo is one of the source's calendars or address books (Objects
// then counts cards).
type CalendarInfo struct {
	URI     string             `json:"uri"`
	Name    string             `json:"name"`
	Color   string             `json:"color"`
	Owner   string             `json:"owner"` // another account for one received
	Objects int                `json:"objects"`
	Sharees []nextcloud.Sharee `json:"sharees"` // users, groups and teams, re-created on the copy

	components []string
}

// Inventory is what the source holds, and what it only receives from
// others or has mounted (listed so that the page can say it stays).
type Inventory struct {
	Source Person `json:"source"`
	Target Person `json:"target"`
	// SharesListed is false for a disabled source: Nextcloud refuses OCS
	// calls as a disabled account (fixture 314), so its shares can be
	// listed and moved only while it is enabled.
	SharesListed bool        `json:"sharesListed"`
	Files        []FileEntry `json:"files"`
	FilesSize    int64       `json:"filesSize"`
	FilesCount   int         `json:"filesCount"`
	// FilesFit: all the source's files fit in the target's free space.
	// Nextcloud accepts a files transfer that does not fit and fails it
	// later, without saying why (fixtures 386–391): the page says it first.
	FilesFit    bool           `json:"filesFit"`
	Mounts      []MountInfo    `json:"mounts"`
	Shares      []ShareInfo    `json:"shares"`
	Received    []ShareInfo    `json:"received"`
	Calendars   []CalendarInfo `json:"calendars"`
	CalendarsIn []CalendarInfo `json:"calendarsReceived"`
	// CalendarsGone are in the source's trash bin: not moved.
	CalendarsGone []CalendarInfo `json:"calendarsInTrash"`
	AddressBooks  []CalendarInfo `json:"addressBooks"`
	BooksIn       []CalendarInfo `json:"addressBooksReceived"`
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
		out[i] = Person{UID: a.ID, Name: a.DisplayName, Enabled: a.Enabled, Lang: a.Language,
			Free: a.Quota.Free, Unlimited: a.Quota.Unlimited()}
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
// by admin, to exist and be enabled. For a disabled source it lists what
// DAV still serves (files, calendars, address books) and no shares.
func (s *Service) Inventory(ctx context.Context, admin, source, target string) (Inventory, error) {
	src, dst, err := s.people(ctx, admin, source, target)
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{Source: src, Target: dst, SharesListed: src.Enabled, Files: []FileEntry{}, Mounts: []MountInfo{},
		Shares: []ShareInfo{}, Received: []ShareInfo{}, Calendars: []CalendarInfo{}, CalendarsIn: []CalendarInfo{},
		CalendarsGone: []CalendarInfo{}, AddressBooks: []CalendarInfo{}, BooksIn: []CalendarInfo{}}
	as := s.nc.As(source)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(recovering(func() error { return s.fileInventory(gctx, as, &inv) }))
	g.Go(recovering(func() error { return s.collectionInventory(gctx, as, nextcloud.Calendars, &inv) }))
	g.Go(recovering(func() error { return s.collectionInventory(gctx, as, nextcloud.AddressBooks, &inv) }))
	g.Go(recovering(func() error { return s.beyondInventory(gctx, as, &inv) }))
	if err := g.Wait(); err != nil {
		return Inventory{}, fmt.Errorf("inventory of %s: %w", source, err)
	}
	if err := s.nameGroups(ctx, admin, &inv); err != nil {
		return Inventory{}, fmt.Errorf("inventory of %s: %w", source, err)
	}
	return inv, nil
}

// nameGroups gives the groups a collection is shared with their display
// names: DAV's oc:common-name of a group is its id (fixtures 341, 345), the
// provisioning API, read by admin, knows its name.
func (s *Service) nameGroups(ctx context.Context, admin string, inv *Inventory) error {
	lists := [][]CalendarInfo{inv.Calendars, inv.CalendarsIn, inv.CalendarsGone, inv.AddressBooks, inv.BooksIn}
	var names map[string]string
	for _, list := range lists {
		for _, c := range list {
			for i, sh := range c.Sharees {
				if sh.Kind() != "group" {
					continue
				}
				if names == nil {
					var err error
					if names, err = s.nc.As(admin).GroupNames(ctx); err != nil {
						return err
					}
				}
				if name, ok := names[sh.ID()]; ok {
					c.Sharees[i].Name = name
				}
			}
		}
	}
	return nil
}

// fileInventory lists the source's own files by top-level entry, and apart
// what is mounted there (nc:mount-type, fixture 405): shares received and
// external storage are not the source's to give. Its shares come from the
// files_sharing API, which answers only for an enabled account.
func (s *Service) fileInventory(ctx context.Context, as *nextcloud.Client, inv *Inventory) error {
	files, err := as.ListFiles(ctx, "/", true)
	if err != nil {
		return err
	}
	var mine []nextcloud.Share
	if inv.SharesListed {
		if mine, err = as.Shares(ctx, false); err != nil {
			return err
		}
	}
	top := map[string]*FileEntry{}
	for _, f := range files {
		p := strings.TrimSuffix(f.Path, "/")
		if p == "" {
			continue
		}
		if !f.Own() {
			if f.MountRoot {
				m := MountInfo{Path: p, Type: f.MountType}
				if f.MountType == "shared" {
					m.From = f.Owner
					inv.Received = append(inv.Received, ShareInfo{Path: p, From: f.Owner})
				}
				inv.Mounts = append(inv.Mounts, m)
			}
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
		e.Fits = !tooBig(e.Size, inv.Target)
		inv.Files = append(inv.Files, *e)
	}
	inv.FilesFit = !tooBig(inv.FilesSize, inv.Target)
	sort.Slice(inv.Files, func(i, j int) bool { return strings.ToLower(inv.Files[i].Path) < strings.ToLower(inv.Files[j].Path) })
	return nil
}

// collectionInventory lists the source's calendars or address books with
// their object counts and sharees, named by their URI when their name is
// blank; those shared with the source by others
// are listed apart, with their counts too.
func (s *Service) collectionInventory(ctx context.Context, as *nextcloud.Client, kind string, inv *Inventory) error {
	colls, err := as.Collections(ctx, kind)
	if err != nil {
		return err
	}
	for _, c := range colls {
		if c.URI == "contact_birthdays" || c.URI == "z-app-generated--contactsinteraction--recent" || c.URI == "z-server-generated--system" {
			continue // rebuilt by Nextcloud
		}
		info := CalendarInfo{URI: c.URI, Name: c.Name, Color: c.Color, Owner: c.Owner, Sharees: c.Sharees, components: c.Components}
		if strings.TrimSpace(info.Name) == "" {
			info.Name = c.URI // a client may create one with no name, or only spaces: say something
		}
		if info.Sharees == nil {
			info.Sharees = []nextcloud.Sharee{}
		}
		if c.Deleted {
			inv.CalendarsGone = append(inv.CalendarsGone, info)
			continue
		}
		etags, err := as.ObjectETags(ctx, kind, c.URI)
		if err != nil {
			return err
		}
		info.Objects = len(etags)
		switch {
		case kind == nextcloud.Calendars && c.Owner != as.User():
			inv.CalendarsIn = append(inv.CalendarsIn, info)
		case kind == nextcloud.Calendars:
			inv.Calendars = append(inv.Calendars, info)
		case c.Owner != as.User():
			inv.BooksIn = append(inv.BooksIn, info)
		default:
			inv.AddressBooks = append(inv.AddressBooks, info)
		}
	}
	return nil
}
