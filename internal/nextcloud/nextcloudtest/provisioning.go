package nextcloudtest

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// details is a user as GET /cloud/users/{uid} describes it (all 32 keys).
func (s *Server) detailsLocked(u *User) map[string]any {
	var email any
	if u.Email != "" {
		email = u.Email
	}
	lastLogin := int64(0)
	if !u.LastLogin.IsZero() {
		lastLogin = u.LastLogin.UnixMilli()
	}
	firstLogin := lastLogin / 1000
	if !u.FirstLogin.IsZero() {
		firstLogin = u.FirstLogin.Unix()
	}
	groups := append([]string{}, u.Groups...)
	return map[string]any{
		"enabled": u.Enabled, "storageLocation": "/var/www/nextcloud/data/" + u.ID, "id": u.ID,
		"firstLoginTimestamp": firstLogin, "lastLoginTimestamp": lastLogin / 1000, "lastLogin": lastLogin,
		"backend": "Database", "subadmin": []any{},
		"quota":   s.quotaLocked(u),
		"manager": "", "email": email, "additional_mail": []any{},
		"displayname": u.DisplayName, "display-name": u.DisplayName,
		"phone": "", "address": "", "website": "", "twitter": "", "bluesky": "", "fediverse": "",
		"organisation": "", "role": "", "headline": "", "biography": "", "profile_enabled": "1", "pronouns": "",
		"groups": groups, "language": u.Language, "locale": "", "timezone": "", "notify_email": nil,
		"backendCapabilities": map[string]any{"setDisplayName": true, "setPassword": true},
	}
}

// quotaLocked is the quota object of u (fixtures 330–332): -3 for free,
// total and quota when it has none; used is what its own files take.
func (s *Server) quotaLocked(u *User) map[string]any {
	used := int64(0)
	if d := s.dav[u.ID]; d != nil {
		used = treeSize(context.Background(), d.files, "/")
	}
	if u.Quota <= 0 {
		return map[string]any{"free": -3, "used": used, "total": -3, "relative": 0, "quota": -3}
	}
	free := max(u.Quota-used, 0)
	return map[string]any{"free": free, "used": used, "total": u.Quota,
		"relative": math.Round(float64(used)*10000/float64(u.Quota)) / 100, "quota": u.Quota}
}

