package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// alertSettingKey is the settings row that serialises dead-letter alerts
// across processes and remembers when the last one went out.
const alertSettingKey = "delivery.last_alert"

// AlertBatch is the set of dead letters one alert reports.
type AlertBatch struct {
	Dead           int
	OutcomeUnknown int
	// ByCode counts messages per provider error code ("" when none).
	ByCode map[string]int
	// IDs are the messages in the batch, oldest first.
	IDs []int64
}

// Total is the number of messages in the batch.
func (b AlertBatch) Total() int { return b.Dead + b.OutcomeUnknown }

// SendAlert gathers every dead letter not yet alerted (dead messages, and
// outcome_unknown ones reconciliation handed to a human) and calls send with
// them, at most once per minGap across all processes: the settings row
// delivery.last_alert is locked for the duration. The batch is marked
// alerted only when send succeeds, so a failed alert is retried on the next
// call. It reports whether an alert went out.
func (s *Store) SendAlert(ctx context.Context, now time.Time, minGap time.Duration, send func(context.Context, AlertBatch) error) (bool, AlertBatch, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return false, AlertBatch{}, dbErr("alert", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, '{}') ON CONFLICT (key) DO NOTHING`, alertSettingKey); err != nil {
		return false, AlertBatch{}, dbErr("alert", err)
	}
	var raw []byte
	if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1 FOR UPDATE`, alertSettingKey).Scan(&raw); err != nil {
		return false, AlertBatch{}, dbErr("alert", err)
	}
	var last struct {
		At *time.Time `json:"at"`
	}
	_ = json.Unmarshal(raw, &last)
	if last.At != nil && now.Sub(*last.At) < minGap {
		return false, AlertBatch{}, nil
	}
	rows, err := tx.Query(ctx, `UPDATE messages SET alerted_at = $1
		WHERE status IN ('dead', 'outcome_unknown') AND alerted_at IS NULL AND resolved_at IS NULL
		  AND (status = 'dead' OR reconciled_at IS NOT NULL)
		RETURNING id, status, last_error_code`, now)
	if err != nil {
		return false, AlertBatch{}, dbErr("alert", err)
	}
	b := AlertBatch{ByCode: map[string]int{}}
	for rows.Next() {
		var id int64
		var status, code string
		if err := rows.Scan(&id, &status, &code); err != nil {
			rows.Close()
			return false, AlertBatch{}, dbErr("alert", err)
		}
		b.IDs = append(b.IDs, id)
		b.ByCode[code]++
		if status == StatusDead {
			b.Dead++
		} else {
			b.OutcomeUnknown++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, AlertBatch{}, dbErr("alert", err)
	}
	if b.Total() == 0 {
		return false, b, nil
	}
	if err := send(ctx, b); err != nil {
		return false, b, fmt.Errorf("send alert for %d dead letters: %w", b.Total(), err)
	}
	val, _ := json.Marshal(map[string]any{"at": now, "count": b.Total()})
	if _, err := tx.Exec(ctx, `UPDATE settings SET value = $2, updated_at = $3, updated_by = 'delivery' WHERE key = $1`,
		alertSettingKey, val, now); err != nil {
		return false, b, dbErr("alert", err)
	}
	if err := tx.Commit(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return false, b, dbErr("alert", err)
	}
	return true, b, nil
}
