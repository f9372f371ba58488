package web

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
)

// TokenVerifier checks a presented API token secret; auth.Tokens implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, secret string) (auth.Token, error)
}

// localToken is the Fiber locals key holding the verified auth.Token.
const localToken = "api_token"

// apiAuth requires "Authorization: Bearer <token>" on every /api/v1 route and
// stores the verified token for handlers (see apiToken).
func apiAuth(v TokenVerifier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return fmt.Errorf("%w: send Authorization: Bearer <API token> (create one with `herald token create`)", derrors.Unauthorized)
		}
		tok, err := v.Verify(c.UserContext(), strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		c.Locals(localToken, tok)
		return c.Next()
	}
}

// requireRole lets the request through only when the API token holds one of
// roles; it must run after apiAuth.
func requireRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok, ok := apiToken(c)
		if !ok {
			return fmt.Errorf("%w: no API token", derrors.Unauthorized)
		}
		if !slices.Contains(roles, tok.Role) {
			return fmt.Errorf("%w: role %s may not do this (needs %s)", derrors.Forbidden, tok.Role, strings.Join(roles, " or "))
		}
		return c.Next()
	}
}

// apiToken returns the token apiAuth verified for this request.
func apiToken(c *fiber.Ctx) (auth.Token, bool) {
	tok, ok := c.Locals(localToken).(auth.Token)
	return tok, ok
}

// apiActor names the caller in audit rows: "token:<name>".
func apiActor(c *fiber.Ctx) string {
	if tok, ok := apiToken(c); ok {
		return "token:" + tok.Name
	}
	return "api"
}

// apiTokens is the configured token verifier, or auth.Tokens over the
// database.
func apiTokens(d Deps) TokenVerifier {
	if d.Services.Tokens != nil {
		return d.Services.Tokens
	}
	return auth.NewTokens(d.DB)
}
