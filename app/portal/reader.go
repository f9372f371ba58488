// Package portal is the read model of the staff portal: one query function per
// screen, each returning a struct shaped like that screen. It is the only
// package allowed to read across other packages' tables, and it only reads:
// every change a screen makes goes through the owning domain package (pause,
// content, ledger, statuses, tasks, rules, auth).
package portal

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/store"
)

// Reader runs the portal's read queries.
type Reader struct {
	db     *store.DB
	clock  clock.Clock
	loc    *time.Location
	ledger *ledger.Store
}

// New returns the read model; loc is the firm's time zone ("today" on the
// dashboard is the firm's day).
func New(db *store.DB, clk clock.Clock, loc *time.Location) *Reader {
	if loc == nil {
		loc = time.UTC
	}
	return &Reader{db: db, clock: clk, loc: loc, ledger: ledger.New(db, clk)}
}

// Location is the firm's time zone, in which the screens show times.
func (r *Reader) Location() *time.Location { return r.loc }

func (r *Reader) q(ctx context.Context) *gorm.DB { return r.db.Gorm.WithContext(ctx) }

// scan runs a read query into dest and maps a database failure to
// derrors.Unavailable.
func (r *Reader) scan(ctx context.Context, what string, dest any, sql string, args ...any) error {
	if err := r.q(ctx).Raw(sql, args...).Scan(dest).Error; err != nil {
		return fmt.Errorf("%w: read %s: %w", derrors.Unavailable, what, err)
	}
	return nil
}

// dayBounds returns the start and end of the firm's current day.
func (r *Reader) dayBounds() (time.Time, time.Time) {
	now := r.clock.Now().In(r.loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, r.loc)
	return start, start.AddDate(0, 0, 1)
}

// activePause is the SQL condition "pause row p is in force at $now"; use it
// with the clock's time as a named argument @now.
const activePause = `p.lifted_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > @now)`

func invalid(field, problem, fix string) error { return derrors.Invalid(field, problem, fix) }

func notFound(what string) error { return fmt.Errorf("%s %w", what, derrors.NotFound) }

// FirmPaused reports whether a firm-wide pause is in force, for the banner
// every page shows.
func (r *Reader) FirmPaused(ctx context.Context) (bool, error) {
	var n int64
	err := r.scan(ctx, "firm pause", &n, `SELECT count(*) FROM pauses p WHERE p.scope = 'firm' AND `+activePause,
		map[string]any{"now": r.clock.Now()})
	return n > 0, err
}
