package web

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/views"
)

// timeline handles GET /clients/:id/timeline: the newest page of entries,
// ?after= for an older page (htmx asks for just the entries, to append),
// ?print=1 for the printable page with every entry.
func (h *portalHandlers) timeline(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	printable := c.Query("print") == "1"
	f := portal.TimelineFilter{Channel: c.Query("channel"), Status: c.Query("status"), After: c.Query("after"), All: printable}
	t, err := h.ps.Read.Timeline(c.UserContext(), id, f)
	if err != nil {
		return err
	}
	q := url.Values{}
	if t.Filter.Channel != "" {
		q.Set("channel", t.Filter.Channel)
	}
	if t.Filter.Status != "" {
		q.Set("status", t.Filter.Status)
	}
	base := fmt.Sprintf("/clients/%d/timeline", id)
	v := views.TimelineView{T: t, NewestURL: base + "?" + q.Encode(), CSVURL: base + ".csv?" + q.Encode(), Print: printable}
	if t.Next != "" {
		more := url.Values{"after": {t.Next}}
		for k, val := range q {
			more[k] = val
		}
		v.OlderURL = base + "?" + more.Encode()
	}
	q.Set("print", "1")
	v.PrintURL = base + "?" + q.Encode()
	if h.svc.Pauses != nil && !printable && c.Get("HX-Request") != "true" {
		cp, err := h.ps.Read.ClientPause(c.UserContext(), id)
		if err != nil {
			return err
		}
		v.Pause, v.CanPause = &cp, can(c, auth.PermPause)
	}
	if f.After != "" && c.Get("HX-Request") == "true" {
		return show(c, fiber.StatusOK, views.TimelineEntries(h.page(c, "Timeline", "cases"), v))
	}
	if h.svc.Analytics != nil {
		e, err := h.svc.Analytics.ClientEngagement(c.UserContext(), id)
		if err != nil {
			return err
		}
		v.Engagement = &e
	}
	return show(c, fiber.StatusOK, views.TimelinePage(h.page(c, "Timeline", "cases"), v))
}

// timelineCSV handles GET /clients/:id/timeline.csv: every entry (not only
// a page) as a download, one row per entry plus one per attempt and provider
// status.
func (h *portalHandlers) timelineCSV(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	t, err := h.ps.Read.Timeline(c.UserContext(), id, portal.TimelineFilter{Channel: c.Query("channel"), Status: c.Query("status"), All: true})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="client-%d-timeline.csv"`, id))
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Write([]string{"at", "kind", "case_id", "channel", "status", "title", "detail", "message_id", "provider_message_id"})
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, e := range t.Entries {
		caseID, msgID, pmid := "", "", ""
		if e.CaseID != nil {
			caseID = strconv.FormatInt(*e.CaseID, 10)
		}
		if m := e.Message; m != nil {
			msgID, pmid = strconv.FormatInt(m.ID, 10), m.ProviderMessageID
		}
		w.Write([]string{ts(e.At), e.Kind, caseID, e.Channel, e.Status, csvSafe(e.Title), csvSafe(e.Detail), msgID, pmid})
		if m := e.Message; m != nil {
			for _, a := range m.Attempts {
				w.Write([]string{ts(a.StartedAt), "attempt", caseID, m.Channel, a.Outcome, fmt.Sprintf("attempt %d via %s", a.Attempt, a.Provider),
					csvSafe(a.ErrorCode + " " + a.ErrorMessage), msgID, a.ProviderMessageID})
			}
			for _, pe := range m.ProviderEvents {
				at := pe.ReceivedAt
				if pe.OccurredAt != nil {
					at = *pe.OccurredAt
				}
				w.Write([]string{ts(at), "provider_status", caseID, m.Channel, pe.EventType, pe.Provider, pe.ProviderEventID, msgID, pmid})
			}
		}
	}
	w.Flush()
	return w.Error()
}
