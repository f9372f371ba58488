// Package views holds the staff portal's templ components: a layout, one
// page component per screen and partials for htmx swaps. Components take view
// models shaped like the screen (the app/portal read model and the small
// structs here), never database models, and mark what tests look for with
// data-testid attributes.
package views

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Staff is the signed-in person as the layout shows them.
type Staff struct {
	Name  string
	Email string
	Role  string
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key, Label, Href string
	Badge            int64
}

// Page is what every full page needs besides its own content.
type Page struct {
	Title    string
	Active   string // NavItem.Key of the current screen
	FirmName string
	User     *Staff // nil before sign-in
	CSRF     string
	Nav      []NavItem
	Flash    string
	Error    string
	// FirmPaused shows a red banner on every page while all automation is paused.
	FirmPaused bool
	// FirmPause says who paused the firm, why and until when (nil when the
	// details could not be read or nothing is paused).
	FirmPause *FirmPauseInfo
	Loc       *time.Location
}

// FirmPauseInfo is the firm-wide pause in force, for the banner.
type FirmPauseInfo struct {
	Reason string
	By     string
	Since  time.Time
	Until  *time.Time
}

// hxHeaders is the hx-headers value that makes htmx send the CSRF token.
func hxHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// When formats t in the firm's time zone.
func (p Page) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Jan 2, 2006 3:04 PM MST")
}

// WhenPtr formats an optional time, "—" when nil.
func (p Page) WhenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.When(*t)
}

// ISO formats t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func idPath(format string, id int64) string { return fmt.Sprintf(format, id) }

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// statusClass colours a message, event or decision status.
func statusClass(s string) string {
	switch s {
	case "delivered", "opened", "clicked", "replied", "sent", "fired", "processed", "done", "opt_in":
		return "pill pill-ok"
	case "dead", "failed", "outcome_unknown", "opt_out":
		return "pill pill-bad"
	case "held", "awaiting_approval", "failed_retrying", "skipped_paused", "stale":
		return "pill pill-warn"
	}
	return "pill"
}

func beginURL(provider, next string) string {
	return "/auth/" + url.PathEscape(provider) + "/begin?next=" + url.QueryEscape(next)
}

// Allowed reports whether href leads to a screen in the signed-in user's
// navigation, so links to screens the role cannot open are not shown.
func (p Page) Allowed(href string) bool {
	path, _, _ := strings.Cut(href, "?")
	path, _, _ = strings.Cut(path, "#")
	for _, n := range p.Nav {
		if n.Href == path || (n.Href != "/" && strings.HasPrefix(path, n.Href+"/")) {
			return true
		}
	}
	return false
}
