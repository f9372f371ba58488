package web

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/views"
)

// navEntries is the main navigation in order, each with the permission
// that shows it. Analytics joins with the engagement screens.
var navEntries = []struct {
	key, label, href string
	perm             auth.Permission
}{
	{"dashboard", "Dashboard", "/", auth.PermDashboard},
	{"cases", "Cases", "/cases", auth.PermViewCases},
	{"dead-letters", "Dead letters", "/dead-letters", auth.PermDeadLetters},
	{"approvals", "Approvals", "/approvals", auth.PermApprovals},
	{"held", "Held", "/held", auth.PermHeld},
	{"templates", "Templates", "/templates", auth.PermViewTemplates},
	{"analytics", "Analytics", "/analytics", auth.PermAnalytics},
	{"data-health", "Data health", "/data-health", auth.PermDataHealth},
	{"tasks", "Tasks", "/tasks", auth.PermTasks},
	{"rules", "Rules", "/rules", auth.PermRules},
	{"audit", "Audit log", "/audit", auth.PermAudit},
	{"queues", "Queues", "/ops/queues", auth.PermQueues},
	{"pauses", "Pauses", "/pauses", auth.PermPause},
	{"settings", "Settings", "/settings", auth.PermSettings},
	{"staff", "Staff", "/settings/staff", auth.PermUsers},
}

// flashes are the confirmations a redirect can show (?done=key); only
// known keys are shown so a link cannot put words on the page.
var flashes = map[string]string{
	"paused":      "Automation is paused for this case.",
	"unpaused":    "Automation is resumed for this case.",
	"retried":     "Queued for another delivery attempt.",
	"resolved":    "Marked as resolved.",
	"saved":       "Saved as a new version.",
	"rolled-back": "Rolled back: the old version is current again as a new version.",
	"mapped":      "Status mapped. New updates with that value will use it.",
	"assigned":    "Task assigned.",
	"completed":   "Task completed.",
	"approved":    "Approved; the message will be sent.",
	"discarded":   "Discarded; the message will not be sent.",
	"staff-saved": "Staff member updated.",

	"rule-saved":     "Rule saved. It applies to the next change it matches.",
	"rule-added":     "Rule added and enabled.",
	"rule-enabled":   "Rule enabled.",
	"rule-disabled":  "Rule disabled. It will not fire until someone enables it.",
	"settings-saved": "Settings saved. Running services use them within seconds.",
	"firm-paused":    "All automation is paused firm-wide.",
	"firm-resumed":   "Automation is resumed firm-wide. Held messages stay held until someone releases them.",
	"client-paused":  "Automation is paused for this client.",
	"client-resumed": "Automation is resumed for this client.",

	"reply-sent":     "Reply recorded; Herald sends it by text.",
	"held-released":  "Released; Herald sends it now.",
	"held-sent-now":  "Sending now, outside the SMS window; the reason is in the audit log.",
	"held-cancelled": "Cancelled; it will not be sent.",
}

// page builds the layout model for the current request.
func (h *portalHandlers) page(c *fiber.Ctx, title, active string) views.Page {
	p := views.Page{Title: title, Active: active, FirmName: h.currentFirmName(c), CSRF: currentSession(c).CSRF,
		Flash: flashes[c.Query("done")], Loc: h.ps.Read.Location()}
	if u := currentUser(c); u != nil {
		p.User = &views.Staff{Name: u.Name, Email: u.Email, Role: u.Role}
		if u.Role != "" {
			for _, n := range navEntries {
				if auth.Can(u.Role, n.perm) {
					p.Nav = append(p.Nav, views.NavItem{Key: n.key, Label: n.label, Href: n.href})
				}
			}
			if fp, err := h.ps.Read.FirmPause(c.UserContext()); err == nil && fp != nil {
				p.FirmPaused = true
				p.FirmPause = &views.FirmPauseInfo{Reason: fp.Reason, By: fp.PausedBy, Since: fp.CreatedAt, Until: fp.ExpiresAt}
			}
		}
	}
	return p
}

// can reports whether the signed-in user holds perm.
func can(c *fiber.Ctx, perm auth.Permission) bool {
	u := currentUser(c)
	return u != nil && auth.Can(u.Role, perm)
}

// actor names the signed-in user in audit rows.
func actor(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return u.Name + " <" + u.Email + ">"
	}
	return "anonymous"
}

// show renders a templ component as the HTML response.
func show(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status).Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}
