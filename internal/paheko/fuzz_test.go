package paheko

import (
	"errors"
	"testing"
)

// FuzzDecodeAnswer reads any answer into every shape AssoKit decodes from
// Paheko. The seed corpus in testdata/fuzz holds answers of a real Paheko
// 1.3.22.1 (fixtures paheko-1.3.22).
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"count":2,"results":[{"id":3,"numero":"7","nom":"A"},{"id":3}]}`))
	f.Add(200, []byte(`{"count":1,"results":[{"id":"12","nextcloud_uid":null,"email":["x"]}]}`))
	f.Add(500, []byte("<html>Fatal error</html>"))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		var sql struct {
			Count   int              `json:"count"`
			Results []map[string]any `json:"results"`
		}
		if err := decodeAnswer("POST", "sql", status, raw, &sql); err == nil {
			if status != 200 {
				t.Fatalf("status %d accepted", status)
			}
			members, err := membersOf(sql.Results, 0)
			if err == nil {
				for i := 1; i < len(members); i++ {
					if members[i].ID <= members[i-1].ID {
						t.Fatalf("ids out of order accepted: %v", members)
					}
				}
			} else if !errors.Is(err, ErrNotPaheko) {
				t.Fatalf("bad rows: %v", err)
			}
		} else if !isKnown(err) {
			t.Fatalf("unclassified error %v", err)
		}
		var cats map[string]Category
		decodeAnswer("GET", "user/categories", status, raw, &cats)
		var rec memberRecord
		if decodeAnswer("GET", "user/1", status, raw, &rec) == nil {
			rec.member()
		}
	})
}

func isKnown(err error) bool {
	for _, k := range []error{ErrUnreachable, ErrUnauthorized, ErrRights, ErrProtected, ErrCategory, ErrNotFound, ErrDuplicate, ErrInvalid, ErrNotPaheko} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
