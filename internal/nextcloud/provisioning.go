package nextcloud

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
)

// Account is a Nextcloud account as the provisioning API describes it.
type Account struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayname"`
	Email       string   `json:"email"`
	Groups      []string `json:"groups"`
	Enabled     bool     `json:"enabled"`
	Language    string   `json:"language"`
	LastLogin   int64    `json:"lastLogin"` // milliseconds since the epoch, 0 if never
	Quota       Quota    `json:"quota"`
	// FirstLogin is the account's first sign-in, seconds since the epoch, 0
	// if never (firstLoginTimestamp, NC 31+: fixtures/nextcloud-32-transfer 608).
	FirstLogin int64 `json:"firstLoginTimestamp"`
}

// Quota is an account's storage as the provisioning API gives it (fixtures
// 330–332): bytes free and used; Nextcloud writes -3 for "no quota". An
// account whose storage was never set up has no "free", only its quota:
// "none", or bytes, and then what is free is that quota (upstream
// AUserDataOCSController::fillStorageInfo, no capture).
type Quota struct {
	Free  int64 `json:"free"`
	Used  int64 `json:"used"`
	Known bool  `json:"-"` // the answer held a numeric free space
}

// Unlimited reports whether no limit is known: no quota (-3), or a free
// space Nextcloud could not compute.
func (q Quota) Unlimited() bool { return !q.Known || q.Free < 0 }

// UnmarshalJSON reads the quota object, whose "quota" may be a number or
// a string and whose "free" may be missing.
func (q *Quota) UnmarshalJSON(b []byte) error {
	var raw struct {
		Free  *float64        `json:"free"`
		Used  float64         `json:"used"`
		Quota json.RawMessage `json:"quota"`
	}
	if json.Unmarshal(b, &raw) != nil {
		*q = Quota{}
		return nil // an unexpected shape is an unknown quota, not a failed read
	}
	*q = Quota{Used: int64(raw.Used), Known: raw.Free != nil}
	var limit float64
	switch {
	case raw.Free != nil:
		q.Free = int64(*raw.Free)
	case json.Unmarshal(raw.Quota, &limit) == nil && limit >= 0:
		q.Free, q.Known = max(int64(limit)-q.Used, 0), true
	}
	return nil
}

// UnmarshalJSON accepts Nextcloud's quirks: email may be null.
func (a *Account) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID          string   `json:"id"`
		DisplayName string   `json:"displayname"`
		Email       *string  `json:"email"`
		Groups      []string `json:"groups"`
		Enabled     *bool    `json:"enabled"`
		Language    string   `json:"language"`
		LastLogin   int64    `json:"lastLogin"`
		Quota       Quota    `json:"quota"`
		FirstLogin  int64    `json:"firstLoginTimestamp"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Account{ID: raw.ID, DisplayName: raw.DisplayName, Groups: raw.Groups,
		Enabled: raw.Enabled == nil || *raw.Enabled, Language: raw.Language, LastLogin: raw.LastLogin, Quota: raw.Quota,
		FirstLogin: raw.FirstLogin}
	if raw.Email != nil {
		a.Email = *raw.Email
	}
	return nil
}

// AllUserIDs lists every uid, disabled accounts included, through AppAPI's
// own endpoint (no acting user needed, no paging).
func (c *Client) AllUserIDs(ctx context.Context) ([]string, error) {
	var ids []string
	if err := c.ocs(ctx, "GET", NCPath("/apps/app_api/api/v1/users"), nil, nil, &ids); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return ids, nil
}

// Accounts returns every account with its details and groups, sorted by uid.
// The client must act as an admin. It reads pageSize accounts per request.
func (c *Client) Accounts(ctx context.Context, pageSize int) ([]Account, error) {
	if pageSize <= 0 {
		pageSize = 100
	}
	var all []Account
	for offset := 0; ; offset += pageSize {
		var data struct {
			Users json.RawMessage `json:"users"`
		}
		q := url.Values{"limit": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)}}
		if err := c.ocs(ctx, "GET", NCPath("/cloud/users/details"), q, nil, &data); err != nil {
			return nil, fmt.Errorf("list account details: %w", err)
		}
		// An object keyed by uid; PHP sends an empty list when there is none.
		var page map[string]Account
		if len(data.Users) > 0 && !bytes.HasPrefix(bytes.TrimSpace(data.Users), []byte("[")) {
			if err := json.Unmarshal(data.Users, &page); err != nil {
				return nil, fmt.Errorf("list account details: decode: %w", err)
			}
		}
		for uid, a := range page {
			if a.ID == "" {
				a.ID = uid
			}
			all = append(all, a)
		}
		if len(page) < pageSize {
			break
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// Account returns one account. It returns an error matching ErrNotFound if
// there is no such account.
func (c *Client) Account(ctx context.Context, uid string) (Account, error) {
	var a Account
	if err := c.ocs(ctx, "GET", NCPath("/cloud/users", uid), nil, nil, &a); err != nil {
		return Account{}, fmt.Errorf("read account %s: %w", uid, err)
	}
	return a, nil
}

// Groups lists every group id.
func (c *Client) Groups(ctx context.Context) ([]string, error) {
	var data struct {
		Groups []string `json:"groups"`
	}
	if err := c.ocs(ctx, "GET", NCPath("/cloud/groups"), nil, nil, &data); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return data.Groups, nil
}

// GroupNames maps each group id to its display name, as the provisioning
// API's groups/details answers it (Nextcloud's
// apps/provisioning_api/lib/Controller/GroupsController.php,
// getGroupsDetails: {"groups":[{"id","displayname",…}]}); a group without a
// display name maps to its id.
func (c *Client) GroupNames(ctx context.Context) (map[string]string, error) {
	var data struct {
		Groups []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayname"`
		} `json:"groups"`
	}
	if err := c.ocs(ctx, "GET", NCPath("/cloud/groups/details"), nil, nil, &data); err != nil {
		return nil, fmt.Errorf("list group names: %w", err)
	}
	out := make(map[string]string, len(data.Groups))
	for _, g := range data.Groups {
		out[g.ID] = cmp.Or(g.DisplayName, g.ID)
	}
	return out, nil
}

