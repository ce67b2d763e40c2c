package appapi

import (
	"context"
	"slices"
	"sync"
	"time"

	"assokit/internal/nextcloud"
)

// Host is the Nextcloud AssoKit runs beside, as the pages need it: the
// acting account (kept a few seconds, so that a page's burst of requests
// costs one call), whether Nextcloud answers (checked at most every ten
// seconds) and what the admin wrote in AssoKit's settings form. It is safe
// for concurrent use.
type Host struct {
	nc *nextcloud.Client // acting as the ExApp; accounts are read As(uid)

	mu         sync.Mutex
	accounts   map[string]cachedAccount // by uid
	status     cachedStatus
	hostedName string // the association's name the host set (UseHostedName)
}

type cachedAccount struct {
	acc     nextcloud.Account
	expires time.Time
}

type cachedStatus struct {
	version string
	err     error
	expires time.Time
}

// NewHost returns the Host reached through nc.
func NewHost(nc *nextcloud.Client) *Host {
	return &Host{nc: nc, accounts: map[string]cachedAccount{}}
}

// Account returns uid's account (groups and language included), read as
// that user, at most five seconds old.
func (h *Host) Account(ctx context.Context, uid string) (nextcloud.Account, error) {
	h.mu.Lock()
	ca, ok := h.accounts[uid]
	h.mu.Unlock()
	if ok && time.Now().Before(ca.expires) {
		return ca.acc, nil
	}
	acc, err := h.nc.As(uid).Account(ctx, uid)
	if err != nil {
		return nextcloud.Account{}, err
	}
	h.mu.Lock()
	h.accounts[uid] = cachedAccount{acc, time.Now().Add(5 * time.Second)}
	h.mu.Unlock()
	return acc, nil
}

// DisplayNames maps every account's uid to the name Nextcloud shows for
// it (the uid when it has none), read acting as admin, who may read every
// account, disabled ones included: one paged listing.
func (h *Host) DisplayNames(ctx context.Context, admin string) (map[string]string, error) {
	accs, err := h.nc.As(admin).Accounts(ctx, 200)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(accs))
	for _, a := range accs {
		names[a.ID] = a.DisplayName
		if a.DisplayName == "" {
			names[a.ID] = a.ID
		}
	}
	return names, nil
}

// IsAdmin reports whether groups hold Nextcloud's "admin" group.
func IsAdmin(groups []string) bool { return slices.Contains(groups, "admin") }

// Version is Nextcloud's version, or why Nextcloud does not answer; the
// answer is at most ten seconds old and waits five seconds at most.
func (h *Host) Version(ctx context.Context) (string, error) {
	h.mu.Lock()
	st := h.status
	h.mu.Unlock()
	if time.Now().Before(st.expires) {
		return st.version, st.err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := h.nc.Version(cctx)
	h.mu.Lock()
	h.status = cachedStatus{v, err, time.Now().Add(10 * time.Second)}
	h.mu.Unlock()
	return v, err
}

// Association is what the admin wrote in AssoKit's settings form, or the
// host at deploy time for the name.
type Association struct {
	Name       string `json:"name"`
	NameByHost bool   `json:"nameByHost"` // the host set the name: the settings form does not change it
	Contact    string `json:"contact"`    // who members should ask for help
}

// UseHostedName makes name, set by the host at deploy time, the
// association's name whatever the settings form holds ("" leaves it to the
// form). Call it before serving.
func (h *Host) UseHostedName(name string) {
	h.mu.Lock()
	h.hostedName = name
	h.mu.Unlock()
}

// Association reads the settings form's values from Nextcloud; the name the
// host set takes the place of the form's.
func (h *Host) Association(ctx context.Context) (Association, error) {
	h.mu.Lock()
	hosted := h.hostedName
	h.mu.Unlock()
	vals, err := h.nc.AppConfigValues(ctx, SettingAssociationName, SettingSupportContact)
	a := Association{Name: vals[SettingAssociationName], Contact: vals[SettingSupportContact]}
	if hosted != "" {
		a.Name, a.NameByHost = hosted, true
	}
	if err != nil && hosted == "" {
		return Association{}, err
	}
	return a, nil
}
