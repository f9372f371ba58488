package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/store"
)

// PauseChecker answers whether automation is paused (pause.Service).
type PauseChecker interface {
	Check(ctx context.Context, caseID, clientID int64) (pause.State, error)
}

// OptOuts answers whether an address opted out of a channel (consent.Store).
type OptOuts interface {
	IsOptedOut(ctx context.Context, channel, address string) (bool, error)
}

// Templates finds the template to render (content.Store).
type Templates interface {
	Current(ctx context.Context, key, language, channel string) (content.Template, error)
	List(ctx context.Context) ([]content.Family, error)
}

// Enqueuer wakes delivery for a message (jobs.Client).
type Enqueuer interface {
	EnqueueMessage(ctx context.Context, messageID int64, attempt int, at time.Time) error
}

// Config is what planning needs from the firm's configuration.
type Config struct {
	SettleDelay    time.Duration
	FirmName       string
	FirmPhone      string
	PortalURL      string
	DefaultLang    string
	FirmLocation   *time.Location
	SensitiveWords []string
	// CheckinLink returns the signed satisfaction check-in link for a
	// client's case issued at now ({{ checkin_link }}); nil leaves the
	// variable empty, so a template using it is refused, not sent with a
	// blank link.
	CheckinLink func(caseID, clientID int64, now time.Time) string
}

// CaseReader reads a stored case (cases.Service).
type CaseReader interface {
	Get(ctx context.Context, caseID int64) (cases.Case, error)
}

// Deps are the planner's collaborators.
type Deps struct {
	DB        *store.DB
	Clock     clock.Clock
	Config    Config
	Pauses    PauseChecker
	OptOuts   OptOuts
	Templates Templates
	Engine    *render.Engine
	Cases     CaseReader
	// Enqueue may be nil: the delivery sweeper then finds new messages by
	// their due time.
	Enqueue Enqueuer
	// Settings, when set, overrides Config's firm name, phone and portal
	// link with the values saved in the portal (settings.Store).
	Settings FirmSettings
}

// Planner turns changes, due reminders and inactivity into decisions,
// messages, tasks and reminders.
type Planner struct {
	db        *store.DB
	clock     clock.Clock
	cfg       Config
	pauses    PauseChecker
	optOuts   OptOuts
	templates Templates
	engine    *render.Engine
	cases     CaseReader
	enqueue   Enqueuer
	settings  FirmSettings
	snap      *snapshotCache
}

// NewPlanner wires a planner.
func NewPlanner(d Deps) *Planner {
	if d.Config.FirmLocation == nil {
		d.Config.FirmLocation = time.UTC
	}
	return &Planner{db: d.DB, clock: d.Clock, cfg: d.Config, pauses: d.Pauses, optOuts: d.OptOuts,
		templates: d.Templates, engine: d.Engine, cases: d.Cases, enqueue: d.Enqueue, settings: d.Settings,
		snap: &snapshotCache{}}
}

// Plan decides what the change means for the client and records it in one
// transaction: rule decisions, rendered ledger messages, staff tasks and
// reminders; then it wakes delivery. The ingestion processor calls it after
// committing the case. Planning the same change again creates nothing new.
func (p *Planner) Plan(ctx context.Context, ch cases.Change) error {
	now := p.clock.Now()
	in, err := p.input(ctx, ch.CaseID, ch.ClientID, ch.New, now)
	if err != nil {
		return err
	}
	in.Created, in.Stale, in.Diff = ch.Created, ch.Stale, ch.Diff
	decisions := Evaluate(in)
	reminders := Reminders(in)

	prefix := fmt.Sprintf("evt:%d", ch.InboundEventID)
	if ch.InboundEventID == 0 {
		prefix = fmt.Sprintf("case:%d:v%d", ch.CaseID, ch.Version)
	}
	w := p.newWriter(ch.CaseID, ch.ClientID, ch.InboundEventID, now)
	err = p.inTx(ctx, ch.CaseID, func(tx pgx.Tx) error {
		if st := ch.Diff.Status; st != nil && !ch.Created && !ch.Stale {
			if err := w.cancelSettling(ctx, tx, prefix, deref(st.To, "no status")); err != nil {
				return err
			}
		}
		vars, err := p.vars(ctx, tx, ch.New, in.Location, ch.Diff, eventType(ch))
		if err != nil {
			return err
		}
		if err := w.record(ctx, tx, p, keys{prefix: prefix, perRule: true}, "rule", decisions, vars, ch.New); err != nil {
			return err
		}
		return w.reminders(ctx, tx, reminders)
	})
	if err != nil {
		return fmt.Errorf("plan case %d event %d: %w", ch.CaseID, ch.InboundEventID, err)
	}
	return p.wake(ctx, w.created)
}

// inTx runs fn in a transaction holding the case's planning lock, so two
// plans (an event and a sweep) for one case never interleave.
func (p *Planner) inTx(ctx context.Context, caseID int64, fn func(tx pgx.Tx) error) error {
	tx, err := p.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(727301, $1::int)`, int32(caseID)); err != nil {
		return fmt.Errorf("lock case %d: %w", caseID, err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// wake enqueues delivery for new messages that can go out by themselves.
// A failure is not fatal: the delivery sweeper finds due messages.
func (p *Planner) wake(ctx context.Context, msgs []createdMessage) error {
	if p.enqueue == nil {
		return nil
	}
	var errs []error
	for _, m := range msgs {
		if m.status != StatusPending && m.status != StatusScheduled {
			continue
		}
		if err := p.enqueue.EnqueueMessage(ctx, m.id, 1, m.due); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w (messages are committed; the delivery sweeper will pick them up)", errors.Join(errs...))
	}
	return nil
}

// templateChannels lists, per template key, the channels it exists on.
func (p *Planner) templateChannels(ctx context.Context) (map[string][]string, error) {
	fams, err := p.templates.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, f := range fams {
		if !slices.Contains(out[f.Key], f.Channel) {
			out[f.Key] = append(out[f.Key], f.Channel)
		}
	}
	return out, nil
}

// eventType names the change for templates ({{ event_type }}).
func eventType(ch cases.Change) string {
	switch {
	case ch.Created:
		return "case_created"
	case ch.Diff.Status != nil:
		return "status_changed"
	case len(ch.Diff.Dates) > 0:
		return "date_changed"
	case len(ch.Diff.Contact) > 0:
		return "contact_changed"
	}
	return "case_updated"
}
