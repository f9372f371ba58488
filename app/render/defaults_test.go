package render

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/templates"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// fixedNow is the clock for golden renders: one week before the sample
// court date (Monday 2026-03-16 09:30 America/New_York).
var fixedNow = time.Date(2026, time.March, 9, 14, 0, 0, 0, time.UTC)

func newTestEngine() *Engine {
	ny, _ := time.LoadLocation("America/New_York")
	return New(Options{
		Now:            func() time.Time { return fixedNow },
		FirmLocation:   ny,
		Locale:         "en",
		SensitiveWords: []string{"felony", "plea deal", "diagnosis"},
	})
}

func toTemplate(d templates.Default) Template {
	return Template{Channel: d.Channel, Language: d.Language, Subject: d.Subject, HTML: d.HTML, Text: d.Text, SMS: d.SMS}
}

func loadDefaults(t *testing.T) []templates.Default {
	t.Helper()
	ds, err := templates.Defaults()
	if err != nil {
		t.Fatalf("templates.Defaults() error: %v", err)
	}
	return ds
}

// formatRendered is the golden-file form of a rendered message.
func formatRendered(r Rendered) string {
	if r.SMS != "" {
		return fmt.Sprintf("== sms (%d segments, %s, %d chars)\n%s\n", r.Segments, r.Encoding, len([]rune(r.SMS)), r.SMS)
	}
	return fmt.Sprintf("== subject\n%s\n== html\n%s\n== text\n%s\n", r.Subject, r.HTML, r.Text)
}

func TestDefaultsGolden(t *testing.T) {
	e := newTestEngine()
	for _, d := range loadDefaults(t) {
		name := fmt.Sprintf("%s.%s.%s", d.Key, d.Language, d.Channel)
		t.Run(name, func(t *testing.T) {
			v := SampleVars()
			v.PreferredLanguage = d.Language
			eng := e
			if d.Key == "court_reminder_1d" {
				// The 1-day reminder is rendered the day before the hearing.
				eng = New(Options{Now: func() time.Time { return fixedNow.AddDate(0, 0, 6) }})
			}
			r, err := eng.Render(toTemplate(d), v)
			if err != nil {
				t.Fatalf("Render() error: %v", err)
			}
			got := formatRendered(r)
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test ./app/render -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("Render() mismatch for %s\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func TestDefaultsLint(t *testing.T) {
	e := newTestEngine()
	for _, d := range loadDefaults(t) {
		t.Run(d.Key+"."+d.Language+"."+d.Channel, func(t *testing.T) {
			for _, p := range e.Lint(toTemplate(d)) {
				t.Errorf("Lint() problem: %s", p)
			}
		})
	}
}

func TestDefaultsCoverPlaybook(t *testing.T) {
	have := map[string]bool{}
	for _, d := range loadDefaults(t) {
		have[d.Key+"."+d.Language+"."+d.Channel] = true
	}
	want := []string{
		"welcome.*.email", "discovery_explainer.*.email",
		"settlement_offer.*.sms", "settlement_offer.*.email",
		"court_reminder_7d.*.email", "court_reminder_7d.*.sms",
		"court_reminder_1d.*.email", "court_reminder_1d.*.sms",
		"court_date_changed.*.email", "court_date_changed.*.sms",
		"contact_changed.*.email", "contact_changed.*.sms",
		"case_update_checkin.*.email", "case_update_checkin.*.sms",
		"satisfaction_checkin.*.sms",
	}
	for _, w := range want {
		for _, lang := range []string{"en", "es"} {
			k := strings.Replace(w, "*", lang, 1)
			if !have[k] {
				t.Errorf("default template %s is missing", k)
			}
		}
	}
}

func TestSettlementSMSIsExact(t *testing.T) {
	e := newTestEngine()
	for _, d := range loadDefaults(t) {
		if d.Key != "settlement_offer" || d.Channel != ChannelSMS || d.Language != "en" {
			continue
		}
		r, err := e.Render(toTemplate(d), SampleVars())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.SMS, "We have received a settlement offer.") {
			t.Errorf("settlement SMS = %q, want it to start with %q", r.SMS, "We have received a settlement offer.")
		}
		if hits := ScanPrivileged(r.SMS, []string{"felony"}); len(hits) != 0 {
			t.Errorf("ScanPrivileged(settlement SMS) = %v, want no hits", hits)
		}
	}
}
