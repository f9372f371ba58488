package sanitize

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatalf("load America/Chicago: %v (install tzdata)", err)
	}
	tests := []struct {
		name, raw string
		order     DateOrder
		want      string // Date.String(), "" for nil
		format    string
		bad       bool // expect an unparseable_date finding
	}{
		{"empty", "", MDY, "", "", false},
		{"iso date", "2026-03-04", MDY, "2026-03-04", DateFormatISODate, false},
		{"rfc3339 Z", "2026-03-04T15:00:00Z", MDY, "2026-03-04T15:00:00Z", DateFormatRFC3339, false},
		{"rfc3339 offset", "2026-03-04T09:00:00-06:00", MDY, "2026-03-04T09:00:00-06:00", DateFormatRFC3339, false},
		{"offset without colon", "2026-03-04T09:00:00-0600", MDY, "2026-03-04T09:00:00-06:00", DateFormatRFC3339, false},
		{"offset hours only", "2026-03-04T09:00:00+05", MDY, "2026-03-04T09:00:00+05:00", DateFormatRFC3339, false},
		{"fractional seconds", "2026-03-04T15:00:00.123456Z", MDY, "2026-03-04T15:00:00.123456Z", DateFormatRFC3339, false},
		{"space separator", "2026-03-04 15:00:00Z", MDY, "2026-03-04T15:00:00Z", DateFormatRFC3339, false},
		{"no offset is firm time CST", "2026-03-04T09:00:00", MDY, "2026-03-04T09:00:00-06:00", DateFormatISOLocal, false},
		{"no offset is firm time CDT", "2026-07-04 09:00", MDY, "2026-07-04T09:00:00-05:00", DateFormatISOLocal, false},
		{"rfc1123", "Wed, 04 Mar 2026 15:00:00 GMT", MDY, "2026-03-04T15:00:00Z", DateFormatRFC1123, false},
		{"rfc1123z", "Wed, 04 Mar 2026 09:00:00 -0600", MDY, "2026-03-04T09:00:00-06:00", DateFormatRFC1123, false},
		{"rfc1123 firm abbreviation", "Wed, 04 Mar 2026 09:00:00 CST", MDY, "2026-03-04T09:00:00-06:00", DateFormatRFC1123, false},
		{"rfc1123 foreign abbreviation", "Wed, 04 Mar 2026 09:00:00 JST", MDY, "", DateFormatRFC1123, true},
		{"ansic", "Wed Mar  4 09:00:00 2026", MDY, "2026-03-04T09:00:00-06:00", DateFormatRFC1123, false},
		{"rfc850", "Wednesday, 04-Mar-26 15:00:00 UTC", MDY, "2026-03-04T15:00:00Z", DateFormatRFC1123, false},
		{"m/d/yyyy", "3/4/2026", MDY, "2026-03-04", "m/d/yyyy", false},
		{"mm/dd/yyyy", "03/04/2026", MDY, "2026-03-04", "m/d/yyyy", false},
		{"m/d/yy", "3/4/26", MDY, "2026-03-04", "m/d/yy", false},
		{"m/d/yy 1900s", "3/4/85", MDY, "1985-03-04", "m/d/yy", false},
		{"m-d-yyyy", "3-4-2026", MDY, "2026-03-04", "m-d-yyyy", false},
		{"m/d/yyyy time am", "3/4/2026 9:00 AM", MDY, "2026-03-04T09:00:00-06:00", "m/d/yyyy + time", false},
		{"m/d/yyyy time pm", "3/4/2026 2:30pm", MDY, "2026-03-04T14:30:00-06:00", "m/d/yyyy + time", false},
		{"m/d/yyyy 12 am", "3/4/2026 12:15 AM", MDY, "2026-03-04T00:15:00-06:00", "m/d/yyyy + time", false},
		{"m/d/yyyy 24h", "3/4/2026 14:05", MDY, "2026-03-04T14:05:00-06:00", "m/d/yyyy + time", false},
		{"DMY order", "4/3/2026", DMY, "2026-03-04", "d/m/yyyy", false},
		{"DMY with time", "04/03/2026 09:00", DMY, "2026-03-04T09:00:00-06:00", "d/m/yyyy + time", false},
		{"DST day spring forward", "3/8/2026 9:00 AM", MDY, "2026-03-08T09:00:00-05:00", "m/d/yyyy + time", false},
		{"yyyy/mm/dd", "2026/03/04", MDY, "2026-03-04", DateFormatYMDSlash, false},
		{"month name", "March 4, 2026", MDY, "2026-03-04", DateFormatMonthName, false},
		{"month abbrev time", "Mar 4 2026 9:00 AM", MDY, "2026-03-04T09:00:00-06:00", DateFormatMonthName + " + time", false},
		{"ordinal at time", "March 4th, 2026 at 2:30pm", MDY, "2026-03-04T14:30:00-06:00", DateFormatMonthName + " + time", false},
		{"day first", "4 March 2026", MDY, "2026-03-04", DateFormatMonthName, false},
		{"weekday prefix", "Wednesday, March 4, 2026", MDY, "2026-03-04", DateFormatMonthName, false},
		{"abbrev with dot", "Sept. 14, 2026", MDY, "2026-09-14", DateFormatMonthName, false},
		{"of form", "4th of March 2026", MDY, "2026-03-04", DateFormatMonthName, false},
		{"compact", "20260304", MDY, "2026-03-04", DateFormatCompact, false},
		{"compact impossible", "20261304", MDY, "", DateFormatCompact, true},
		{"unix seconds", "1772582400", MDY, "2026-03-03T18:00:00-06:00", DateFormatUnixSeconds, false},
		{"unix millis", "1772582400000", MDY, "2026-03-03T18:00:00-06:00", DateFormatUnixMillis, false},
		{"unix float", "1.7725824e9", MDY, "2026-03-03T18:00:00-06:00", DateFormatUnixSeconds, false},
		{"unix zero", "0", MDY, "", DateFormatUnknown, true},
		{"dotnet", "/Date(1772582400000)/", MDY, "2026-03-04T00:00:00Z", DateFormatDotNet, false},
		{"dotnet offset", "/Date(1772582400000-0600)/", MDY, "2026-03-03T18:00:00-06:00", DateFormatDotNet, false},
		{"dotnet escaped", `\/Date(1772582400000)\/`, MDY, "2026-03-04T00:00:00Z", DateFormatDotNet, false},
		{"dotnet impossible offset", "/Date(1000+27)/", MDY, "", DateFormatDotNet, true},
		{"dotnet offset minutes 60", "/Date(1000+0160)/", MDY, "", DateFormatDotNet, true},
		{"rfc3339 impossible offset", "2026-03-04T09:00:00+15:00", MDY, "", DateFormatRFC3339, true},
		{"rfc3339 kiribati", "2026-03-04T09:00:00+14:00", MDY, "2026-03-04T09:00:00+14:00", DateFormatRFC3339, false},
		{"sentinel 0001", "0001-01-01T00:00:00Z", MDY, "", DateFormatRFC3339, true},
		{"sentinel 0001 date", "0001-01-01", MDY, "", DateFormatISODate, true},
		{"sentinel 1900", "1900-01-01", MDY, "", DateFormatISODate, true},
		{"sentinel 9999", "9999-12-31", MDY, "", DateFormatISODate, true},
		{"sentinel zeros", "00/00/0000", MDY, "", "m/d/yyyy", true},
		{"impossible feb 30", "2/30/2026", MDY, "", "m/d/yyyy", true},
		{"impossible month 13", "13/45/2026", MDY, "", "m/d/yyyy", true},
		{"impossible hour", "3/4/2026 25:00", MDY, "", "m/d/yyyy + time", true},
		{"bad clock", "3/4/2026 soon", MDY, "", "m/d/yyyy + time", true},
		{"leap day ok", "2/29/2028", MDY, "2028-02-29", "m/d/yyyy", false},
		{"TBD", "TBD", MDY, "", DateFormatPlaceholder, true},
		{"n/a", "n/a", MDY, "", DateFormatPlaceholder, true},
		{"pending", "Pending", MDY, "", DateFormatPlaceholder, true},
		{"garbage", "next tuesday", MDY, "", DateFormatUnknown, true},
		{"month without day", "March 2026", MDY, "", DateFormatUnknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseDate(tt.raw, DateOptions{Location: chicago, Order: tt.order})
			gotS := ""
			if got.Date != nil {
				gotS = got.Date.String()
			}
			if gotS != tt.want {
				t.Errorf("ParseDate(%q) = %q, want %q", tt.raw, gotS, tt.want)
			}
			if got.Format != tt.format {
				t.Errorf("ParseDate(%q).Format = %q, want %q", tt.raw, got.Format, tt.format)
			}
			gotBad := len(got.Findings) == 1 && got.Findings[0].Code == CodeUnparseableDate && got.Findings[0].Raw == tt.raw
			if gotBad != tt.bad || (!tt.bad && len(got.Findings) > 0) {
				t.Errorf("ParseDate(%q) findings = %+v, want unparseable_date: %v", tt.raw, got.Findings, tt.bad)
			}
		})
	}
}

