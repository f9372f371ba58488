package settings

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/heraldhq/herald/app/derrors"
)

// Field names, as the settings form and its errors name them.
const (
	FieldFirmName      = "firm_name"
	FieldFirmPhone     = "firm_phone"
	FieldEmailFromName = "email_from_name"
	FieldPortalURL     = "portal_url"
	FieldSMSStart      = "sms_window_start"
	FieldSMSEnd        = "sms_window_end"
	FieldSMSDays       = "sms_days"
	FieldRetrySchedule = "retry_schedule"
	FieldAlertEmails   = "alert_emails"
	FieldAlertWebhook  = "alert_webhook_url"
)

var fieldOrder = []string{FieldFirmName, FieldFirmPhone, FieldEmailFromName, FieldPortalURL, FieldSMSStart, FieldSMSEnd,
	FieldSMSDays, FieldRetrySchedule, FieldAlertEmails, FieldAlertWebhook}

// DayNames are the three-letter day names the form uses, Sunday first (the
// index is the time.Weekday).
var DayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Form is the settings as typed on the Settings screen.
type Form struct {
	FirmName      string
	FirmPhone     string
	EmailFromName string
	PortalURL     string
	SMSStart      string   // HH:MM
	SMSEnd        string   // HH:MM, 24:00 allowed
	SMSDays       []string // DayNames
	RetrySchedule string   // "1m, 5m, 30m"
	AlertEmails   string   // comma or line separated
	AlertWebhook  string
}

// FormOf shows values as the form does.
func FormOf(v Values) Form {
	f := Form{FirmName: v.FirmName, FirmPhone: v.FirmPhone, EmailFromName: v.EmailFromName, PortalURL: v.PortalURL,
		SMSStart: clockString(v.SMSStart), SMSEnd: clockString(v.SMSEnd), AlertEmails: strings.Join(v.AlertEmails, ", "),
		AlertWebhook: v.AlertWebhook}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if len(v.SMSDays) == 0 || slices.Contains(v.SMSDays, d) {
			f.SMSDays = append(f.SMSDays, DayNames[d])
		}
	}
	parts := make([]string, len(v.RetrySchedule))
	for i, d := range v.RetrySchedule {
		parts[i] = shortDuration(d)
	}
	f.RetrySchedule = strings.Join(parts, ", ")
	return f
}

func (f Form) fields() map[string]string {
	return map[string]string{FieldFirmName: f.FirmName, FieldFirmPhone: f.FirmPhone, FieldEmailFromName: f.EmailFromName,
		FieldPortalURL: f.PortalURL, FieldSMSStart: f.SMSStart, FieldSMSEnd: f.SMSEnd, FieldSMSDays: strings.Join(f.SMSDays, ","),
		FieldRetrySchedule: f.RetrySchedule, FieldAlertEmails: f.AlertEmails, FieldAlertWebhook: f.AlertWebhook}
}

// Limits on what the form accepts.
const (
	maxRetries     = 10
	maxRetryWait   = 24 * time.Hour
	minRetryWait   = 10 * time.Second
	maxAlertEmails = 20
)

