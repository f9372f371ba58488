package web

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/views"
)

// Checkins serves the public satisfaction check-in page a client reaches
// from the check-in email; engagement.Service implements it.
type Checkins interface {
	Checkin(ctx context.Context, token string) (engagement.CheckinView, error)
	AnswerCheckin(ctx context.Context, token string, score int) (engagement.CheckinView, error)
	CheckinNonce(token string) string
	CheckCheckinNonce(token, nonce string) error
}

// The check-in page is public: a client has no session, so the portal's
// session CSRF token cannot protect it. What protects it instead:
//
//   - The signed link (/checkin/<token>) is the capability. Only the client
//     (and whoever they forward the email to) has it; it names one case of
//     one client, cannot be altered, and expires. Nothing is recorded on
//     GET, so mail scanners and link previews that fetch it change nothing.
//   - The answer is a POST carrying a form nonce: an HMAC over the token and
//     the time Herald rendered the page, accepted for two hours. A form on
//     another site cannot make one without first fetching the page with the
//     token, and a replayed old request is refused.
//   - A POST whose Origin (or Sec-Fetch-Site) says it came from another
//     site is refused, whatever it carries.
//   - One answer per link: a second POST is refused with the recorded
//     answer (engagement.AnswerCheckin), so a replay changes nothing.
//   - Responses are no-store, never framed (clickjacking), and send no
//     Referer, so the token does not leak to other sites.

// checkinHeaders sets the page's security headers.
func checkinHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderContentSecurityPolicy,
		"default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// checkinPage handles GET /checkin/:token: the question, or what became of
// the link (answered, expired, invalid).
func checkinPage(s Checkins) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := strings.Clone(c.Params("token"))
		v, err := s.Checkin(c.UserContext(), token)
		if err != nil {
			return checkinRefusal(c, v, token, err)
		}
		if v.Answered {
			return showCheckin(c, fiber.StatusOK, checkinView(v, views.CheckinAnswered, token, ""))
		}
		return showCheckin(c, fiber.StatusOK, checkinAsk(s, v, token, ""))
	}
}

// checkinAnswer handles POST /checkin/:token with score=0..10 and the form
// nonce: it records the answer and redirects to the page, which then thanks
// the client (post/redirect/get, so reloading does not post again).
func checkinAnswer(s Checkins, publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := strings.Clone(c.Params("token"))
		v, err := s.Checkin(c.UserContext(), token)
		if err != nil {
			return checkinRefusal(c, v, token, err)
		}
		if v.Answered {
			return checkinRefusal(c, v, token, engagement.ErrCheckinAnswered)
		}
		if crossSite(c, publicURL) {
			return showCheckin(c, fiber.StatusForbidden, checkinAsk(s, v, token, v.Language+":stale"))
		}
		if err := s.CheckCheckinNonce(token, c.FormValue("nonce")); err != nil {
			return showCheckin(c, fiber.StatusForbidden, checkinAsk(s, v, token, v.Language+":stale"))
		}
		score, err := strconv.Atoi(strings.TrimSpace(c.FormValue("score")))
		if err != nil || score < 0 || score > 10 {
			return showCheckin(c, fiber.StatusBadRequest, checkinAsk(s, v, token, v.Language+":score"))
		}
		v, err = s.AnswerCheckin(c.UserContext(), token, score)
		if err != nil {
			return checkinRefusal(c, v, token, err)
		}
		return c.Redirect("/checkin/"+url.PathEscape(token), fiber.StatusSeeOther)
	}
}

// checkinRefusal renders what a link that cannot take an answer says.
func checkinRefusal(c *fiber.Ctx, v engagement.CheckinView, token string, err error) error {
	switch {
	case errors.Is(err, engagement.ErrCheckinAnswered):
		return showCheckin(c, fiber.StatusConflict, checkinView(v, views.CheckinAlready, token, ""))
	case errors.Is(err, engagement.ErrCheckinExpired):
		return showCheckin(c, fiber.StatusGone, checkinView(v, views.CheckinExpired, token, ""))
	case errors.Is(err, engagement.ErrCheckinInvalid):
		return showCheckin(c, fiber.StatusNotFound, checkinView(v, views.CheckinInvalid, token, ""))
	}
	return err // the database: the error handler answers 503
}

// crossSite reports whether the browser says the POST came from another
// site: an Origin that is not Herald's public URL, or Sec-Fetch-Site
// cross-site. Browsers that send neither are judged by the nonce alone.
func crossSite(c *fiber.Ctx, publicURL string) bool {
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	want, err := url.Parse(publicURL)
	if err != nil {
		return true
	}
	return !strings.EqualFold(origin, want.Scheme+"://"+want.Host)
}

var checkinErrors = map[string]string{
	"en:stale": "This page was open for too long or did not come from your link. Please choose your answer again.",
	"es:stale": "Esta página estuvo abierta demasiado tiempo o no vino de su enlace. Elija su respuesta de nuevo.",
	"en:score": "Please choose a number from 0 to 10.",
	"es:score": "Elija un número del 0 al 10.",
}

// checkinAsk is the question with a fresh nonce; problem names an entry of
// checkinErrors, "" for none.
func checkinAsk(s Checkins, v engagement.CheckinView, token, problem string) views.CheckinView {
	cv := checkinView(v, views.CheckinAsk, token, checkinErrors[problem])
	cv.Nonce = s.CheckinNonce(token)
	return cv
}

func checkinView(v engagement.CheckinView, state, token, problem string) views.CheckinView {
	cv := views.CheckinView{State: state, Lang: v.Language, FirmName: v.FirmName, FirmPhone: v.FirmPhone,
		FirstName: v.FirstName, Action: "/checkin/" + url.PathEscape(token), Score: v.Score, Error: problem}
	if !v.AnsweredAt.IsZero() {
		cv.AnsweredOn = v.AnsweredAt.Format("2006-01-02")
	}
	return cv
}

func showCheckin(c *fiber.Ctx, status int, v views.CheckinView) error {
	checkinHeaders(c)
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return views.Checkin(v).Render(c.UserContext(), c.Response().BodyWriter())
}
