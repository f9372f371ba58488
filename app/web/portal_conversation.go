package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/views"
)

// Replier sends staff replies and clears the unread flag of client texts
// (engagement.Service).
type Replier interface {
	SendStaffReply(ctx context.Context, r engagement.StaffReply) (int64, error)
	MarkRead(ctx context.Context, clientID int64) (int, error)
}

// conversation handles GET /clients/:id/conversation: the client's texts
// both ways, oldest first, with what Herald knows about reaching them. A
// viewer who handles replies marks the unread ones read (they are shown as
// new this once). ?sent= names the reply just sent, to show its status.
func (h *portalHandlers) conversation(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.conversationView(c, id)
	if err != nil {
		return err
	}
	if sent, err := strconv.ParseInt(c.Query("sent"), 10, 64); err == nil {
		v.SentID = sent
	}
	if v.CanReply && v.C.Unread > 0 {
		if _, err := h.ps.Replies.MarkRead(c.UserContext(), id); err != nil {
			return err
		}
	}
	return show(c, fiber.StatusOK, views.ConversationPage(h.page(c, "Conversation", "cases"), v))
}

// reply handles POST /clients/:id/conversation: a staff reply by SMS through
// the ledger (engagement.SendStaffReply). The form's key makes a double
// submit send once. A refusal (empty text, opted-out client, no number)
// shows the conversation again with the reason and the draft kept.
func (h *portalHandlers) reply(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	body, key := c.FormValue("body"), c.FormValue("key")
	msgID, err := h.ps.Replies.SendStaffReply(c.UserContext(), engagement.StaffReply{ClientID: id, Body: body, Actor: actor(c), Key: key})
	if err == nil {
		return redirect(c, fmt.Sprintf("/clients/%d/conversation?done=reply-sent&sent=%d#m-%d", id, msgID, msgID))
	}
	status := statusFor(err)
	if !errors.Is(err, derrors.InvalidArgument) && !errors.Is(err, derrors.Conflict) {
		return err
	}
	v, verr := h.conversationView(c, id)
	if verr != nil {
		return verr
	}
	v.Draft, v.Key = body, key
	p := h.page(c, "Conversation", "cases")
	p.Error = "Not sent: " + err.Error()
	return show(c, status, views.ConversationPage(p, v))
}

// conversationView reads the thread and the client's engagement summary.
func (h *portalHandlers) conversationView(c *fiber.Ctx, id int64) (views.ConversationView, error) {
	ctx := c.UserContext()
	conv, err := h.ps.Read.Conversation(ctx, id)
	if err != nil {
		return views.ConversationView{}, err
	}
	v := views.ConversationView{C: conv, CanReply: can(c, auth.PermReply) && h.ps.Replies != nil, Key: newFormKey()}
	if h.svc.Analytics != nil {
		e, err := h.svc.Analytics.ClientEngagement(ctx, id)
		if err != nil {
			return v, err
		}
		v.Engagement = &e
	}
	return v, nil
}

// newFormKey is a fresh idempotency key for one reply form.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
