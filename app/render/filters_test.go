package render

import (
	"errors"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDateFilters(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name string
		src  string
		lang string
		tz   string
		now  time.Time
		date Date
		want string
	}{
		{name: "default full en", src: "{{ next_court_date|format_date }}", lang: "en", tz: "America/New_York",
			date: At(time.Date(2026, 3, 16, 13, 30, 0, 0, time.UTC)), want: "Monday, March 16, 2026"},
		{name: "default full es", src: "{{ next_court_date|format_date }}", lang: "es", tz: "America/New_York",
			date: At(time.Date(2026, 3, 16, 13, 30, 0, 0, time.UTC)), want: "lunes, 16 de marzo de 2026"},
		{name: "named styles en", src: `{{ next_court_date|format_date:"short" }} | {{ next_court_date|format_date:"medium" }} | {{ next_court_date|format_date:"long" }}`,
			lang: "en", tz: "UTC", date: Day(2026, 9, 5), want: "09/05/2026 | Sep 5, 2026 | September 5, 2026"},
		{name: "named styles es", src: `{{ next_court_date|format_date:"short" }} | {{ next_court_date|format_date:"medium" }} | {{ next_court_date|format_date:"long" }}`,
			lang: "es", tz: "UTC", date: Day(2026, 9, 5), want: "05/09/2026 | 5 sept 2026 | 5 de septiembre de 2026"},
		{name: "es month names", src: `{{ next_court_date|format_date:"%B" }} {{ filing_deadline|format_date:"%B" }} {{ statute_of_limitations|format_date:"%A %B" }}`,
			lang: "es", tz: "UTC", date: Day(2026, 1, 1), want: "enero agosto miércoles diciembre"},
		{name: "strftime", src: `{{ next_court_date|format_date:"%a %-d %b %Y %H:%M %I%p %%" }}`, lang: "en", tz: "America/Chicago",
			date: At(time.Date(2026, 7, 4, 18, 5, 0, 0, time.UTC)), want: "Sat 4 Jul 2026 13:05 01PM %"},
		{name: "go layout localized", src: `{{ next_court_date|format_date:"Monday 2 January 2006, 15:04" }}`, lang: "es", tz: "Europe/Madrid",
			date: At(time.Date(2026, 12, 24, 23, 30, 0, 0, time.UTC)), want: "viernes 25 diciembre 2026, 00:30"},
		{name: "datetime moves to client zone (previous day)", src: "{{ next_court_date|format_date:\"long\" }} {{ next_court_date|format_time }}", lang: "en", tz: "America/Los_Angeles",
			date: At(time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)), want: "March 9, 2026 8:00 PM"},
		{name: "date-only is not shifted", src: "{{ next_court_date|format_date:\"long\" }}", lang: "en", tz: "Pacific/Honolulu",
			date: Day(2026, 3, 10), want: "March 10, 2026"},
		{name: "date-only stored at local midnight elsewhere is not shifted", src: "{{ next_court_date|format_date:\"long\" }}", lang: "en", tz: "Asia/Tokyo",
			date: Date{T: time.Date(2026, 3, 10, 0, 0, 0, 0, ny), DateOnly: true}, want: "March 10, 2026"},
		{name: "DST start day, after the jump", src: "{{ next_court_date|format_date:\"when\" }}", lang: "en", tz: "America/New_York",
			date: At(time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)), want: "Sunday, March 8, 2026 at 3:30 AM"},
		{name: "DST start day, before the jump", src: "{{ next_court_date|format_date:\"when\" }}", lang: "en", tz: "America/New_York",
			date: At(time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)), want: "Sunday, March 8, 2026 at 1:30 AM"},
		{name: "DST end day es", src: "{{ next_court_date|format_date:\"when\" }}", lang: "es", tz: "America/New_York",
			date: At(time.Date(2026, 11, 1, 18, 15, 0, 0, time.UTC)), want: "domingo, 1 de noviembre de 2026 a la 1:15 p. m."},
		{name: "when for date-only has no time", src: "{{ next_court_date|format_date:\"when\" }}", lang: "en", tz: "UTC",
			date: Day(2026, 3, 16), want: "Monday, March 16, 2026"},
		{name: "format_time en", src: "{{ next_court_date|format_time }}", lang: "en", tz: "America/New_York",
			date: At(time.Date(2026, 6, 1, 18, 30, 0, 0, time.UTC)), want: "2:30 PM"},
		{name: "format_time es", src: "{{ next_court_date|format_time }}", lang: "es", tz: "America/New_York",
			date: At(time.Date(2026, 6, 1, 13, 5, 0, 0, time.UTC)), want: "9:05 a. m."},
		{name: "format_time with layout", src: `{{ next_court_date|format_time:"15:04" }}`, lang: "en", tz: "America/New_York",
			date: At(time.Date(2026, 6, 1, 18, 30, 0, 0, time.UTC)), want: "14:30"},
		{name: "days_until across DST start", src: "{{ next_court_date|days_until }}", lang: "en", tz: "America/New_York",
			now:  time.Date(2026, 3, 7, 23, 0, 0, 0, ny), // Saturday 11 PM
			date: At(time.Date(2026, 3, 9, 0, 30, 0, 0, ny)), want: "2"},
		{name: "days_until uses the client's today", src: "{{ next_court_date|days_until }}", lang: "en", tz: "America/Los_Angeles",
			now:  time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), // still March 9 in Los Angeles
			date: Day(2026, 3, 10), want: "1"},
		{name: "days_until past is negative", src: "{{ next_court_date|days_until }}", lang: "en", tz: "UTC",
			now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), date: Day(2026, 3, 7), want: "-3"},
		{name: "date without filter uses the full style", src: "{{ next_court_date }}", lang: "en", tz: "UTC",
			date: Day(2026, 3, 16), want: "Monday, March 16, 2026"},
		{name: "default on missing date", src: `{{ next_court_date|format_date|default:"TBD" }}`, lang: "en", tz: "UTC",
			want: "TBD"},
		{name: "string filters", src: `{{ client_first_name|upper }} {{ client_last_name|lower }} {{ firm_name|lower|title }} {{ event_type|default:"hearing" }}`,
			lang: "en", tz: "UTC", date: Day(2026, 1, 1), want: "MARIA alvarez Reyes & Partners Law hearing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = fixedNow
			}
			e := New(Options{Now: func() time.Time { return now }})
			v := SampleVars()
			v.PreferredLanguage, v.Timezone, v.NextCourtDate, v.EventType = tt.lang, tt.tz, tt.date, ""
			v.FilingDeadline, v.StatuteOfLimitations = Day(2026, 8, 1), Day(2026, 12, 2)
			got, err := e.Render(Template{Channel: ChannelSMS, SMS: tt.src}, v)
			if err != nil {
				t.Fatalf("Render(%q) error: %v", tt.src, err)
			}
			if got.SMS != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.src, got.SMS, tt.want)
			}
		})
	}
}

func TestTemplateLanguageWins(t *testing.T) {
	v := SampleVars()
	v.PreferredLanguage = "es-MX"
	e := newTestEngine()
	src := `{{ next_court_date|format_date:"%B" }}`
	// An unsupported template language falls back to the firm locale.
	for _, tt := range []struct{ lang, want string }{{"", "marzo"}, {"en", "March"}, {"es", "marzo"}, {"fr", "March"}} {
		got, err := e.Render(Template{Channel: ChannelSMS, Language: tt.lang, SMS: src}, v)
		if err != nil {
			t.Fatal(err)
		}
		if got.SMS != tt.want {
			t.Errorf("Render(Language %q) = %q, want %q", tt.lang, got.SMS, tt.want)
		}
	}
}

func TestRenderInvalidTimezone(t *testing.T) {
	v := SampleVars()
	v.Timezone = "Eastern"
	_, err := newTestEngine().Render(Template{Channel: ChannelSMS, SMS: "x"}, v)
	if !errors.Is(err, ErrVars) {
		t.Errorf("Render() error = %v, want ErrVars", err)
	}
}
