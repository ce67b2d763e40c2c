package membersync

import (
	"context"
	"errors"

	"assokit/internal/paheko"
)

// CheckItem is one point of the setup check. Status is ok, missing, wrong,
// unknown, or info (a fact of Paheko the admin should know, nothing to
// fix); Code names the point for the page, which explains it.
type CheckItem struct {
	Code     string `json:"code"`
	Status   string `json:"status"`
	Category string `json:"category,omitempty"` // the category concerned
	ID       int    `json:"id,omitempty"`       // its id when found
	Name     string `json:"name,omitempty"`     // acting_admin: the admin's name
}

// Setup is what the check found: the points, what the config snippet
// needs, and Problem, the stable code of the first thing that stops the
// bridge ("" when nothing does): the page says it at the top.
type Setup struct {
	Items      []CheckItem    `json:"items"`
	Categories map[string]int `json:"categories"` // role → category id, for the snippet
	// MemberCategory is the category of the members AssoKit creates (0: not found).
	MemberCategory int    `json:"memberCategory"`
	MatchUID       bool   `json:"matchUid"`
	Error          string `json:"error,omitempty"` // why Paheko could not be checked
	Problem        string `json:"problem"`
}

// Codes of Setup.Problem beyond the errors' own codes.
const (
	ProblemKeyReadOnly = "paheko_key_read_only"
	ProblemNoField     = "paheko_field_missing"
	ProblemCategories  = "paheko_categories_missing"
	ProblemNoAdmin     = "paheko_no_admin"
)

// Check verifies, through the API and without changing anything, what the
// bridge needs from Paheko: the connection and key, a key allowed to write,
// the nextcloud_uid field (without it single sign-on stays off), the
// categories of each role with their rights, and that the admin whose
// rights read the accounts still is one. It also lists what Paheko 1.3.22
// does not do (info items).
func (s *Service) Check(ctx context.Context) Setup {
	out := Setup{Items: []CheckItem{}, Categories: map[string]int{}}
	pc, st, err := s.Client(ctx)
	if err != nil {
		out.Error, out.Problem = ErrorCode(err), ErrorCode(err)
		return out
	}
	cats, err := pc.Categories(ctx)
	if err != nil {
		out.Error, out.Problem = ErrorCode(err), ErrorCode(err)
		return out
	}
	problem := func(code string) {
		if out.Problem == "" {
			out.Problem = code
		}
	}
	out.Items = append(out.Items, CheckItem{Code: "connection", Status: "ok"})

	// The key level: an empty update of an admin member, refused either way.
	level := CheckItem{Code: "key_write", Status: "unknown"}
	if id, err := pc.ProtectedMemberID(ctx); err == nil && id != 0 {
		if ok, err := pc.CanWrite(ctx, id); err == nil {
			level.Status = map[bool]string{true: "ok", false: "wrong"}[ok]
		}
	}
	if level.Status == "wrong" {
		problem(ProblemKeyReadOnly)
	}
	out.Items = append(out.Items, level)

	has, err := pc.HasField(ctx, "nextcloud_uid")
	field := CheckItem{Code: "field_nextcloud_uid", Status: "missing"}
	if err != nil {
		field.Status = "unknown"
	} else if has {
		field.Status = "ok"
	} else {
		problem(ProblemNoField)
	}
	out.MatchUID = has
	out.Items = append(out.Items, field)

	want := append([]paheko.RoleCategory(nil), paheko.RoleCategories...)
	want = append(want, paheko.RoleCategory{Role: "", Category: paheko.MemberCategory})
	for _, rc := range want {
		item := CheckItem{Code: "category", Status: "missing", Category: rc.Name}
		for _, c := range cats {
			if c.Name != rc.Name {
				continue
			}
			item.ID, item.Status = c.ID, "wrong"
			if c.SameRights(rc.Category) {
				item.Status = "ok"
				if rc.Role != "" {
					out.Categories[rc.Role] = c.ID
				} else {
					out.MemberCategory = c.ID
				}
			}
		}
		if item.Status != "ok" {
			problem(ProblemCategories)
		}
		out.Items = append(out.Items, item)
	}
	if st.Category != 0 {
		out.MemberCategory = st.Category
	}

	admin := CheckItem{Code: "acting_admin", Status: "ok", Name: st.Admin}
	if acc, err := s.nc.As(st.Admin).Account(ctx, st.Admin); err == nil && acc.DisplayName != "" {
		admin.Name = acc.DisplayName
	}
	if _, err := s.gatherAccounts(ctx, st); errors.Is(err, ErrNoAdmin) {
		admin.Status = "wrong"
		problem(ProblemNoAdmin)
	} else if err != nil {
		admin.Status = "unknown"
	}
	out.Items = append(out.Items, admin,
		// Paheko 1.3.22.1 neither stores nor checks the state it sends (paheko-oidc.md, capture 24).
		CheckItem{Code: "oidc_state", Status: "info"},
		// Rights change at sign-on only: Paheko's API cannot change a category (capture 11).
		CheckItem{Code: "group_removal", Status: "info"})
	return out
}