// GroupMembers lists the uids in group gid.
func (c *Client) GroupMembers(ctx context.Context, gid string) ([]string, error) {
	var data struct {
		Users []string `json:"users"`
	}
	if err := c.ocs(ctx, "GET", NCPath("/cloud/groups", gid, "users"), nil, nil, &data); err != nil {
		return nil, fmt.Errorf("list members of %s: %w", gid, err)
	}
	return data.Users, nil
}

// NewAccount describes an account to create.
type NewAccount struct {
	ID          string   `json:"userid"`
	Password    string   `json:"password,omitempty"`
	DisplayName string   `json:"displayName,omitempty"`
	Email       string   `json:"email,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Language    string   `json:"language,omitempty"`
}

// CreateAccount creates an account (acting as an admin).
func (c *Client) CreateAccount(ctx context.Context, a NewAccount) error {
	if err := c.ocs(ctx, "POST", NCPath("/cloud/users"), nil, a, nil); err != nil {
		return fmt.Errorf("create account %s: %w", a.ID, err)
	}
	return nil
}

// SetAccountEnabled enables or disables an account (acting as an admin).
func (c *Client) SetAccountEnabled(ctx context.Context, uid string, enabled bool) error {
	action := "disable"
	if enabled {
		action = "enable"
	}
	if err := c.ocs(ctx, "PUT", NCPath("/cloud/users", uid, action), nil, nil, nil); err != nil {
		return fmt.Errorf("%s account %s: %w", action, uid, err)
	}
	return nil
}

// CreateGroup creates a group (acting as an admin).
func (c *Client) CreateGroup(ctx context.Context, gid string) error {
	if err := c.ocs(ctx, "POST", NCPath("/cloud/groups"), nil, map[string]string{"groupid": gid}, nil); err != nil {
		return fmt.Errorf("create group %s: %w", gid, err)
	}
	return nil
}

// AddToGroup adds an account to a group (acting as an admin).
func (c *Client) AddToGroup(ctx context.Context, uid, gid string) error {
	err := c.ocs(ctx, "POST", NCPath("/cloud/users", uid, "groups"), nil, map[string]string{"groupid": gid}, nil)
	if err != nil {
		return fmt.Errorf("add %s to %s: %w", uid, gid, err)
	}
	return nil
}
