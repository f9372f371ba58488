package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
)

// CSRFHeader is the header htmx sends the token in (hx-headers on <body>).
const CSRFHeader = "X-CSRF-Token"

// csrfProtect refuses every state-changing portal request (anything but
// GET, HEAD and OPTIONS) whose X-CSRF-Token header or _csrf form field does
// not match the session's token, with 403. Sign-in forms are covered too:
// anonymous sessions carry a token.
func csrfProtect() fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		token := c.Get(CSRFHeader)
		if token == "" {
			token = c.FormValue("_csrf")
		}
		if !currentSession(c).ValidCSRF(token) {
			return fmt.Errorf("%w: the form's security token is missing or stale; reload the page and try again", derrors.Forbidden)
		}
		return c.Next()
	}
}
