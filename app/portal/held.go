package portal

import (
	"context"
	"slices"
	"time"
)

// Why a message is held, as the held-messages screen groups them.
const (
	HoldSMSWindow = "sms_window" // outside the SMS window; goes by itself when it opens
	HoldPause     = "paused"     // a case, client or firm pause; waits for a human
	HoldPrivilege = "privilege"  // the privilege guard found sensitive words; an attorney decides
	HoldApproval  = "approval"   // the rule asks for an attorney's approval
	HoldOther     = "other"
)

// HoldKinds lists the kinds in the order the screen shows its filter.
var HoldKinds = []string{HoldSMSWindow, HoldPause, HoldPrivilege, HoldApproval, HoldOther}

// heldLimit bounds the screen; more held messages than this means something
// larger is wrong (a firm pause), and the counts still say how many.
const heldLimit = 500

// HeldMessage is a message that is not going out until something changes.
type HeldMessage struct {
	ID         int64
	Status     string // held or awaiting_approval
	Kind       string // HoldSMSWindow, ...
	Reason     string
	Channel    string
	Recipient  string
	Subject    string
	BodyText   string
	CaseID     *int64
	CaseNumber string
	ClientID   *int64
	ClientName string
	// DueAt is when an SMS-window hold goes by itself.
	DueAt time.Time
	// ExpiresAt is when an approval lapses.
	ExpiresAt *time.Time
	CreatedAt time.Time
	// PauseInForce: a case, client, firm or CMS pause still covers the
	// message, so releasing it would only hold it again.
	PauseInForce bool
	// OptedOut: the recipient opted out of the channel since; the message
	// can only be cancelled.
	OptedOut bool
}

// HeldFilter narrows the list to one kind ("" for all).
type HeldFilter struct {
	Kind string
}

// Held is the held-messages screen.
type Held struct {
	Filter HeldFilter
	Rows   []HeldMessage
	// Counts is how many are held per kind, whatever the filter; Total
	// sums them.
	Counts map[string]int
	Total  int
}

// Held lists held and awaiting-approval messages, oldest first, with why,
// when they would go, and whether a pause or an opt-out still stands.
func (r *Reader) Held(ctx context.Context, f HeldFilter) (Held, error) {
	if f.Kind != "" && !slices.Contains(HoldKinds, f.Kind) {
		return Held{}, invalid("kind", "is not a hold kind", "use sms_window, paused, privilege, approval or other")
	}
	h := Held{Filter: f, Counts: map[string]int{}}
	var counts []struct {
		Kind string
		N    int
	}
	args := map[string]any{"now": r.clock.Now(), "kind": f.Kind, "limit": heldLimit}
	if err := r.scan(ctx, "held counts", &counts, `SELECT `+holdKindSQL+` AS kind, count(*) AS n FROM messages m
		WHERE m.status IN ('held', 'awaiting_approval') GROUP BY 1`); err != nil {
		return h, err
	}
	for _, c := range counts {
		h.Counts[c.Kind] = c.N
		h.Total += c.N
	}
	err := r.scan(ctx, "held messages", &h.Rows, `SELECT * FROM (SELECT m.id, m.status, `+holdKindSQL+` AS kind,
			m.hold_reason AS reason, m.channel, m.recipient, m.subject, m.body_text, m.case_id,
			coalesce(c.case_number, c.external_id, '') AS case_number, m.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
			m.due_at, m.approval_expires_at AS expires_at, m.created_at,
			(coalesce(c.cms_paused, false) OR EXISTS (SELECT 1 FROM pauses p WHERE
				((p.scope = 'case' AND p.case_id = m.case_id) OR (p.scope = 'client' AND p.client_id = m.client_id) OR p.scope = 'firm')
				AND `+activePause+`)) AS pause_in_force,
			coalesce((SELECT o.opted_out FROM opt_outs o WHERE o.channel = m.channel AND o.address =
				CASE WHEN m.channel = 'email' THEN lower(btrim(m.recipient)) ELSE btrim(m.recipient) END), false) AS opted_out
		FROM messages m LEFT JOIN cases c ON c.id = m.case_id LEFT JOIN clients cl ON cl.id = m.client_id
		WHERE m.status IN ('held', 'awaiting_approval')) h
		WHERE @kind = '' OR h.kind = @kind ORDER BY h.created_at, h.id LIMIT @limit`, args)
	return h, err
}

// holdKindSQL classifies messages row m into a hold kind. The prefixes are
// the ledger's hold reasons (ledger.HoldQuietHours, ledger.HoldPaused) and
// the rules' privilege guard.
const holdKindSQL = `CASE
	WHEN m.status = 'awaiting_approval' AND m.hold_reason LIKE 'privileged%' THEN 'privilege'
	WHEN m.status = 'awaiting_approval' THEN 'approval'
	WHEN m.hold_reason LIKE 'quiet_hours%' THEN 'sms_window'
	WHEN m.hold_reason LIKE 'paused%' THEN 'paused'
	ELSE 'other' END`
