// Package statuses owns the firm's canonical case statuses and the raw CMS
// values (aliases) that mean them: the canonical_statuses and status_aliases
// tables. The normalizer matches raw values through the map Load returns;
// staff add an alias with one click when a raw value matched nothing.
package statuses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/store"
)

// ErrNotFound is returned for a status key that does not exist.
var ErrNotFound = fmt.Errorf("status %w", derrors.NotFound)

// Service reads and edits the status map.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns the status service.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

// Seed loads the default statuses (config/statuses.yaml, which
// sanitize.DefaultStatuses mirrors) into the database. It is idempotent:
// existing statuses and aliases are left exactly as they are, so a label or
// alias staff changed is never overwritten. It returns how many statuses and
// aliases it added.
func Seed(ctx context.Context, db *store.DB) (int, error) {
	return SeedList(ctx, db, sanitize.DefaultStatuses())
}

// SeedList is Seed with an explicit list (a firm's own statuses file).
func SeedList(ctx context.Context, db *store.DB, list []sanitize.Status) (int, error) {
	if _, err := sanitize.NewStatusMap(list); err != nil {
		return 0, fmt.Errorf("statuses: seed list: %w", err)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("statuses: seed: %w", err)
	}
	defer tx.Rollback(ctx)
	n := 0
	for i, st := range list {
		tag, err := tx.Exec(ctx, `INSERT INTO canonical_statuses (key, label, position) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING`, st.Key, st.Label, (i+1)*10)
		if err != nil {
			return 0, fmt.Errorf("statuses: seed %s: %w", st.Key, err)
		}
		n += int(tag.RowsAffected())
		for _, a := range st.Aliases {
			tag, err := tx.Exec(ctx, `INSERT INTO status_aliases (status_key, alias, alias_folded, created_by)
				VALUES ($1, $2, $3, 'seed') ON CONFLICT (alias_folded) DO NOTHING`, st.Key, a, Fold(a))
			if err != nil {
				return 0, fmt.Errorf("statuses: seed alias %q: %w", a, err)
			}
			n += int(tag.RowsAffected())
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("statuses: seed: %w", err)
	}
	return n, nil
}

// Load returns the active statuses in display order, each with its aliases,
// ready for sanitize.NewStatusMap.
func (s *Service) Load(ctx context.Context) ([]sanitize.Status, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT s.key, s.label, a.alias
		FROM canonical_statuses s LEFT JOIN status_aliases a ON a.status_key = s.key
		WHERE s.active ORDER BY s.position, s.key, a.id`)
	if err != nil {
		return nil, fmt.Errorf("statuses: load: %w: %w", derrors.Unavailable, err)
	}
	defer rows.Close()
	var out []sanitize.Status
	for rows.Next() {
		var key, label string
		var alias *string
		if err := rows.Scan(&key, &label, &alias); err != nil {
			return nil, fmt.Errorf("statuses: load: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Key != key {
			out = append(out, sanitize.Status{Key: key, Label: label})
		}
		if alias != nil {
			out[len(out)-1].Aliases = append(out[len(out)-1].Aliases, *alias)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statuses: load: %w: %w", derrors.Unavailable, err)
	}
	return out, nil
}

// Map loads the statuses and builds the matcher the normalizer uses.
func (s *Service) Map(ctx context.Context) (*sanitize.StatusMap, error) {
	list, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	m, err := sanitize.NewStatusMap(list)
	if err != nil {
		return nil, fmt.Errorf("statuses: stored map is inconsistent: %w", err)
	}
	return m, nil
}

// AddAlias makes the raw CMS value raw mean statusKey from now on, and
// records who did it in the audit log. Adding an alias that already means
// statusKey is a no-op; one that already means another status is a
// derrors.Conflict (remove it first). Events already processed keep their
// unknown_status finding until the case's next update.
func (s *Service) AddAlias(ctx context.Context, raw, statusKey, actor string) error {
	raw = strings.TrimSpace(raw)
	if Fold(raw) == "" {
		return derrors.Invalid("alias", "has no letters or digits", "use the status text exactly as the CMS sends it")
	}
	if actor == "" {
		return derrors.Invalid("actor", "is empty", "say who adds the alias")
	}
	m, err := s.Map(ctx)
	if err != nil {
		return err
	}
	if m.Label(statusKey) == "" {
		return fmt.Errorf("%w: %q (add the status before aliasing to it)", ErrNotFound, statusKey)
	}
	if have, ok := m.Match(raw); ok {
		if have == statusKey {
			return nil
		}
		return fmt.Errorf("%w: %q already means status %q", derrors.Conflict, raw, have)
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("statuses: add alias: %w: %w", derrors.Unavailable, err)
	}
	defer tx.Rollback(ctx)
	now := s.clock.Now()
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO status_aliases (status_key, alias, alias_folded, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (alias_folded) DO NOTHING RETURNING id`,
		statusKey, raw, Fold(raw), actor, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Someone added the same spelling a moment ago.
		return fmt.Errorf("%w: alias %q was just added by someone else; reload", derrors.Conflict, raw)
	}
	if err != nil {
		return fmt.Errorf("statuses: add alias: %w", err)
	}
	details, _ := json.Marshal(map[string]string{"alias": raw, "status_key": statusKey})
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
		VALUES ($1, 'status_alias.add', 'status_alias', $2, $3, $4)`, actor, strconv.FormatInt(id, 10), details, now); err != nil {
		return fmt.Errorf("statuses: audit alias: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("statuses: add alias: %w", err)
	}
	return nil
}

// Fold is the form status_aliases.alias_folded stores: lower case, letters
// and digits only. It is the same folding sanitize.StatusMap matches with, so
// the unique index refuses exactly the aliases the matcher could not tell
// apart.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
