package web

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// devLogin handles POST /auth/dev, the development sign-in (HERALD_ENV=dev
// only): any name and role, no password. The e-mail is made up from the
// name under the reserved .test domain, and the allowlist does not apply.
func (h *portalHandlers) devLogin(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	role := c.FormValue("role")
	if name == "" {
		return derrors.Invalid("name", "is empty", "type any name")
	}
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "."), ".")
	if slug == "" {
		slug = "dev"
	}
	u, err := h.ps.Users.SignIn(c.UserContext(),
		auth.Identity{Provider: auth.ProviderDev, Email: slug + "@dev.herald.test", Name: name, Role: role},
		auth.Policy{})
	if err != nil {
		return err
	}
	return h.startSession(c, u, c.FormValue("next"))
}
