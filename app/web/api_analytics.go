package web

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
)

// Analytics reports engagement (engagement.Service).
type Analytics interface {
	TemplateAnalytics(ctx context.Context, o engagement.AnalyticsOptions) ([]engagement.TemplateStats, error)
	TemplateTrends(ctx context.Context, o engagement.TrendOptions) ([]engagement.TemplateTrend, error)
	Thresholds() engagement.AnalyticsOptions
	ClientEngagement(ctx context.Context, clientID int64) (engagement.ClientEngagement, error)
}

// templateAnalytics is the answer of GET /api/v1/analytics/templates.
type templateAnalytics struct {
	From      time.Time                  `json:"from"`
	To        time.Time                  `json:"to"`
	MinSends  int                        `json:"min_sends"`
	Templates []engagement.TemplateStats `json:"templates"`
}

// apiTemplateAnalytics handles GET /api/v1/analytics/templates?from=&to=
// (RFC 3339; default the last 30 days) and optional min_sends (default 50):
// per template version and channel, sent, delivered, failed, human opens,
// clicks, replies and opt-outs with rates, and the underperformer flag.
func apiTemplateAnalytics(a Analytics, now func() time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var o engagement.AnalyticsOptions
		var err error
		if o.From, err = queryTime(c, "from"); err != nil {
			return err
		}
		if o.To, err = queryTime(c, "to"); err != nil {
			return err
		}
		if raw := c.Query("min_sends"); raw != "" {
			if o.MinSends, err = strconv.Atoi(raw); err != nil || o.MinSends <= 0 {
				return derrors.Invalid("min_sends", fmt.Sprintf("%q is not a positive number", raw), "e.g. 50")
			}
		}
		if o.To.IsZero() {
			o.To = now()
		}
		if o.From.IsZero() {
			o.From = o.To.AddDate(0, 0, -30)
		}
		stats, err := a.TemplateAnalytics(c.UserContext(), o)
		if err != nil {
			return err
		}
		if stats == nil {
			stats = []engagement.TemplateStats{}
		}
		if o.MinSends == 0 {
			o.MinSends = engagement.DefaultMinSends
		}
		return c.JSON(templateAnalytics{From: o.From, To: o.To, MinSends: o.MinSends, Templates: stats})
	}
}

// apiClientEngagement handles GET /api/v1/clients/:client_id/engagement:
// last contact, channel states (works, untested, opted_out, invalid,
// missing), unread replies and what the client wrote.
func apiClientEngagement(a Analytics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "client_id")
		if err != nil {
			return err
		}
		e, err := a.ClientEngagement(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(e)
	}
}
