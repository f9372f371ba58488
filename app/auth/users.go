package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// ErrNotAllowed is returned when an address is outside the staff allowlist;
// it wraps derrors.Forbidden.
var ErrNotAllowed = fmt.Errorf("%w: this address is not on the firm's staff allowlist", derrors.Forbidden)

// ErrDisabled is returned when a deactivated staff member signs in.
var ErrDisabled = fmt.Errorf("%w: this staff account is disabled; ask an admin", derrors.Forbidden)

// Identity is who a sign-in provider (or the dev form) says the person is.
type Identity struct {
	Provider string
	Email    string
	Name     string
	// Role is only honoured by the dev sign-in; providers never set it.
	Role string
}

// User is a staff member. Role is empty while the user waits for an admin.
type User struct {
	ID          int64
	Email       string
	Name        string
	Role        string
	Provider    string
	Active      bool
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

// Users stores staff_users and the audit rows of changes to them.
type Users struct {
	db    *store.DB
	clock clock.Clock
}

// NewUsers returns the staff user store.
func NewUsers(db *store.DB, clk clock.Clock) *Users { return &Users{db: db, clock: clk} }

const userCols = `id, email, name, coalesce(role, ''), provider, active, created_at, last_login_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Provider, &u.Active, &u.CreatedAt, &u.LastLoginAt)
	return u, err
}

// SignIn records a successful sign-in: it applies the allowlist, creates the
// user on first sign-in (with p.DefaultRole, or id.Role for the dev form) and
// stamps last_login_at. A disabled user is refused.
func (u *Users) SignIn(ctx context.Context, id Identity, p Policy) (User, error) {
	email := strings.ToLower(strings.TrimSpace(id.Email))
	if email == "" {
		return User{}, fmt.Errorf("%w: the sign-in provider returned no e-mail address", derrors.Forbidden)
	}
	if !p.Allows(email) {
		return User{}, ErrNotAllowed
	}
	role := p.DefaultRole
	if id.Role != "" {
		if !ValidRole(id.Role) {
			return User{}, derrors.Invalid("role", fmt.Sprintf("%q is not a role", id.Role), "pick admin, attorney, paralegal or ops")
		}
		role = id.Role
	}
	name := strings.TrimSpace(id.Name)
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	now := u.clock.Now()
	// A dev sign-in that names a role sets it; provider sign-ins never change
	// an existing role.
	user, err := scanUser(u.db.Pool.QueryRow(ctx, `
		INSERT INTO staff_users (email, name, role, provider, last_login_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5)
		ON CONFLICT (email) DO UPDATE SET
			last_login_at = EXCLUDED.last_login_at,
			provider = EXCLUDED.provider,
			role = CASE WHEN $6 THEN EXCLUDED.role ELSE staff_users.role END
		RETURNING `+userCols, email, name, role, id.Provider, now, id.Role != ""))
	if err != nil {
		return User{}, fmt.Errorf("%w: record sign-in: %w", derrors.Unavailable, err)
	}
	if !user.Active {
		return User{}, ErrDisabled
	}
	return user, nil
}

// ByID returns an active or inactive user by id.
func (u *Users) ByID(ctx context.Context, id int64) (User, error) {
	user, err := scanUser(u.db.Pool.QueryRow(ctx, `SELECT `+userCols+` FROM staff_users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("staff user %d: %w", id, derrors.NotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("%w: load staff user: %w", derrors.Unavailable, err)
	}
	return user, nil
}

// List returns every staff user: those waiting for a role first, then by name.
func (u *Users) List(ctx context.Context) ([]User, error) {
	rows, err := u.db.Pool.Query(ctx, `SELECT `+userCols+` FROM staff_users ORDER BY role IS NOT NULL, lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("%w: list staff: %w", derrors.Unavailable, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		user, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, user)
	}
	return out, rows.Err()
}

// Actor is the staff member making a change, for the audit log.
type Actor struct {
	Name string
	Role string
}

// Update sets a user's role and whether the account is active, and audits
// the change. An admin cannot remove their own admin role or disable
// themselves, so a firm is never left without an admin by accident.
func (u *Users) Update(ctx context.Context, actor Actor, actorID, id int64, role string, active bool) (User, error) {
	if !ValidRole(role) {
		return User{}, derrors.Invalid("role", fmt.Sprintf("%q is not a role", role), "pick admin, attorney, paralegal or ops")
	}
	if actorID == id && (role != RoleAdmin || !active) {
		return User{}, fmt.Errorf("%w: you cannot remove your own admin role or disable yourself; ask another admin", derrors.Conflict)
	}
	tx, err := u.db.Pool.Begin(ctx)
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", derrors.Unavailable, err)
	}
	defer tx.Rollback(ctx)
	before, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM staff_users WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("staff user %d: %w", id, derrors.NotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("%w: load staff user: %w", derrors.Unavailable, err)
	}
	after, err := scanUser(tx.QueryRow(ctx,
		`UPDATE staff_users SET role = $2, active = $3 WHERE id = $1 RETURNING `+userCols, id, role, active))
	if err != nil {
		return User{}, fmt.Errorf("update staff user: %w", err)
	}
	details, _ := json.Marshal(map[string]any{
		"email": after.Email, "role_before": before.Role, "role_after": after.Role,
		"active_before": before.Active, "active_after": after.Active,
	})
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, details, created_at)
		VALUES ($1, $2, 'staff.update', 'staff_user', $3, $4, $5)`,
		actor.Name, actor.Role, fmt.Sprint(id), details, u.clock.Now()); err != nil {
		return User{}, fmt.Errorf("audit staff update: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return User{}, fmt.Errorf("%w: commit staff update: %w", derrors.Unavailable, err)
	}
	return after, nil
}
