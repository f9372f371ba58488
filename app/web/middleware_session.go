package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
)

// Fiber locals keys of the portal.
const (
	localSession = "staff_session"
	localUser    = "staff_user"
)

// staffSession loads the sealed session cookie (starting an anonymous one
// with a fresh CSRF token when it is missing, expired or forged) and, when
// it names a user, re-reads that user so a role change or a disabled
// account takes effect on the next request.
func staffSession(ps *PortalServices) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, err := ps.Sessions.Open(c.Cookies(auth.SessionCookie))
		if err != nil {
			sess = ps.Sessions.New(0)
			if err := setSession(c, ps.Sessions, sess); err != nil {
				return err
			}
		}
		if sess.UserID != 0 {
			u, err := ps.Users.ByID(c.UserContext(), sess.UserID)
			switch {
			case err == nil && u.Active:
				c.Locals(localUser, &u)
			case err == nil, errors.Is(err, derrors.NotFound):
				// Disabled or deleted since sign-in: continue anonymously.
				sess = ps.Sessions.New(0)
				if err := setSession(c, ps.Sessions, sess); err != nil {
					return err
				}
			default:
				return err
			}
		}
		c.Locals(localSession, sess)
		return c.Next()
	}
}

// setSession writes the session cookie: HttpOnly, SameSite=Lax, Secure
// when the public URL is https.
func setSession(c *fiber.Ctx, s *auth.Sessions, sess auth.Session) error {
	v, err := s.Encode(auth.SessionCookie, sess)
	if err != nil {
		return err
	}
	// Max-Age is relative, so the browser's clock does not matter; the
	// server checks sess.Expires against its own clock on every request.
	c.Cookie(&fiber.Cookie{Name: auth.SessionCookie, Value: v, Path: "/", HTTPOnly: true, Secure: s.Secure,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.TTL().Seconds())})
	return nil
}

func currentSession(c *fiber.Ctx) auth.Session {
	s, _ := c.Locals(localSession).(auth.Session)
	return s
}

func currentUser(c *fiber.Ctx) *auth.User {
	u, _ := c.Locals(localUser).(*auth.User)
	return u
}

// signedIn sends a visitor who is not signed in to /login (remembering
// where they were going) and one without a role to the waiting page.
func signedIn(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		if c.Method() != fiber.MethodGet {
			return fmt.Errorf("%w: sign in first", derrors.Unauthorized)
		}
		return redirect(c, "/login?next="+url.QueryEscape(safeNext(c.OriginalURL())))
	}
	if u.Role == "" && c.Path() != "/waiting" {
		return redirect(c, "/waiting")
	}
	return c.Next()
}

// staffRole lets the request through only when the signed-in staff member
// holds one of roles; it runs after signedIn on every portal route.
func staffRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		if u == nil {
			return fmt.Errorf("%w: sign in first", derrors.Unauthorized)
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return fmt.Errorf("%w: your role (%s) cannot use this page; it needs %s", derrors.Forbidden,
			orNone(u.Role), strings.Join(roles, " or "))
	}
}

// redirect sends the browser to path: 303 for a form post, HX-Redirect for
// an htmx request (htmx would swap a 303's page into the target).
func redirect(c *fiber.Ctx, path string) error {
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/auth/") {
		return "/"
	}
	return next
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
