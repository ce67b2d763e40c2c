package nextcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// envelope is the OCS answer: {"ocs":{"meta":{...},"data":...}}.
type envelope struct {
	OCS struct {
		Meta struct {
			Status     string `json:"status"`
			StatusCode int    `json:"statuscode"`
			Message    string `json:"message"`
		} `json:"meta"`
		Data json.RawMessage `json:"data"`
	} `json:"ocs"`
}

// ocs calls an OCS v2 endpoint (path below /ocs/v2.php, built with NCPath) and decodes
// ocs.data into out (when out is not nil). It returns an *Error when the HTTP
// status or ocs.meta.statuscode says the call failed — Nextcloud sometimes
// answers 200 with a failure in the envelope.
func (c *Client) ocs(ctx context.Context, method string, path Path, query url.Values, in, out any) error {
	var body []byte
	h := http.Header{"Accept": {"application/json"}}
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("nextcloud: encode %s %s: %w", method, path, err)
		}
		h.Set("Content-Type", "application/json")
	}
	fullPath := NCPath("/ocs/v2.php").Join(path...)
	resp, err := c.send(ctx, method, c.url(fullPath, query.Encode()), h, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := readAtMost(resp.Body, ListingLimit)
	if err != nil {
		return fmt.Errorf("nextcloud: %s %s: read: %w", method, fullPath.String(), err)
	}
	return decodeOCS(method, fullPath.String(), resp, raw, out)
}

// decodeOCS checks an OCS answer and decodes its data into out.
func decodeOCS(method, path string, resp *http.Response, raw []byte, out any) error {
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	meta := env.OCS.Meta
	okCode := meta.StatusCode == 100 || meta.StatusCode == 200
	if resp.StatusCode >= 300 || jsonErr != nil || !okCode {
		e := &Error{Method: method, Path: path, StatusCode: resp.StatusCode,
			OCSCode: meta.StatusCode, Message: meta.Message,
			retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		if e.Message == "" {
			// Talk names its refusals in the data: {"error":"last-moderator"} (506).
			var d struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(env.OCS.Data, &d) == nil {
				e.Message = d.Error
			}
		}
		if jsonErr != nil || meta.StatusCode == 0 {
			e.OCSCode = 0
			e.Message = snippet(raw)
			if resp.StatusCode < 300 {
				e.Message = "answer is not an OCS envelope: " + e.Message
				e.StatusCode = http.StatusBadGateway
			}
		}
		return e
	}
	if out == nil || len(env.OCS.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.OCS.Data, out); err != nil {
		return fmt.Errorf("nextcloud: %s %s: decode data: %w", method, path, err)
	}
	return nil
}

// snippet returns the start of a body for an error text.
func snippet(b []byte) string {
	const n = 256
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
