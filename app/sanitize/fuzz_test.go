package sanitize

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-04", "3/4/2026 9:00 AM", "March 4th, 2026 at 2:30pm", "/Date(1772582400000-0600)/", "1772582400000", "TBD"} {
		f.Add(s, false)
	}
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		f.Fatalf("load America/Chicago: %v", err)
	}
	f.Fuzz(func(t *testing.T, raw string, dmy bool) {
		order := MDY
		if dmy {
			order = DMY
		}
		got := ParseDate(raw, DateOptions{Location: chicago, Order: order})
		if got.Date == nil {
			if strings.TrimSpace(raw) != "" && len(got.Findings) != 1 {
				t.Fatalf("ParseDate(%q) = nil with findings %v, want one unparseable_date", raw, got.Findings)
			}
			return
		}
		if len(got.Findings) != 0 {
			t.Fatalf("ParseDate(%q) = %v with findings %v, want none", raw, got.Date, got.Findings)
		}
		d := *got.Date
		if y := d.Time.Year(); y < minYear || y > maxYear {
			t.Fatalf("ParseDate(%q) year = %d, want %d..%d", raw, y, minYear, maxYear)
		}
		if d.DateOnly {
			if h, m, s := d.Time.Clock(); h != 0 || m != 0 || s != 0 || d.Time.Nanosecond() != 0 || d.Time.Location() != time.UTC {
				t.Fatalf("ParseDate(%q) date-only value %v has a clock or zone", raw, d.Time)
			}
		}
		var back Date
		if err := back.UnmarshalText([]byte(d.String())); err != nil || !back.Equal(d) {
			t.Fatalf("ParseDate(%q) = %s does not round-trip: %v, %v", raw, d, back, err)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"(312) 867-5309 (cell)", "+44 7911 123456", "1-800-275-2273", "312-867-5309 / 773-202-5862", "N/A", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Phone(raw, "US")
		if got.E164 == nil {
			return
		}
		e := *got.E164
		if len(e) < 3 || e[0] != '+' || strings.Trim(e[1:], "0123456789") != "" {
			t.Fatalf("Phone(%q) = %q, want + and digits only", raw, e)
		}
		for _, f := range got.Findings {
			if f.Code != CodeMultipleValues {
				t.Fatalf("Phone(%q) = %q with finding %v, want only multiple_values beside a value", raw, e, f)
			}
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"Jane <jane@example.com>", "jane@gmail,com", "mailto:a@b.co", "a@b.com; c@d.com", "jane@gmial.com", "jane.gmail.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Email(raw)
		check := func(what, addr string) {
			if strings.Count(addr, "@") != 1 || strings.ContainsAny(addr, " \t\r\n,;<>") || !utf8.ValidString(addr) {
				t.Fatalf("Email(%q) %s = %q, want one @ and no spaces or separators", raw, what, addr)
			}
			_, domain, _ := strings.Cut(addr, "@")
			if domain != strings.ToLower(domain) {
				t.Fatalf("Email(%q) %s domain %q is not lower-case", raw, what, domain)
			}
		}
		if got.Address != nil {
			check("address", *got.Address)
		}
		for _, f := range got.Findings {
			if f.Suggestion != "" {
				check("suggestion", f.Suggestion)
			}
		}
	})
}
