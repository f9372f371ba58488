package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/views"
)

// analytics handles GET /analytics?days= or ?from=&to= (dates in the firm's
// zone) and optional bucket=day|week: engagement per template version and
// channel, underperformers first, and rates over time as SVG charts. A
// refused period shows the form again with the reason (400).
func (h *portalHandlers) analytics(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q := portal.PeriodQuery{Days: c.Query("days"), From: c.Query("from"), To: c.Query("to"), Bucket: c.Query("bucket")}
	pg := h.page(c, "Analytics", "analytics")
	loc := h.ps.Read.Location()
	p, err := portal.ParsePeriod(q, h.clock.Now(), loc)
	if errors.Is(err, derrors.InvalidArgument) {
		pg.Error = err.Error()
		return show(c, fiber.StatusBadRequest, views.AnalyticsPage(pg, views.AnalyticsView{Query: q, Refused: true}))
	}
	if err != nil {
		return err
	}
	stats, err := h.svc.Analytics.TemplateAnalytics(ctx, engagement.AnalyticsOptions{From: p.From, To: p.To})
	if err != nil {
		return err
	}
	trends, err := h.svc.Analytics.TemplateTrends(ctx, engagement.TrendOptions{From: p.From, To: p.To, Bucket: p.Bucket, Zone: loc})
	if err != nil {
		return err
	}
	v := views.AnalyticsView{A: portal.NewAnalytics(p, h.svc.Analytics.Thresholds(), stats, trends), Query: q}
	return show(c, fiber.StatusOK, views.AnalyticsPage(pg, v))
}

// underperformers flags templates for the template list's badge: the last
// 30 days of TemplateAnalytics. Without analytics wired there are no badges.
func (h *portalHandlers) underperformers(c *fiber.Ctx) (map[int64]string, error) {
	if h.svc.Analytics == nil {
		return map[int64]string{}, nil
	}
	p, err := portal.ParsePeriod(portal.PeriodQuery{}, h.clock.Now(), h.ps.Read.Location())
	if err != nil {
		return nil, err
	}
	stats, err := h.svc.Analytics.TemplateAnalytics(c.UserContext(), engagement.AnalyticsOptions{From: p.From, To: p.To})
	if err != nil {
		return nil, err
	}
	return portal.Underperformers(stats), nil
}
