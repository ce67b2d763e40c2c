package nextcloud

import (
	"errors"
	"net/http"
	"testing"
)

func TestDecodeOCS(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr error // nil: success
		wantIDs []string
	}{
		{"v2 ok", 200, `{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":{"users":["admin","alice"]}}}`, nil, []string{"admin", "alice"}},
		{"v1 ok", 200, `{"ocs":{"meta":{"status":"ok","statuscode":100,"message":"OK","totalitems":"","itemsperpage":""},"data":{"users":["bob"]}}}`, nil, []string{"bob"}},
		{"v1 failure inside a 200", 200, `{"ocs":{"meta":{"status":"failure","statuscode":400,"message":"Invalid log level","totalitems":"","itemsperpage":""},"data":[]}}`, errBadRequest, nil},
		{"not logged in", 401, `{"ocs":{"meta":{"status":"failure","statuscode":997,"message":"Current user is not logged in"},"data":[]}}`, ErrUnauthorized, nil},
		{"sub admin needed", 403, `{"ocs":{"meta":{"status":"failure","statuscode":403,"message":"Logged in account must be at least a sub admin"},"data":[]}}`, ErrForbidden, nil},
		{"not found", 404, `{"ocs":{"meta":{"status":"failure","statuscode":404,"message":"User does not exist"},"data":[]}}`, ErrNotFound, nil},
		{"server error page", 503, `<html>maintenance</html>`, ErrUnreachable, nil},
		{"200 but not OCS", 200, `<html>login</html>`, ErrUnreachable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Users []string `json:"users"`
			}
			err := decodeOCS("GET", "/x", &http.Response{StatusCode: tt.status, Header: http.Header{}}, []byte(tt.body), &out)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("decodeOCS() = %v; want success", err)
			case tt.wantErr == errBadRequest:
				var e *Error
				if !errors.As(err, &e) || e.OCSCode != 400 || !e.Permanent() == (e.StatusCode >= 400 && e.StatusCode < 500) {
					t.Fatalf("decodeOCS() = %v; want an OCS 400", err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("decodeOCS() = %v; want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(out.Users) != len(tt.wantIDs) {
				t.Fatalf("data = %v; want %v", out.Users, tt.wantIDs)
			}
		})
	}
}

var errBadRequest = errors.New("bad request")