func (s *Server) serveProvisioning(o *ocsReq) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// o.path is decoded once, as Nextcloud does: /cloud/users/jean%20dupont
	// names "jean dupont", jean%2520dupont names no one (fixtures 301, 302).
	parts := strings.Split(strings.TrimPrefix(o.path, "/cloud/"), "/")
	m := o.r.Method
	admin := s.isAdminLocked(o.who.user)
	needAdmin := func() bool {
		if !admin {
			o.reply(http.StatusForbidden, "Logged in account must be at least a sub admin", nil)
			return false
		}
		return true
	}
	switch {
	case len(parts) == 1 && parts[0] == "user" && m == "GET":
		o.ok(s.detailsLocked(s.users[o.who.user]))

	case len(parts) == 1 && parts[0] == "users" && m == "GET":
		if needAdmin() {
			o.ok(map[string]any{"users": s.pageLocked(o)})
		}
	case len(parts) == 2 && parts[0] == "users" && parts[1] == "details" && m == "GET":
		if needAdmin() {
			users := map[string]any{}
			for _, id := range s.pageLocked(o) {
				users[id] = s.detailsLocked(s.users[id])
			}
			if len(users) == 0 {
				o.ok(map[string]any{"users": []any{}}) // PHP's empty array
				return
			}
			o.ok(map[string]any{"users": users})
		}
	case len(parts) == 1 && parts[0] == "users" && m == "POST":
		if needAdmin() {
			s.createUserLocked(o)
		}
	case len(parts) == 2 && parts[0] == "users" && m == "GET":
		u := s.users[parts[1]]
		switch {
		case u == nil:
			o.reply(http.StatusNotFound, "User does not exist", nil)
		case parts[1] != o.who.user && !admin:
			o.reply(ocsNotFound, "", nil) // as for a user that does not exist (fixture 333)
		default:
			o.ok(s.detailsLocked(u))
		}
	case len(parts) == 2 && parts[0] == "users" && m == "PUT":
		if u := s.userForAdminLocked(o, parts[1], admin); u != nil {
			switch o.str("key") {
			case "email":
				u.Email = o.str("value")
			case "displayname", "display":
				u.DisplayName = o.str("value")
			case "language":
				u.Language = o.str("value")
			default:
				o.reply(http.StatusBadRequest, "Invalid key", nil) // statuscode 103 in v1
				return
			}
			o.ok(nil)
		}
	case len(parts) == 2 && parts[0] == "users" && m == "DELETE":
		if u := s.userForAdminLocked(o, parts[1], admin); u != nil {
			delete(s.users, u.ID)
			delete(s.dav, u.ID)
			o.ok(nil)
		}
	case len(parts) == 3 && parts[0] == "users" && (parts[2] == "enable" || parts[2] == "disable") && m == "PUT":
		if u := s.userForAdminLocked(o, parts[1], admin); u != nil {
			u.Enabled = parts[2] == "enable"
			o.ok(nil)
		}
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "groups":
		s.userGroupsLocked(o, parts[1], admin)

	case len(parts) == 1 && parts[0] == "groups" && m == "GET":
		if needAdmin() {
			gs := make([]string, 0, len(s.groups))
			for g := range s.groups {
				gs = append(gs, g)
			}
			sort.Strings(gs)
			o.ok(map[string]any{"groups": gs})
		}
	case len(parts) == 2 && parts[0] == "groups" && parts[1] == "details" && m == "GET":
		if needAdmin() {
			ids := make([]string, 0, len(s.groups))
			for g := range s.groups {
				ids = append(ids, g)
			}
			sort.Strings(ids)
			gs := []map[string]any{}
			for _, g := range ids {
				members := 0
				for _, u := range s.users {
					if hasGroup(u.Groups, g) {
						members++
					}
				}
				gs = append(gs, map[string]any{"id": g, "displayname": cmp.Or(s.groupNames[g], g), "usercount": members,
					"disabled": 0, "canAdd": true, "canRemove": true})
			}
			o.ok(map[string]any{"groups": gs})
		}
	case len(parts) == 1 && parts[0] == "groups" && m == "POST":
		if needAdmin() {
			gid := o.str("groupid")
			switch {
			case gid == "":
				o.reply(101, "Invalid group name", nil)
			case s.groups[gid]:
				o.reply(102, "group exists", nil)
			default:
				s.groups[gid] = true
				if name := o.str("displayname"); name != "" {
					s.groupNames[gid] = name
				}
				o.ok(nil)
			}
		}
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "users" && m == "GET":
		if needAdmin() {
			if !s.groups[parts[1]] {
				o.reply(http.StatusNotFound, "The requested group could not be found", nil)
				return
			}
			var members []string
			for _, u := range s.sortedUsersLocked() {
				if hasGroup(u.Groups, parts[1]) {
					members = append(members, u.ID)
				}
			}
			o.ok(map[string]any{"users": orEmpty(members)})
		}
	default:
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) sortedUsersLocked() []*User {
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// pageLocked applies search, limit and offset to the sorted uids.
func (s *Server) pageLocked(o *ocsReq) []string {
	q := o.r.URL.Query()
	search := strings.ToLower(q.Get("search"))
	var ids []string
	for _, u := range s.sortedUsersLocked() {
		if search == "" || strings.Contains(strings.ToLower(u.ID), search) ||
			strings.Contains(strings.ToLower(u.DisplayName), search) || strings.Contains(strings.ToLower(u.Email), search) {
			ids = append(ids, u.ID)
		}
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = min(max(offset, 0), len(ids))
	ids = ids[offset:]
	if limit, err := strconv.Atoi(q.Get("limit")); err == nil && limit > 0 && limit < len(ids) {
		ids = ids[:limit]
	}
	return orEmpty(ids)
}

func (s *Server) userForAdminLocked(o *ocsReq, uid string, admin bool) *User {
	u := s.users[uid]
	switch {
	case !admin:
		o.reply(http.StatusForbidden, "Logged in account must be at least a sub admin", nil)
	case u == nil:
		o.reply(http.StatusNotFound, "User does not exist", nil)
	default:
		return u
	}
	return nil
}

func (s *Server) createUserLocked(o *ocsReq) {
	uid := o.str("userid")
	switch {
	case uid == "":
		o.reply(101, "Invalid user id", nil)
		return
	case s.users[uid] != nil:
		o.reply(102, "User already exists", nil)
		return
	case o.str("password") == "" && o.str("email") == "":
		o.reply(108, "To send a password link to the user an email address is required.", nil)
		return
	}
	var groups []string
	if gs, ok := o.body["groups"].([]any); ok {
		for _, g := range gs {
			gid, _ := g.(string)
			if !s.groups[gid] {
				o.reply(104, "Group "+gid+" does not exist", nil)
				return
			}
			groups = append(groups, gid)
		}
	}
	s.addUserLocked(User{ID: uid, Password: o.str("password"), DisplayName: o.str("displayName"),
		Email: o.str("email"), Groups: groups, Enabled: true, Language: o.str("language")})
	o.ok(map[string]any{"id": uid})
}

func (s *Server) userGroupsLocked(o *ocsReq, uid string, admin bool) {
	u := s.users[uid]
	if o.r.Method == "GET" {
		switch {
		case u == nil:
			o.reply(http.StatusNotFound, "User does not exist", nil)
		case uid != o.who.user && !admin:
			o.reply(http.StatusForbidden, "Logged in account must be at least a sub admin", nil)
		default:
			o.ok(map[string]any{"groups": orEmpty(append([]string(nil), u.Groups...))})
		}
		return
	}
	if u = s.userForAdminLocked(o, uid, admin); u == nil {
		return
	}
	gid := o.str("groupid")
	switch {
	case gid == "":
		o.reply(101, "Group ID not specified", nil)
	case !s.groups[gid]:
		o.reply(102, "Group does not exist", nil)
	case o.r.Method == "POST":
		if !hasGroup(u.Groups, gid) {
			u.Groups = append(u.Groups, gid)
		}
		o.ok(nil)
	case o.r.Method == "DELETE":
		kept := u.Groups[:0]
		for _, g := range u.Groups {
			if g != gid {
				kept = append(kept, g)
			}
		}
		u.Groups = kept
		o.ok(nil)
	default:
		o.reply(ocsNotFound, "Invalid query", nil)
	}
}
