package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/normalize"
)

// This file holds the writes engagement makes on clients and cases when a
// client or a provider answers: a confirmed hearing, a bounced email address,
// a number that turned out to be a landline. They take the caller's
// transaction so they commit with the inbound message or provider event that
// caused them.

// DBTX is a pgx transaction or pool.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Finding codes opened by delivery feedback rather than by CMS data.
const (
	CodeEmailBounced = "email_bounced"
	CodeLandline     = "landline"
)

// ConfirmHearing marks the case's next court date confirmed at at, when the
// case has a court date still ahead and not yet confirmed. It reports
// whether it confirmed; a second "C" for the same hearing is a no-op. The
// confirmation is cleared by Apply when the CMS moves the court date.
func ConfirmHearing(ctx context.Context, q DBTX, caseID int64, at time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE cases SET hearing_confirmed_at = $2
		WHERE id = $1 AND next_court_at > $2 AND hearing_confirmed_at IS NULL`, caseID, at)
	if err != nil {
		return false, dbErr("confirm hearing", err)
	}
	return tag.RowsAffected() == 1, nil
}

// FlagEmailBounced records that email hard-bounced for client clientID: the
// client's email is flagged invalid (so rules treat email as impossible and
// fall back to SMS or a staff task) when it is still the address on file, and
// every case of the client gets an open email_bounced finding on
// client_email. It reports whether the client's current address was
// flagged. A new address from the CMS clears the flag (see Apply).
func FlagEmailBounced(ctx context.Context, q DBTX, clientID int64, email, detail string, at time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE clients SET email_invalid = true, updated_at = $3
		WHERE id = $1 AND lower(email) = lower($2)`, clientID, email, at)
	if err != nil {
		return false, dbErr("flag email invalid", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	return true, openFinding(ctx, q, clientID, normalize.FieldClientEmail, CodeEmailBounced, email, detail, at)
}

// FlagLandline records that the client's mobile number cannot receive SMS
// (Twilio 30006 or 21614): every case of the client gets an open landline
// finding on client_mobile_phone when number is still the number on file.
// It reports whether the finding was recorded.
func FlagLandline(ctx context.Context, q DBTX, clientID int64, number, detail string, at time.Time) (bool, error) {
	var current bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1 AND mobile_phone = $2)`, clientID, number).Scan(&current)
	if err != nil {
		return false, dbErr("flag landline", err)
	}
	if !current {
		return false, nil
	}
	return true, openFinding(ctx, q, clientID, normalize.FieldClientMobilePhone, CodeLandline, number, detail, at)
}

func openFinding(ctx context.Context, q DBTX, clientID int64, field, code, raw, suggestion string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO data_findings (case_id, field, code, raw, suggestion, first_seen_at, last_seen_at)
		SELECT id, $2, $3, $4, $5, $6, $6 FROM cases WHERE client_id = $1
		ON CONFLICT (case_id, field, code) WHERE resolved_at IS NULL
		DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, raw = EXCLUDED.raw, suggestion = EXCLUDED.suggestion`,
		clientID, field, code, raw, suggestion, at)
	if err != nil {
		return dbErr(fmt.Sprintf("open %s finding", code), err)
	}
	return nil
}
