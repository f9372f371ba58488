package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/derrors"
)

// rank orders statuses along the delivery path. Statuses waiting to be sent
// share rank 0; after a provider accepted a message it only moves forward.
var rank = map[string]int{
	StatusPending: 0, StatusScheduled: 0, StatusAwaitingApproval: 0, StatusHeld: 0, StatusFailedRetrying: 0,
	StatusSending: 1, StatusOutcomeUnknown: 2, StatusSent: 3, StatusDelivered: 4,
	StatusOpened: 5, StatusClicked: 6, StatusReplied: 7,
}

// Statuses lists every message status.
var Statuses = []string{StatusPending, StatusScheduled, StatusAwaitingApproval, StatusHeld, StatusSending,
	StatusSent, StatusDelivered, StatusOpened, StatusClicked, StatusReplied, StatusFailedRetrying,
	StatusOutcomeUnknown, StatusDead, StatusCancelled}

// Terminal reports whether status only leaves through a human retry.
func Terminal(status string) bool { return status == StatusDead || status == StatusCancelled }

// CanMove reports whether a provider event or reconciliation may move a
// message from one status to another. It is the rule behind Advance:
//   - dead and cancelled never move (only Retry, a human act, revives them);
//   - cancelled is reachable only before sending (pending, scheduled, held,
//     awaiting_approval);
//   - dead is reachable until the message was delivered (an undelivered
//     callback after "sent" kills it; nothing after "delivered" does);
//   - otherwise a status moves only to a higher rank: a late "sent" never
//     replaces "delivered", and "delivered" never replaces "opened".
func CanMove(from, to string) bool {
	if from == to || Terminal(from) {
		return false
	}
	switch to {
	case StatusCancelled:
		return rank[from] == 0 && from != StatusFailedRetrying
	case StatusDead:
		return rank[from] <= rank[StatusSent]
	}
	rf, okf := rank[from]
	rt, okt := rank[to]
	return okf && okt && rt > rf
}

// sourcesFor returns every status CanMove allows into to.
func sourcesFor(to string) []string {
	var out []string
	for _, s := range Statuses {
		if CanMove(s, to) {
			out = append(out, s)
		}
	}
	return out
}

// Advance moves message id to status to at time at when CanMove allows it, for
// provider events (delivered, opened, clicked, replied, dead on an
// asynchronous failure). It reports whether the row moved; a late or
// out-of-order event is not an error, it simply does not move the message.
// For dead, reason and fix become the dead-letter explanation.
func (s *Store) Advance(ctx context.Context, id int64, to string, at time.Time, reason, fix string) (bool, error) {
	if _, ok := rank[to]; !ok && to != StatusDead {
		return false, derrors.Invalid("status", fmt.Sprintf("%q cannot be reached by an event", to), "use sent, delivered, opened, clicked, replied or dead")
	}
	tag, err := s.db.Pool.Exec(ctx, `UPDATE messages SET status = $2, updated_at = $3,
		sent_at = CASE WHEN $2 IN ('sent', 'delivered', 'opened', 'clicked', 'replied') THEN COALESCE(sent_at, $3) ELSE sent_at END,
		delivered_at = CASE WHEN $2 IN ('delivered', 'opened', 'clicked', 'replied') THEN COALESCE(delivered_at, $3) ELSE delivered_at END,
		reconciled_at = CASE WHEN status = 'outcome_unknown' THEN $3 ELSE reconciled_at END,
		dead_reason = CASE WHEN $2 = 'dead' THEN $5 ELSE dead_reason END,
		suggested_fix = CASE WHEN $2 = 'dead' THEN $6 ELSE suggested_fix END,
		claimed_until = NULL
		WHERE id = $1 AND status = ANY($4)`, id, to, at, sourcesFor(to), reason, fix)
	if err != nil {
		return false, dbErr("advance message", err)
	}
	return tag.RowsAffected() == 1, nil
}

// AttachProviderID records the provider's id for a message that lacks one,
// for example from a Twilio status callback (which carries Herald's message
// id) after a send whose answer was lost. Reconciliation then looks the
// message up by that id. It reports whether the id was stored.
func (s *Store) AttachProviderID(ctx context.Context, id int64, provider, providerID string) (bool, error) {
	if providerID == "" {
		return false, derrors.Invalid("provider_message_id", "is empty", "pass the provider's message id")
	}
	tag, err := s.db.Pool.Exec(ctx, `UPDATE messages SET provider = $2, provider_message_id = $3
		WHERE id = $1 AND provider_message_id IS NULL`, id, provider, providerID)
	if err != nil {
		return false, dbErr("attach provider id", err)
	}
	return tag.RowsAffected() == 1, nil
}
