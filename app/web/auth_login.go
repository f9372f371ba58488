package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/views"
)

// login shows the sign-in page; someone already signed in goes on.
func (h *portalHandlers) login(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if currentUser(c) != nil {
		return redirect(c, next)
	}
	v := views.LoginView{DevLogin: h.ps.DevLogin, Next: next, Roles: auth.Roles}
	if h.ps.Providers != nil {
		for _, p := range h.ps.Providers.Enabled() {
			v.Providers = append(v.Providers, views.LoginProvider{Key: p.Key, Label: p.Label})
		}
	}
	return show(c, fiber.StatusOK, views.Login(h.page(c, "Sign in", ""), v))
}

// waiting tells a signed-in person without a role to ask an admin.
func (h *portalHandlers) waiting(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return redirect(c, "/login")
	}
	if u.Role != "" {
		return redirect(c, "/")
	}
	return show(c, fiber.StatusForbidden, views.Waiting(h.page(c, "Waiting for an admin", "")))
}

// logout ends the session: the cookie is replaced by a fresh anonymous one.
func (h *portalHandlers) logout(c *fiber.Ctx) error {
	if err := setSession(c, h.ps.Sessions, h.ps.Sessions.New(0)); err != nil {
		return err
	}
	return redirect(c, "/login")
}

// startSession signs user in: a new session (and CSRF token) replaces the
// anonymous one, so a token seen before sign-in is useless after it.
func (h *portalHandlers) startSession(c *fiber.Ctx, u auth.User, next string) error {
	if err := setSession(c, h.ps.Sessions, h.ps.Sessions.New(u.ID)); err != nil {
		return err
	}
	h.log.Info("staff signed in", "staff_id", u.ID, "provider", u.Provider, "role", u.Role)
	if u.Role == "" {
		return redirect(c, "/waiting")
	}
	return redirect(c, safeNext(next))
}
