package nextcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// RequestTransfer asks the files app to transfer the acting user's file or
// folder at p ("/" for the whole home) to recipient. Nextcloud answers
// without the transfer's id: the recipient's notification carries it
// (TransferNotification). 400: unknown path or recipient; 403: not owned.
func (c *Client) RequestTransfer(ctx context.Context, p, recipient string) error {
	if err := c.requireUser(); err != nil {
		return err
	}
	body := map[string]string{"path": cleanPath(p), "recipient": recipient}
	if err := c.ocs(ctx, "POST", NCPath("/apps/files/api/v1/transferownership"), nil, body, nil); err != nil {
		return fmt.Errorf("request transfer of %s to %s: %w", p, recipient, err)
	}
	return nil
}

// AcceptTransfer accepts, as its recipient, the ownership transfer id; the
// files move when Nextcloud's background jobs next run.
func (c *Client) AcceptTransfer(ctx context.Context, id string) error {
	if err := c.ocs(ctx, "POST", NCPath("/apps/files/api/v1/transferownership", id), nil, nil, nil); err != nil {
		return fmt.Errorf("accept transfer %s: %w", id, err)
	}
	return nil
}

// RejectTransfer rejects, as its recipient, the ownership transfer id.
func (c *Client) RejectTransfer(ctx context.Context, id string) error {
	if err := c.ocs(ctx, "DELETE", NCPath("/apps/files/api/v1/transferownership", id), nil, nil, nil); err != nil {
		return fmt.Errorf("reject transfer %s: %w", id, err)
	}
	return nil
}

// UserNotification is one of the acting user's Nextcloud notifications.
type UserNotification struct {
	ID         int       `json:"notification_id"`
	App        string    `json:"app"`
	Time       time.Time `json:"datetime"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Subject    string    `json:"subject"`
	SubjectRaw string    `json:"subjectRich"`
	Message    string    `json:"message"`
	Actions    int       `json:"-"` // how many actions it offers

	// From the rich parameters: the user and the path the notification
	// names (the files app's transfer notifications have both).
	ParamUser string `json:"-"`
	ParamPath string `json:"-"`
}

// UnmarshalJSON reads the rich parameters too, which are an object, or an
// empty array when there are none.
func (n *UserNotification) UnmarshalJSON(b []byte) error {
	type plain UserNotification
	var raw struct {
		plain
		Actions       []json.RawMessage `json:"actions"`
		SubjectParams json.RawMessage   `json:"subjectRichParameters"`
		MessageParams json.RawMessage   `json:"messageRichParameters"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*n = UserNotification(raw.plain)
	n.Actions = len(raw.Actions)
	for _, params := range []json.RawMessage{raw.SubjectParams, raw.MessageParams} {
		var m map[string]struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if json.Unmarshal(params, &m) != nil {
			continue
		}
		if u, ok := m["user"]; ok && n.ParamUser == "" {
			n.ParamUser = u.ID
		}
		if p, ok := m["path"]; ok && n.ParamPath == "" {
			n.ParamPath = p.Name
		}
	}
	return nil
}

// Notifications lists the acting user's notifications, newest first.
func (c *Client) Notifications(ctx context.Context) ([]UserNotification, error) {
	var out []UserNotification
	if err := c.ocs(ctx, "GET", NCPath("/apps/notifications/api/v2/notifications"), nil, nil, &out); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// IsTransfer reports whether n is one of the files app's ownership
// transfer notifications (request, done, failed, denied) about transfer id.
func (n UserNotification) IsTransfer(id string) bool {
	return n.App == "files" && n.ObjectType == "transfer" && (id == "" || n.ObjectID == id)
}

// IsTransferRequest reports whether n is the request a recipient may accept:
// the only transfer notification with actions. Subjects are translated to
// the user's language, so they are not compared.
func (n UserNotification) IsTransferRequest() bool {
	return n.IsTransfer("") && n.Actions > 0
}

// Share is one of the files_sharing app's shares.
type Share struct {
	ID        string `json:"id"`
	Type      int    `json:"share_type"` // 0 user, 1 group, 3 public link, 4 e-mail…
	Owner     string `json:"uid_owner"`
	Path      string `json:"path"` // as the acting user sees it
	ItemType  string `json:"item_type"`
	ShareWith string `json:"share_with"`
}

// UnmarshalJSON accepts share_with as a string or null (public links).
func (s *Share) UnmarshalJSON(b []byte) error {
	type plain Share
	var raw struct {
		plain
		ShareWith any `json:"share_with"`
		ID        any `json:"id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = Share(raw.plain)
	if v, ok := raw.ShareWith.(string); ok {
		s.ShareWith = v
	}
	switch v := raw.ID.(type) {
	case string:
		s.ID = v
	case float64:
		s.ID = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return nil
}

// Shares lists the shares the acting user made, or with withMe, those it
// received.
func (c *Client) Shares(ctx context.Context, withMe bool) ([]Share, error) {
	q := url.Values{}
	if withMe {
		q.Set("shared_with_me", "true")
	}
	var out []Share
	if err := c.ocs(ctx, "GET", NCPath("/apps/files_sharing/api/v1/shares"), q, nil, &out); err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	return out, nil
}
