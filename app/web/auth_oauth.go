package web

import (
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
)

// oauthState is kept in a sealed cookie between /begin and /callback
// instead of gothic's global session store.
type oauthState struct {
	Provider string    `json:"p"`
	State    string    `json:"s"`
	Data     string    `json:"d"`
	Next     string    `json:"n"`
	Expires  time.Time `json:"e"`
}

// oauthBegin handles GET /auth/:provider/begin: it starts the provider's
// flow with a random state and sends the browser to the provider.
func (h *portalHandlers) oauthBegin(c *fiber.Ctx) error {
	key := c.Params("provider")
	state := auth.RandomToken(24)
	authURL, data, err := h.ps.Providers.Begin(key, state)
	if err != nil {
		return err
	}
	st := oauthState{Provider: key, State: state, Data: data, Next: safeNext(c.Query("next")),
		Expires: h.clock.Now().Add(10 * time.Minute)}
	v, err := h.ps.Sessions.Encode(auth.StateCookie, st)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: auth.StateCookie, Value: v, Path: "/auth/", HTTPOnly: true,
		Secure: h.ps.Sessions.Secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: 600})
	return c.Redirect(authURL, fiber.StatusFound)
}

// oauthCallback handles GET /auth/:provider/callback: it checks the state
// against the sealed cookie, lets the provider complete the exchange, then
// applies the allowlist and signs the person in.
func (h *portalHandlers) oauthCallback(c *fiber.Ctx) error {
	key := c.Params("provider")
	var st oauthState
	if err := h.ps.Sessions.Decode(auth.StateCookie, c.Cookies(auth.StateCookie), &st); err != nil {
		return fmt.Errorf("%w: the sign-in took too long or started in another browser; start again", derrors.Unauthorized)
	}
	c.Cookie(&fiber.Cookie{Name: auth.StateCookie, Value: "", Path: "/auth/", HTTPOnly: true,
		Secure: h.ps.Sessions.Secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
	if st.Provider != key || h.clock.Now().After(st.Expires) {
		return fmt.Errorf("%w: the sign-in expired; start again", derrors.Unauthorized)
	}
	params, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return derrors.Invalid("query", "is not a valid query string", "start the sign-in again")
	}
	id, err := h.ps.Providers.Complete(c.UserContext(), key, st.Data, st.State, params)
	if err != nil {
		return err
	}
	u, err := h.ps.Users.SignIn(c.UserContext(), id, h.ps.Policy)
	if err != nil {
		return err
	}
	return h.startSession(c, u, st.Next)
}
