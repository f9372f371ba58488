package rules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/store"
)

// PauseChecker answers whether automation is paused (pause.Service). The
// planner queues the check with its other reads and sends them through its
// own transaction in one round trip.
type PauseChecker interface {
	QueueCheck(b *pgx.Batch, caseID, clientID int64, st *pause.State)
}

// OptOuts answers whether an address opted out of a channel (consent.Store),
// queued like PauseChecker.
type OptOuts interface {
	QueueOptedOut(b *pgx.Batch, channel, address string, out *bool)
}

// Templates lists the templates to render (content.Store). The planner
// keeps them in its snapshot and picks a language variant itself.
type Templates interface {
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

// Prepared is what every plan reads and staff rarely change: the rules and
// templates snapshot and the firm's configuration with its saved settings.
type Prepared struct {
	snap *snapshot
	cfg  Config
}

// Planned is what a plan created, to wake delivery for once its transaction
// has committed.
type Planned struct {
	created []createdMessage
}

// Prepare reads what every plan needs and staff rarely change, through the
// pool and before the caller opens its transaction: the rules and templates
// (cached; one fingerprint query) and the firm settings (cached with a TTL).
// A plan inside a transaction then needs no second connection.
func (p *Planner) Prepare(ctx context.Context) (Prepared, error) {
	snap, err := p.current(ctx)
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{snap: snap, cfg: p.config(ctx)}, nil
}

// Plan decides what the change means for the client and records it in one
// transaction: rule decisions, rendered ledger messages, staff tasks and
// reminders; then it wakes delivery. Planning the same change again creates
// nothing new.
func (p *Planner) Plan(ctx context.Context, ch cases.Change) error {
	prep, err := p.Prepare(ctx)
	if err != nil {
		return err
	}
	tx, err := p.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	planned, err := p.PlanIn(ctx, tx, prep, ch)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("plan case %d event %d: %w", ch.CaseID, ch.InboundEventID, err)
	}
	return p.Wake(ctx, planned)
}

// PlanIn is Plan inside the caller's transaction, the one that applied the
// change, so the event's case version and its messages commit together. It
// takes the case's planning lock in tx. The caller commits, then calls Wake
// with the result.
func (p *Planner) PlanIn(ctx context.Context, tx pgx.Tx, prep Prepared, ch cases.Change) (Planned, error) {
	planned, err := p.plan(ctx, tx, prep, ch)
	if err != nil {
		return Planned{}, fmt.Errorf("plan case %d event %d: %w", ch.CaseID, ch.InboundEventID, err)
	}
	return planned, nil
}

// plan takes the case's planning lock, evaluates the rules for ch and
// writes what they decide in tx. The lock rides in the first round trip,
// with input's reads.
func (p *Planner) plan(ctx context.Context, tx pgx.Tx, prep Prepared, ch cases.Change) (Planned, error) {
	now := p.clock.Now()
	b := &pgx.Batch{}
	b.Queue(lockSQL, int32(ch.CaseID))
	in, staff, err := p.input(ctx, tx, b, prep.snap, ch.CaseID, ch.ClientID, ch.New, now)
	if err != nil {
		return Planned{}, err
	}
	in.Created, in.Stale, in.Diff = ch.Created, ch.Stale, ch.Diff
	decisions := Evaluate(in)
	reminders := Reminders(in)

	prefix := fmt.Sprintf("evt:%d", ch.InboundEventID)
	if ch.InboundEventID == 0 {
		prefix = fmt.Sprintf("case:%d:v%d", ch.CaseID, ch.Version)
	}
	w := p.newWriter(prep, ch.CaseID, ch.ClientID, ch.InboundEventID, now)
	if st := ch.Diff.Status; st != nil && !ch.Created && !ch.Stale {
		if err := w.cancelSettling(ctx, tx, prefix, deref(st.To, "no status")); err != nil {
			return Planned{}, err
		}
	}
	vars := templateVars(prep.cfg, prep.snap.labels, staff, ch.New, in.Location, ch.Diff, eventType(ch))
	if err := w.record(ctx, tx, p, keys{prefix: prefix, perRule: true}, "rule", decisions, vars, ch.New); err != nil {
		return Planned{}, err
	}
	if err := w.reminders(ctx, tx, reminders); err != nil {
		return Planned{}, err
	}
	return Planned{created: w.created}, nil
}

// inTx runs fn in a transaction holding the case's planning lock, so two
// plans (an event and a sweep) for one case never interleave.
func (p *Planner) inTx(ctx context.Context, caseID int64, fn func(tx pgx.Tx) error) error {
	tx, err := p.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	if err := p.lockCase(ctx, tx, caseID); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// lockSQL takes the case's planning lock ($1, the case id) until the
// transaction ends.
const lockSQL = `SELECT pg_advisory_xact_lock(727301, $1::int)`

// lockCase takes the case's planning lock until tx ends.
func (p *Planner) lockCase(ctx context.Context, tx pgx.Tx, caseID int64) error {
	if _, err := tx.Exec(ctx, lockSQL, int32(caseID)); err != nil {
		return fmt.Errorf("lock case %d: %w", caseID, err)
	}
	return nil
}

// Wake enqueues delivery for the messages a committed plan created that
// can go out by themselves. A failure is not fatal: the delivery sweeper
// finds due messages.
func (p *Planner) Wake(ctx context.Context, planned Planned) error {
	return p.wake(ctx, planned.created)
}

// wake enqueues delivery for new messages that can go out by themselves.
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