// Parse validates a form. Every problem is a derrors.FieldError naming the
// form field, what is wrong and what to do; all are returned together.
func Parse(f Form, opt Options) (Values, error) {
	var fs derrors.Fields
	add := func(field, problem, fix string) {
		fs = append(fs, &derrors.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	v := Values{FirmName: strings.TrimSpace(f.FirmName), FirmPhone: strings.TrimSpace(f.FirmPhone),
		EmailFromName: strings.TrimSpace(f.EmailFromName), PortalURL: strings.TrimSpace(f.PortalURL),
		AlertWebhook: strings.TrimSpace(f.AlertWebhook)}

	switch {
	case v.FirmName == "":
		add(FieldFirmName, "is required", "templates greet clients with it, e.g. Reyes & Partners Law")
	case len(v.FirmName) > 200:
		add(FieldFirmName, fmt.Sprintf("is %d characters long", len(v.FirmName)), "keep it under 200 characters")
	}
	if v.FirmPhone == "" {
		add(FieldFirmPhone, "is required", "clients are told to call it, e.g. +1 312 555 0100")
	} else if n, err := phonenumbers.Parse(v.FirmPhone, opt.Region); err != nil || !phonenumbers.IsPossibleNumber(n) {
		add(FieldFirmPhone, fmt.Sprintf("%q is not a phone number", v.FirmPhone), "write it with the area code, e.g. +1 312 555 0100")
	}
	if strings.ContainsAny(v.EmailFromName, "<>\"\r\n") || len(v.EmailFromName) > 100 {
		add(FieldEmailFromName, fmt.Sprintf("%q cannot be an e-mail display name", v.EmailFromName),
			"use plain words under 100 characters without < > or quotes, e.g. Reyes & Partners Law")
	}
	if problem := checkURL(v.PortalURL, opt.RequireHTTPS); problem != "" {
		add(FieldPortalURL, problem, "give the address clients open, e.g. https://portal.example-law.com")
	}

	start, errStart := parseClock(f.SMSStart, false)
	end, errEnd := parseClock(f.SMSEnd, true)
	if errStart != "" {
		add(FieldSMSStart, errStart, "use HH:MM in 24-hour time, e.g. 08:00")
	}
	if errEnd != "" {
		add(FieldSMSEnd, errEnd, "use HH:MM in 24-hour time, e.g. 21:00 (24:00 for midnight)")
	}
	if errStart == "" && errEnd == "" {
		if end <= start {
			add(FieldSMSEnd, fmt.Sprintf("%s is not after the start %s", strings.TrimSpace(f.SMSEnd), strings.TrimSpace(f.SMSStart)),
				"the window is one stretch of the same day, e.g. 08:00 to 21:00")
		}
		v.SMSStart, v.SMSEnd = start, end
	}

	for _, name := range f.SMSDays {
		i := slices.Index(DayNames, strings.ToLower(strings.TrimSpace(name)))
		if i < 0 {
			add(FieldSMSDays, fmt.Sprintf("%q is not a day", name), "use "+strings.Join(DayNames, ", "))
			continue
		}
		if !slices.Contains(v.SMSDays, time.Weekday(i)) {
			v.SMSDays = append(v.SMSDays, time.Weekday(i))
		}
	}
	slices.Sort(v.SMSDays)
	if len(f.SMSDays) == 0 {
		add(FieldSMSDays, "has no day", "tick at least one day SMS may go out; use e-mail only by disabling SMS in the rules")
	}

	v.RetrySchedule = parseRetries(f.RetrySchedule, add)

	for _, part := range splitList(f.AlertEmails) {
		a, err := mail.ParseAddress(part)
		if err != nil || a.Name != "" || a.Address != part || !strings.Contains(a.Address[strings.LastIndex(a.Address, "@")+1:], ".") {
			add(FieldAlertEmails, fmt.Sprintf("%q is not an e-mail address", part), "list plain addresses separated by commas, e.g. ops@example-law.com")
			continue
		}
		if !slices.Contains(v.AlertEmails, a.Address) {
			v.AlertEmails = append(v.AlertEmails, a.Address)
		}
	}
	if len(v.AlertEmails) > maxAlertEmails {
		add(FieldAlertEmails, fmt.Sprintf("lists %d addresses", len(v.AlertEmails)), fmt.Sprintf("use a group address; at most %d", maxAlertEmails))
	}
	if v.AlertWebhook != "" {
		if problem := checkURL(v.AlertWebhook, opt.RequireHTTPS); problem != "" {
			add(FieldAlertWebhook, problem, "paste the Slack (or compatible) incoming webhook URL, which starts with https://")
		}
	}
	return v, fs.Err()
}

// parseRetries reads "1m, 5m, 30m".
func parseRetries(s string, add func(field, problem, fix string)) []time.Duration {
	const fix = "list the waits before each retry, e.g. 1m, 5m, 30m"
	parts := splitList(s)
	if len(parts) == 0 {
		add(FieldRetrySchedule, "is empty", fix)
		return nil
	}
	if len(parts) > maxRetries {
		add(FieldRetrySchedule, fmt.Sprintf("has %d retries", len(parts)), fmt.Sprintf("at most %d; after the last one the message goes to the dead letters", maxRetries))
	}
	var out []time.Duration
	for _, p := range parts {
		d, err := time.ParseDuration(p)
		switch {
		case err != nil:
			add(FieldRetrySchedule, fmt.Sprintf("%q is not a duration", p), fix)
		case d < minRetryWait || d > maxRetryWait:
			add(FieldRetrySchedule, fmt.Sprintf("%s is out of range", p), "each wait is between 10s and 24h")
		default:
			if d%time.Second != 0 {
				add(FieldRetrySchedule, fmt.Sprintf("%s is not whole seconds", p), fix)
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

// checkURL returns what is wrong with an absolute http(s) URL, or "".
func checkURL(s string, requireHTTPS bool) string {
	if s == "" {
		return "is required"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http(s) URL", s)
	}
	if requireHTTPS && u.Scheme != "https" {
		return "must start with https:// in production"
	}
	return ""
}

// parseClock reads HH:MM (and 24:00 when allowEnd) as an offset from
// midnight; it returns the problem, or "".
func parseClock(s string, allowEnd bool) (time.Duration, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "is required"
	}
	if allowEnd && s == "24:00" {
		return 24 * time.Hour, ""
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a time", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, ""
}

func clockString(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// shortDuration writes 5m0s as 5m and 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
