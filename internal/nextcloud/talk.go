package nextcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Talk's conversation API (/ocs/v2.php/apps/spreed/api/v4), as Talk 22
// answers it through AppAPI on Nextcloud 32
// (shared/fixtures/nextcloud-32-talk). A user sees only the conversations
// they take part in: acting as an admin reaches nobody else's (517–519).

// Conversation types and participant types AssoKit tells apart (Talk's
// docs/constants.md; 4 changelog, 5 former one-to-one and 6 note to self
// are Talk's own and never handed over).
const (
	ConversationOneToOne = 1
	ConversationGroup    = 2
	ConversationPublic   = 3

	ParticipantOwner     = 1
	ParticipantModerator = 2
)

// ErrLastModerator is Talk's refusal that the only owner or moderator
// leaves a conversation other users are still in (400 last-moderator, 506).
var ErrLastModerator = errors.New("nextcloud: the last moderator cannot leave a conversation with other users")

// Conversation is a Talk conversation as the acting user sees it (503).
type Conversation struct {
	Token       string `json:"token"`
	Type        int    `json:"type"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	// ObjectType marks the conversations Talk makes itself: "sample" (the
	// "Let's get started!" conversation), "note_to_self"; "" otherwise.
	ObjectType      string `json:"objectType"`
	ParticipantType int    `json:"participantType"` // the acting user's
	AttendeeID      int    `json:"attendeeId"`      // the acting user's
}

// Moderates reports whether the acting user owns or moderates c.
func (c Conversation) Moderates() bool {
	return c.ParticipantType == ParticipantOwner || c.ParticipantType == ParticipantModerator
}

// TalkParticipant is a participant of a conversation (505). Attendee ids
// are global across conversations (508).
type TalkParticipant struct {
	AttendeeID      int    `json:"attendeeId"`
	ActorType       string `json:"actorType"` // "users" for accounts
	ActorID         string `json:"actorId"`
	DisplayName     string `json:"displayName"`
	ParticipantType int    `json:"participantType"`
}

// Moderates reports whether p owns or moderates the conversation.
func (p TalkParticipant) Moderates() bool {
	return p.ParticipantType == ParticipantOwner || p.ParticipantType == ParticipantModerator
}

const talkRooms = "/apps/spreed/api/v4/room"

// Conversations lists the acting user's conversations (503). Talk creates
// its changelog, note-to-self and sample conversations on a user's first
// listing. A disabled account is refused like any OCS call (ErrUnauthorized).
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out []Conversation
	if err := c.ocs(ctx, http.MethodGet, NCPath(talkRooms), nil, nil, &out); err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return out, nil
}

// Conversation reads conversation token as the acting user (513):
// ErrNotFound when it does not exist or the user is not in it (516, 518).
func (c *Client) Conversation(ctx context.Context, token string) (Conversation, error) {
	var out Conversation
	if err := c.ocs(ctx, http.MethodGet, NCPath(talkRooms, token), nil, nil, &out); err != nil {
		return Conversation{}, fmt.Errorf("read conversation %s: %w", token, err)
	}
	return out, nil
}

// Participants lists the participants of conversation token (505):
// ErrNotFound when the acting user is not in it (519, 521).
func (c *Client) Participants(ctx context.Context, token string) ([]TalkParticipant, error) {
	var out []TalkParticipant
	if err := c.ocs(ctx, http.MethodGet, NCPath(talkRooms, token, "participants"), nil, nil, &out); err != nil {
		return nil, fmt.Errorf("list the participants of %s: %w", token, err)
	}
	return out, nil
}

// AddParticipant adds the account uid to conversation token as a plain
// participant (501: 200, data []); the acting user must moderate it.
func (c *Client) AddParticipant(ctx context.Context, token, uid string) error {
	body := map[string]string{"newParticipant": uid, "source": "users"}
	if err := c.ocs(ctx, http.MethodPost, NCPath(talkRooms, token, "participants"), nil, body, nil); err != nil {
		return fmt.Errorf("add %s to %s: %w", uid, token, err)
	}
	return nil
}

// PromoteModerator makes attendee attendeeID a moderator of conversation
// token (509: 200, data null). Talk's API cannot make anyone owner.
func (c *Client) PromoteModerator(ctx context.Context, token string, attendeeID int) error {
	body := map[string]int{"attendeeId": attendeeID}
	if err := c.ocs(ctx, http.MethodPost, NCPath(talkRooms, token, "moderators"), nil, body, nil); err != nil {
		return fmt.Errorf("promote attendee %d in %s: %w", attendeeID, token, err)
	}
	return nil
}

// LeaveConversation takes the acting user out of conversation token (511).
// Talk refuses it to the only owner or moderator while other users remain
// (ErrLastModerator, 506), and deletes a conversation whose last user
// leaves (527–529): callers check the participants first.
func (c *Client) LeaveConversation(ctx context.Context, token string) error {
	err := c.ocs(ctx, http.MethodDelete, NCPath(talkRooms, token, "participants", "self"), nil, nil, nil)
	var ne *Error
	if errors.As(err, &ne) && ne.StatusCode == http.StatusBadRequest && ne.Message == "last-moderator" {
		err = fmt.Errorf("%w: %w", ErrLastModerator, err)
	}
	if err != nil {
		return fmt.Errorf("leave %s: %w", token, err)
	}
	return nil
}

// OptionalApps says which of the apps AssoKit can hand over besides files
// are enabled on this Nextcloud.
type OptionalApps struct {
	Deck bool // capabilities carry "deck" (450)
	Talk bool // capabilities carry "spreed" (450); neither after occ app:disable (451)
}

// Apps reads the capabilities to tell whether Deck and Talk are enabled; it
// needs no acting user.
func (c *Client) Apps(ctx context.Context) (OptionalApps, error) {
	var data struct {
		Capabilities map[string]any `json:"capabilities"`
	}
	if err := c.ocs(ctx, http.MethodGet, NCPath("/cloud/capabilities"), nil, nil, &data); err != nil {
		return OptionalApps{}, fmt.Errorf("read capabilities: %w", err)
	}
	_, deck := data.Capabilities["deck"]
	_, talk := data.Capabilities["spreed"]
	return OptionalApps{Deck: deck, Talk: talk}, nil
}
