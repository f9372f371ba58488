// Package auth owns staff users, API tokens, roles and sign-in sessions.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Roles staff and tokens can hold.
const (
	RoleAdmin     = "admin"
	RoleAttorney  = "attorney"
	RoleParalegal = "paralegal"
	RoleOps       = "ops"
)

// Roles lists every role in display order.
var Roles = []string{RoleAdmin, RoleAttorney, RoleParalegal, RoleOps}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// tokenPrefix marks Herald tokens so leaked ones are recognisable.
const tokenPrefix = "hrld_"

// Token is an API token as stored (never the secret itself).
type Token struct {
	ID        int64
	Name      string
	Role      string
	Prefix    string
	CreatedAt time.Time
}

// Tokens stores API tokens by their SHA-256 hash.
type Tokens struct{ db *store.DB }

// NewTokens returns the token store.
func NewTokens(db *store.DB) *Tokens { return &Tokens{db: db} }

// Create makes a token and returns its secret, which is shown once.
func (t *Tokens) Create(ctx context.Context, name, role string) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Token{}, derrors.Invalid("name", "is empty", "pass --name, e.g. --name clio-sync")
	}
	if !ValidRole(role) {
		return "", Token{}, derrors.Invalid("role", fmt.Sprintf("%q is not a role", role), "use admin, attorney, paralegal or ops")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	tok := Token{Name: name, Role: role, Prefix: secret[:len(tokenPrefix)+6]}
	err := t.db.Pool.QueryRow(ctx,
		`INSERT INTO api_tokens (name, role, token_hash, prefix) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
		tok.Name, tok.Role, sum[:], tok.Prefix).Scan(&tok.ID, &tok.CreatedAt)
	if err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	return secret, tok, nil
}

// Verify returns the token for a presented secret. The lookup is by hash,
// so comparing secrets never happens in variable time.
func (t *Tokens) Verify(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Token{}, fmt.Errorf("%w: malformed API token", derrors.Unauthorized)
	}
	sum := sha256.Sum256([]byte(secret))
	var tok Token
	err := t.db.Pool.QueryRow(ctx,
		`UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL
		 RETURNING id, name, role, prefix, created_at`, sum[:]).
		Scan(&tok.ID, &tok.Name, &tok.Role, &tok.Prefix, &tok.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, fmt.Errorf("%w: unknown or revoked API token", derrors.Unauthorized)
	}
	if err != nil {
		return Token{}, fmt.Errorf("%w: verify token: %w", derrors.Unavailable, err)
	}
	return tok, nil
}
