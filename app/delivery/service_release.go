package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// Release sends a message held for a pause after all, on a human's say-so:
// the ledger moves it to pending (audited) and delivery is woken. It refuses
// (derrors.Conflict, saying what to do instead) while the pause still
// stands, when the recipient has opted out, and for a message held for the
// SMS window, which goes by itself when the window opens (SendNow is the
// admin's way around it). Delivery re-checks everything when it sends.
func (s *Service) Release(ctx context.Context, id int64, actor ledger.Actor) (ledger.Message, error) {
	m, err := s.releasable(ctx, id)
	if err != nil {
		return ledger.Message{}, err
	}
	if strings.HasPrefix(m.HoldReason, ledger.HoldQuietHours) {
		return ledger.Message{}, fmt.Errorf("%w: message %d is held for the SMS window and goes by itself at %s; only an admin can send it sooner, with a reason",
			derrors.Conflict, id, m.DueAt.UTC().Format(time.RFC3339))
	}
	return s.wakeAfter(ctx)(s.d.Ledger.Release(ctx, id, actor))
}

// SendNow sends an SMS held for the SMS window now instead of when the
// window opens. The reason is required and audited (ledger.ReleaseWindow);
// the route lets only admins call it. Pause and opt-out still apply: it
// refuses while either stands.
func (s *Service) SendNow(ctx context.Context, id int64, actor ledger.Actor, reason string) (ledger.Message, error) {
	if strings.TrimSpace(reason) == "" {
		return ledger.Message{}, derrors.Invalid("reason", "is required", "say why this text cannot wait for the SMS window")
	}
	m, err := s.releasable(ctx, id)
	if err != nil {
		return ledger.Message{}, err
	}
	if !strings.HasPrefix(m.HoldReason, ledger.HoldQuietHours) {
		return ledger.Message{}, fmt.Errorf("%w: message %d is not held for the SMS window (%s); use Release", derrors.Conflict, id, m.HoldReason)
	}
	return s.wakeAfter(ctx)(s.d.Ledger.ReleaseWindow(ctx, id, actor, reason))
}

// Cancel stops a held (or awaiting-approval) message with a required note;
// it is audited.
func (s *Service) Cancel(ctx context.Context, id int64, actor ledger.Actor, note string) (ledger.Message, error) {
	return s.d.Ledger.Cancel(ctx, id, actor, note)
}

// releasable reads held message id and refuses it while a pause stands or
// its recipient is opted out.
func (s *Service) releasable(ctx context.Context, id int64) (ledger.Message, error) {
	m, err := s.d.Ledger.Get(ctx, id)
	if err != nil {
		return m, err
	}
	if m.Status != ledger.StatusHeld {
		return m, fmt.Errorf("%w: message %d is %s, not held", derrors.Conflict, id, m.Status)
	}
	st, out, err := s.pausedOrOptedOut(ctx, m)
	if err != nil {
		return m, err
	}
	if out {
		return m, fmt.Errorf("%w: the recipient opted out of %s since this message was held; Herald never sends to an opted-out address: cancel it",
			derrors.Conflict, m.Channel)
	}
	if st.Paused {
		return m, fmt.Errorf("%w: a %s pause by %s still stands (%s); lift it first, or cancel the message",
			derrors.Conflict, st.Scope, st.By, st.Reason)
	}
	return m, nil
}

// wakeAfter enqueues delivery for a message a human released.
func (s *Service) wakeAfter(ctx context.Context) func(ledger.Message, error) (ledger.Message, error) {
	return func(m ledger.Message, err error) (ledger.Message, error) {
		if err != nil {
			return ledger.Message{}, err
		}
		s.wake(ctx, m.ID, m.Attempts+1, time.Time{})
		return m, nil
	}
}
