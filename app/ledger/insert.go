package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// NewMessage is a message to add to the ledger. Its content is rendered and
// frozen by the creator; delivery never re-renders it.
type NewMessage struct {
	// IdempotencyKey is "<trigger>:<rule key>:<channel>:<recipient>", for
	// example "evt:123:settlement_sms:sms:+13125550134" or
	// "rem:45:sms:+13125550134". It is unique across the ledger.
	IdempotencyKey string
	// Kind is rule, reminder, staff_reply, test, confirmation, checkin or alert.
	Kind                                                                    string
	CaseID, ClientID, RuleID, DecisionID, InboundEventID, TemplateVersionID *int64
	// Channel is email or sms; Recipient is an email address or E.164 number.
	Channel   string
	Recipient string
	// Subject and BodyHTML are for email; an SMS body goes in BodyText.
	Subject, BodyText, BodyHTML string
	// Status is pending, scheduled, awaiting_approval, held or dead (dead
	// when the template failed to render at creation).
	Status            string
	DueAt             time.Time
	HoldReason        string
	DeadReason        string
	SuggestedFix      string
	ApprovalExpiresAt *time.Time
}

// Statuses a message may be created in.
var insertStatuses = []string{"pending", "scheduled", "awaiting_approval", "held", "dead"}

// Kinds a message may have.
var insertKinds = []string{"rule", "reminder", "staff_reply", "test", "confirmation", "checkin", "alert"}

// Insert adds m inside the caller's transaction. A duplicate idempotency key
// is not an error: it returns the existing row's id with created=false and
// leaves that row untouched.
func Insert(ctx context.Context, tx pgx.Tx, m NewMessage) (id int64, created bool, err error) {
	if err := m.validate(); err != nil {
		return 0, false, err
	}
	due := m.DueAt
	if due.IsZero() {
		return 0, false, derrors.Invalid("due_at", "is not set", "set DueAt to the creation time for an immediate send")
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO messages (idempotency_key, kind, case_id, client_id, rule_id, decision_id, inbound_event_id,
		                      template_version_id, channel, recipient, subject, body_text, body_html, status, due_at,
		                      hold_reason, dead_reason, suggested_fix, approval_expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING id`,
		m.IdempotencyKey, m.Kind, m.CaseID, m.ClientID, m.RuleID, m.DecisionID, m.InboundEventID,
		m.TemplateVersionID, m.Channel, m.Recipient, m.Subject, m.BodyText, m.BodyHTML, m.Status, due,
		m.HoldReason, m.DeadReason, m.SuggestedFix, m.ApprovalExpiresAt).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, fmt.Errorf("insert message %s: %w", m.IdempotencyKey, err)
	}
	err = tx.QueryRow(ctx, `SELECT id FROM messages WHERE idempotency_key = $1`, m.IdempotencyKey).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("find message %s: %w", m.IdempotencyKey, err)
	}
	return id, false, nil
}

func (m NewMessage) validate() error {
	var fs derrors.Fields
	if strings.TrimSpace(m.IdempotencyKey) == "" {
		fs = append(fs, &derrors.FieldError{Field: "idempotency_key", Problem: "is empty", Fix: "use <trigger>:<rule key>:<channel>:<recipient>"})
	}
	if !slices.Contains(insertKinds, m.Kind) {
		fs = append(fs, &derrors.FieldError{Field: "kind", Problem: fmt.Sprintf("%q is not a message kind", m.Kind), Fix: strings.Join(insertKinds, ", ")})
	}
	if m.Channel != "email" && m.Channel != "sms" {
		fs = append(fs, &derrors.FieldError{Field: "channel", Problem: fmt.Sprintf("%q is not a channel", m.Channel), Fix: "use email or sms"})
	}
	if strings.TrimSpace(m.Recipient) == "" {
		fs = append(fs, &derrors.FieldError{Field: "recipient", Problem: "is empty", Fix: "pass the email address or E.164 number"})
	}
	if !slices.Contains(insertStatuses, m.Status) {
		fs = append(fs, &derrors.FieldError{Field: "status", Problem: fmt.Sprintf("%q is not a status a message can be created in", m.Status), Fix: strings.Join(insertStatuses, ", ")})
	}
	if m.Status == "dead" && m.DeadReason == "" {
		fs = append(fs, &derrors.FieldError{Field: "dead_reason", Problem: "is empty for a dead message", Fix: "say why it cannot be sent"})
	}
	if m.Status == "awaiting_approval" && m.ApprovalExpiresAt == nil {
		fs = append(fs, &derrors.FieldError{Field: "approval_expires_at", Problem: "is not set for a message awaiting approval", Fix: "set when an unapproved message lapses"})
	}
	return fs.Err()
}
