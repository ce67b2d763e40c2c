package membersync

import (
	"context"
	"errors"

	"assokit/internal/paheko"
)

// CheckItem is one point of the setup check. Status is ok, missing, wrong
// or unknown; Code names the point for the page, which explains it.
type CheckItem struct {
	Code     string `json:"code"`
	Status   string `json:"status"`
	Category string `json:"category,omitempty"` // the category concerned
	ID       int    `json:"id,omitempty"`       // its id when found
}

// Setup is what the check found: the points, and what the config snippet needs.
type Setup struct {
	Items      []CheckItem    `json:"items"`
	Categories map[string]int `json:"categories"` // role → category id, for the snippet
	// MemberCategory is the category of the members AssoKit creates (0: not found).
	MemberCategory int    `json:"memberCategory"`
	MatchUID       bool   `json:"matchUid"`
	Error          string `json:"error,omitempty"` // why Paheko could not be checked
}

// Check verifies, through the API and without changing anything, what the
// bridge needs from Paheko: the connection and key, a key allowed to write,
// the nextcloud_uid field, and the categories of each role with their rights.
func (s *Service) Check(ctx context.Context) Setup {
	out := Setup{Items: []CheckItem{}, Categories: map[string]int{}}
	pc, _, err := s.Client(ctx)
	if err != nil {
		out.Error = ErrorCode(err)
		return out
	}
	cats, err := pc.Categories(ctx)
	if err != nil {
		out.Error = ErrorCode(err)
		return out
	}
	out.Items = append(out.Items, CheckItem{Code: "connection", Status: "ok"})

	// The key level: an empty update of an admin member, refused either way.
	level := CheckItem{Code: "key_write", Status: "unknown"}
	if id, err := pc.ProtectedMemberID(ctx); err == nil && id != 0 {
		if ok, err := pc.CanWrite(ctx, id); err == nil {
			level.Status = map[bool]string{true: "ok", false: "wrong"}[ok]
		}
	}
	out.Items = append(out.Items, level)

	has, err := pc.HasField(ctx, "nextcloud_uid")
	field := CheckItem{Code: "field_nextcloud_uid", Status: "missing"}
	if err != nil {
		field.Status = "unknown"
	} else if has {
		field.Status = "ok"
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
		out.Items = append(out.Items, item)
	}

	st, _ := s.Settings(ctx)
	if st.Category != 0 {
		out.MemberCategory = st.Category
	}
	admin := CheckItem{Code: "acting_admin", Status: "ok"}
	if _, err := s.gatherAccounts(ctx, st); errors.Is(err, ErrNoAdmin) {
		admin.Status = "wrong"
	} else if err != nil {
		admin.Status = "unknown"
	}
	out.Items = append(out.Items, admin)
	return out
}
