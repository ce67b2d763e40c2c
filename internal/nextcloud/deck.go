package nextcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Deck's REST API (/index.php/apps/deck/api/v1.0) and its web route that
// hands a board over, as Deck 1.16.7 answers them through AppAPI on
// Nextcloud 32 (shared/fixtures/nextcloud-32-more, 421–440). Answers are
// plain JSON, not OCS envelopes.

// ErrNotBoardOwner is Deck's refusal to hand over a board the acting user
// does not own (401 [], capture 434).
var ErrNotBoardOwner = errors.New("nextcloud: the acting user does not own this board")

// Board is a Deck board as its listing shows it (426).
type Board struct {
	ID        int          `json:"id"`
	Title     string       `json:"title"`
	Owner     DeckUser     `json:"owner"` // an object in listings, a bare uid in transferOwner's answer (432)
	Color     string       `json:"color"`
	Archived  bool         `json:"archived"`
	DeletedAt int64        `json:"deletedAt"` // unix seconds; not 0 for a board in Deck's trash
	Shares    []BoardShare `json:"acl"`
}

// DeckUser is a user, group or team as Deck names it.
type DeckUser struct {
	UID         string `json:"uid"`
	DisplayName string `json:"displayname"`
	Type        int    `json:"type"` // 0 user, 1 group, 7 team
}

// UnmarshalJSON accepts the object of listings and the bare uid of
// transferOwner's answer (432).
func (u *DeckUser) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*u = DeckUser{}
		return json.Unmarshal(b, &u.UID)
	}
	type plain DeckUser
	return json.Unmarshal(b, (*plain)(u))
}

// BoardShare is an entry of a board's sharing (425): who, and with which
// rights besides reading.
type BoardShare struct {
	ID          int      `json:"id"`
	Participant DeckUser `json:"participant"`
	Type        int      `json:"type"` // 0 user, 1 group, 7 team
	Edit        bool     `json:"permissionEdit"`
	Share       bool     `json:"permissionShare"`
	Manage      bool     `json:"permissionManage"`
}

// Stack is a list of a board with its cards (439).
type Stack struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Cards []Card `json:"cards"` // absent from Deck's answer for an empty stack: nil
}

// Card is a card; Owner is its author, which a hand-over keeps (439).
type Card struct {
	ID           int      `json:"id"`
	Title        string   `json:"title"`
	Owner        DeckUser `json:"owner"`
	CreatedAt    int64    `json:"createdAt"`    // unix seconds
	LastModified int64    `json:"lastModified"` // unix seconds
	Assigned     []struct {
		Participant DeckUser `json:"participant"`
	} `json:"assignedUsers"`
}

const deckAPI = "/index.php/apps/deck/api/v1.0/boards"

// Boards returns the boards the acting user owns or is shared with (426,
// 427); Owner tells them apart. Deck creates a welcome board for a user on
// their first listing (426, 435), so the first call may return one more
// board than the user ever made.
func (c *Client) Boards(ctx context.Context) ([]Board, error) {
	var out []Board
	if err := c.deckCall(ctx, http.MethodGet, NCPath(deckAPI), nil, &out); err != nil {
		return nil, fmt.Errorf("list boards: %w", err)
	}
	return out, nil
}

// Board reads one board as the acting user (438): ErrNotFound when it does
// not exist, ErrForbidden when the user may not see it.
func (c *Client) Board(ctx context.Context, id int) (Board, error) {
	var out Board
	if err := c.deckCall(ctx, http.MethodGet, NCPath(deckAPI, strconv.Itoa(id)), nil, &out); err != nil {
		return Board{}, fmt.Errorf("read board %d: %w", id, err)
	}
	return out, nil
}

// Stacks returns the stacks of board id with their cards (439).
func (c *Client) Stacks(ctx context.Context, id int) ([]Stack, error) {
	var out []Stack
	if err := c.deckCall(ctx, http.MethodGet, NCPath(deckAPI, strconv.Itoa(id), "stacks"), nil, &out); err != nil {
		return nil, fmt.Errorf("read the stacks of board %d: %w", id, err)
	}
	return out, nil
}

// TransferBoard hands board id, owned by the acting user, over to newOwner
// through Deck's web route PUT /index.php/apps/deck/boards/{id}/transferOwner.
// The route passes Nextcloud's CSRF check thanks to the OCS-APIRequest
// header every request carries (433; 412 without it, 428). Afterwards
// newOwner owns the board, the acting user is in its sharing with every
// right, other shares stay and cards keep their authors (435–439). Deck
// answers 401 with an empty array to a caller that does not own the board
// (434): ErrNotBoardOwner. Another 401 (a refused account) is not that.
func (c *Client) TransferBoard(ctx context.Context, id int, newOwner string) error {
	err := c.deckCall(ctx, http.MethodPut, NCPath("/index.php/apps/deck/boards", strconv.Itoa(id), "transferOwner"),
		map[string]string{"newOwner": newOwner}, nil)
	var ne *Error
	if errors.As(err, &ne) && ne.StatusCode == http.StatusUnauthorized && strings.TrimSpace(ne.Message) == "[]" {
		err = fmt.Errorf("%w: %w", ErrNotBoardOwner, err)
	}
	if err != nil {
		return fmt.Errorf("hand board %d over to %s: %w", id, newOwner, err)
	}
	return nil
}

// RemoveBoardShare removes entry shareID from the sharing of board boardID
// (DELETE …/boards/{id}/acl/{aclId}; the acting user needs the manage
// right). Not captured: the route and its answer follow Deck's
// AclApiController.
func (c *Client) RemoveBoardShare(ctx context.Context, boardID, shareID int) error {
	if err := c.deckCall(ctx, http.MethodDelete, NCPath(deckAPI, strconv.Itoa(boardID), "acl", strconv.Itoa(shareID)), nil, nil); err != nil {
		return fmt.Errorf("remove share %d of board %d: %w", shareID, boardID, err)
	}
	return nil
}

// deckCall sends a JSON request to Deck and decodes its JSON answer into
// out (when not nil). A status of 300 or more is an *Error whose Message is
// Deck's "message" field, or the start of the body.
func (c *Client) deckCall(ctx context.Context, method string, p Path, in, out any) error {
	if err := c.requireUser(); err != nil {
		return err
	}
	h := http.Header{"Accept": {"application/json"}}
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
		h.Set("Content-Type", "application/json")
	}
	path := p.String()
	resp, err := c.send(ctx, method, c.url(p, ""), h, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := readAtMost(resp.Body, ListingLimit)
	if err != nil {
		return fmt.Errorf("nextcloud: %s %s: read: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var msg struct {
			Message string `json:"message"`
		}
		e := &Error{Method: method, Path: path, StatusCode: resp.StatusCode, Message: snippet(raw),
			retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		if json.Unmarshal(raw, &msg) == nil && msg.Message != "" {
			e.Message = msg.Message
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(out); err != nil {
		return fmt.Errorf("nextcloud: %s %s: decode: %w", method, path, err)
	}
	return nil
}