func TestDateJSONRoundTrip(t *testing.T) {
	tests := []string{`"2026-03-04"`, `"2026-03-04T09:00:00-06:00"`, `"2026-03-04T15:00:00.5Z"`}
	for _, in := range tests {
		var d Date
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("unmarshal %s: %v", in, err)
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %s: %v", in, err)
		}
		if string(out) != in {
			t.Errorf("round trip of %s = %s, want the input", in, out)
		}
	}
	var d Date
	if err := json.Unmarshal([]byte(`"3/4/2026"`), &d); err == nil {
		t.Errorf("unmarshal of a non-canonical date = nil error, want an error")
	}
}

func TestDateEqual(t *testing.T) {
	a := Date{Time: time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)}
	b := Date{Time: time.Date(2026, 3, 4, 9, 0, 0, 0, time.FixedZone("", -6*3600))}
	if !a.Equal(b) {
		t.Errorf("%v.Equal(%v) = false, want true (same instant)", a, b)
	}
	c := Date{Time: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), DateOnly: true}
	if c.Equal(Date{Time: c.Time}) {
		t.Errorf("date-only equals date-time at midnight, want not equal")
	}
}

func TestParseDateOrder(t *testing.T) {
	tests := []struct {
		in      string
		want    DateOrder
		wantErr bool
	}{{"", MDY, false}, {"mdy", MDY, false}, {"DMY", DMY, false}, {"YMD", "", true}}
	for _, tt := range tests {
		got, err := ParseDateOrder(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseDateOrder(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
