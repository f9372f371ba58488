package portal

import (
	"context"
	"time"
)

// ActivePause is a pause in force: firm-wide, for one client or one case.
type ActivePause struct {
	ID         int64
	Scope      string // firm, client or case
	CaseID     *int64
	CaseNumber string
	ClientID   *int64
	ClientName string
	Reason     string
	PausedBy   string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
}

const selectPauses = `SELECT p.id, p.scope, p.case_id, coalesce(c.case_number, c.external_id, '') AS case_number,
		coalesce(p.client_id, c.client_id) AS client_id,
		trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
		p.reason, p.paused_by, p.created_at, p.expires_at
	FROM pauses p LEFT JOIN cases c ON c.id = p.case_id
	LEFT JOIN clients cl ON cl.id = coalesce(p.client_id, c.client_id)
	WHERE ` + activePause

// Pauses lists every pause in force: the firm-wide one first, then
// clients, then cases, newest first (at most 500).
func (r *Reader) Pauses(ctx context.Context) ([]ActivePause, error) {
	var out []ActivePause
	err := r.scan(ctx, "pauses", &out, selectPauses+`
		ORDER BY CASE p.scope WHEN 'firm' THEN 0 WHEN 'client' THEN 1 ELSE 2 END, p.created_at DESC, p.id DESC LIMIT 500`,
		map[string]any{"now": r.clock.Now()})
	return out, err
}

// FirmPause returns the firm-wide pause in force, or nil: the red banner
// every page shows.
func (r *Reader) FirmPause(ctx context.Context) (*ActivePause, error) {
	var out []ActivePause
	if err := r.scan(ctx, "firm pause", &out, selectPauses+` AND p.scope = 'firm' ORDER BY p.created_at LIMIT 1`,
		map[string]any{"now": r.clock.Now()}); err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// ClientPause is a client's pause state: its own pause and the firm's.
type ClientPause struct {
	ClientID   int64
	ClientName string
	Own        *ActivePause
	Firm       *ActivePause
}

// ClientPause reads client id's own pause and the firm-wide one; an
// unknown client is derrors.NotFound.
func (r *Reader) ClientPause(ctx context.Context, id int64) (ClientPause, error) {
	var names []string
	if err := r.scan(ctx, "client", &names, `SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))
		FROM clients WHERE id = ?`, id); err != nil {
		return ClientPause{}, err
	}
	if len(names) == 0 {
		return ClientPause{}, notFound("client")
	}
	cp := ClientPause{ClientID: id, ClientName: names[0]}
	var own []ActivePause
	if err := r.scan(ctx, "client pause", &own, selectPauses+` AND p.scope = 'client' AND p.client_id = @client LIMIT 1`,
		map[string]any{"now": r.clock.Now(), "client": id}); err != nil {
		return cp, err
	}
	if len(own) > 0 {
		cp.Own = &own[0]
	}
	firm, err := r.FirmPause(ctx)
	cp.Firm = firm
	return cp, err
}
