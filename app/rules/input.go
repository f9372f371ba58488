package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
)

// batchSender sends queued reads in one round trip: the planning
// transaction, or the pool for the sweeps.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// input gathers the state Evaluate needs about a case at now: pause,
// reachable channels, opt-outs, time zone, language, and from snap the
// enabled rules and the template channels; and the names of the case's
// assigned staff, for templateVars. Its reads are queued on b after
// whatever the caller queued there, and sent through q in one round trip.
func (p *Planner) input(ctx context.Context, q batchSender, b *pgx.Batch, snap *snapshot, caseID, clientID int64, c normalize.Case, now time.Time) (Input, map[string]string, error) {
	var st pause.State
	p.pauses.QueueCheck(b, caseID, clientID, &st)
	contact := Contact{Email: deref(c.Client.Email, ""), Mobile: deref(c.Client.MobilePhone, "")}
	var invalid bool
	if contact.Email != "" && clientID != 0 {
		// clients.email_invalid is set by bounce handling (package cases owns
		// the table; this is a read of one flag it keeps).
		b.Queue(`SELECT email_invalid FROM clients WHERE id = $1`, clientID).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&invalid); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w: read client: %w", derrors.Unavailable, err)
			}
			return nil
		})
	}
	addrs := map[string]string{ChannelEmail: contact.Email, ChannelSMS: contact.Mobile}
	outs := map[string]*bool{}
	for ch, addr := range addrs {
		if addr != "" {
			outs[ch] = new(bool)
			p.optOuts.QueueOptedOut(b, ch, addr, outs[ch])
		}
	}
	staff := map[string]string{}
	if ids := staffIDs(c); len(ids) > 0 {
		b.Queue(staffSQL, ids).Query(func(rows pgx.Rows) error { return scanStaff(rows, staff) })
	}
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return Input{}, nil, fmt.Errorf("read pause, client, opt-outs and staff: %w", err)
	}
	if !st.Paused && c.IsAutomationPaused != nil && *c.IsAutomationPaused {
		st = pause.State{Paused: true, Scope: pause.ScopeCMS, By: "cms", Reason: "automation is paused in the CMS (is_automation_paused)"}
	}
	contact.EmailInvalid = invalid || c.HasFinding(normalize.FieldClientEmail, "email_bounced")
	opted := map[string]bool{}
	for ch, out := range outs {
		opted[ch] = *out
	}
	return Input{
		Now:         now,
		Case:        c,
		Pause:       st,
		OptedOut:    opted,
		Contact:     contact,
		Location:    Location(deref(c.Client.Timezone, ""), p.cfg.FirmLocation),
		Language:    deref(c.Client.PreferredLanguage, ""),
		SettleDelay: p.cfg.SettleDelay,
		Templates:   snap.channels,
		Rules:       snap.rules,
	}, staff, nil
}

// Querier runs the reads Vars makes: the planner's transaction, or the pool
// for the portal's template preview.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Vars builds the template variables for case c as planning passes them to
// the renderer: canonical fields, status labels (old from diff), assigned
// staff names, firm values from cfg, and times in loc (the client's zone).
// The portal's preview calls it too, so a preview shows what a send would.
func Vars(ctx context.Context, q Querier, cfg Config, c normalize.Case, loc *time.Location, diff normalize.Changes, eventType string) (render.Vars, error) {
	labels, err := statusLabels(ctx, q)
	if err != nil {
		return render.Vars{}, err
	}
	staff := map[string]string{}
	if ids := staffIDs(c); len(ids) > 0 {
		rows, err := q.Query(ctx, staffSQL, ids)
		if err != nil {
			return render.Vars{}, fmt.Errorf("%w: read staff names: %w", derrors.Unavailable, err)
		}
		if err := scanStaff(rows, staff); err != nil {
			return render.Vars{}, err
		}
	}
	return templateVars(cfg, labels, staff, c, loc, diff, eventType), nil
}

// staffSQL reads the names of active staff by CMS id ($1, an array).
const staffSQL = `SELECT cms_id, name FROM staff_users WHERE cms_id = ANY($1) AND active`

// staffIDs lists the CMS ids of the case's assigned attorney and paralegal.
func staffIDs(c normalize.Case) []string {
	var ids []string
	for _, id := range []*string{c.AttorneyID, c.ParalegalID} {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	return ids
}

// scanStaff reads staffSQL's rows into names (CMS id → name) and closes them.
func scanStaff(rows pgx.Rows, names map[string]string) error {
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("read staff names: %w", err)
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: read staff names: %w", derrors.Unavailable, err)
	}
	return nil
}

// statusLabels reads each canonical status's label by key.
func statusLabels(ctx context.Context, q Querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT key, label FROM canonical_statuses`)
	if err != nil {
		return nil, fmt.Errorf("%w: read status labels: %w", derrors.Unavailable, err)
	}
	labels := map[string]string{}
	for rows.Next() {
		var k, l string
		if err := rows.Scan(&k, &l); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read status labels: %w", err)
		}
		labels[k] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%w: read status labels: %w", derrors.Unavailable, err)
	}
	return labels, nil
}

// templateVars is Vars with the status labels and staff names (CMS id →
// name) already read: the planner keeps the labels in its snapshot and
// reads the names with input's other reads.
func templateVars(cfg Config, labels, staff map[string]string, c normalize.Case, loc *time.Location, diff normalize.Changes, eventType string) render.Vars {
	v := render.Vars{
		CaseID:             c.CaseID,
		CaseNumber:         deref(c.CaseNumber, ""),
		ClientID:           deref(c.ClientID, ""),
		ClientFirstName:    deref(c.Client.FirstName, ""),
		ClientLastName:     deref(c.Client.LastName, ""),
		ClientEmail:        deref(c.Client.Email, ""),
		ClientMobilePhone:  deref(c.Client.MobilePhone, ""),
		PreferredLanguage:  deref(c.Client.PreferredLanguage, ""),
		Timezone:           loc.String(),
		NextCourtEventType: deref(c.NextCourtEventType, ""),
		AttorneyID:         deref(c.AttorneyID, ""),
		ParalegalID:        deref(c.ParalegalID, ""),
		EventType:          eventType,
		FirmName:           cfg.FirmName,
		FirmPhone:          cfg.FirmPhone,
		PortalLink:         cfg.PortalURL,
	}
	if v.Timezone == "UTC" && deref(c.Client.Timezone, "") == "" {
		v.Timezone = ""
	}
	for _, d := range []struct {
		dst   *render.Date
		field string
	}{{&v.NextCourtDate, normalize.FieldNextCourtDate}, {&v.FilingDeadline, normalize.FieldFilingDeadline}, {&v.StatuteOfLimitations, normalize.FieldStatuteOfLimitations}} {
		if sd := CaseDate(c, d.field); sd != nil {
			*d.dst = render.Date{T: sd.Time, DateOnly: sd.DateOnly}
		}
	}
	label := func(s *string) string {
		if s == nil {
			return ""
		}
		if l, ok := labels[*s]; ok {
			return l
		}
		return strings.ReplaceAll(*s, "_", " ")
	}
	v.Status = label(c.Status)
	v.NewCaseStatus = v.Status
	if diff.Status != nil {
		v.OldCaseStatus = label(diff.Status.From)
	}
	if c.AttorneyID != nil {
		v.AssignedAttorneyName = staff[*c.AttorneyID]
	}
	if c.ParalegalID != nil {
		v.AssignedParalegalName = staff[*c.ParalegalID]
	}
	return v
}
