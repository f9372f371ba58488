package sanitize

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date formats reported in DateResult.Format, for the data audit. Numeric
// formats get a " + time" suffix when a clock time follows the date.
const (
	DateFormatRFC3339     = "RFC 3339"
	DateFormatISOLocal    = "ISO 8601 without offset"
	DateFormatISODate     = "ISO 8601 date"
	DateFormatRFC1123     = "RFC 1123"
	DateFormatMonthName   = "month name"
	DateFormatCompact     = "yyyymmdd"
	DateFormatYMDSlash    = "yyyy/mm/dd"
	DateFormatUnixSeconds = "unix seconds"
	DateFormatUnixMillis  = "unix milliseconds"
	DateFormatDotNet      = ".NET /Date()/"
	DateFormatPlaceholder = "placeholder"
	DateFormatUnknown     = "unrecognised"
)

// DateOptions configures ParseDate.
type DateOptions struct {
	// Location is the firm's time zone, used for times written without an
	// offset. Nil means UTC.
	Location *time.Location
	// Order reads ambiguous numeric dates; "" means MDY.
	Order DateOrder
}

// DateResult is the outcome of parsing one raw date field.
type DateResult struct {
	Date     *Date
	Format   string
	Findings []Finding
}

// Plausible years. Anything outside is a sentinel (0001-01-01, 1900-01-01,
// 9999-12-31) or a typo, and is reported rather than stored.
const (
	minYear = 1901
	maxYear = 2199
)

var (
	isoRe       = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$`)
	numericRe   = regexp.MustCompile(`^(\d{1,2})([/.-])(\d{1,2})([/.-])(\d{4}|\d{2})(?:(?:\s*,\s*|\s+|[Tt])(.+))?$`)
	ymdRe       = regexp.MustCompile(`^(\d{4})/(\d{1,2})/(\d{1,2})(?:(?:\s+|[Tt])(.+))?$`)
	clockRe     = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(?:\.(\d{1,9}))?\s*(?:([ap])\.?\s*m?\.?)?$`)
	dotNetRe    = regexp.MustCompile(`^\\?/Date\((-?\d+)([+-]\d{2})(\d{2})?\)\\?/$|^\\?/Date\((-?\d+)\)\\?/$`)
	numberRe    = regexp.MustCompile(`^\d+(?:\.\d+)?(?:[eE]\+?\d+)?$`)
	monthRe     = regexp.MustCompile(`^(?:([a-z]+)\s+(\d{1,2})|(\d{1,2})\s+(?:of\s+)?([a-z]+))\s+(\d{4})(?:\s+(.+))?$`)
	ordinalRe   = regexp.MustCompile(`(\d)(?:st|nd|rd|th)\b`)
	abbrevDotRe = regexp.MustCompile(`([a-z])\.`)
	weekdayRe   = regexp.MustCompile(`^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?\b\.?\s*`)
)

var dateWords = map[string]struct{}{
	"tbd": {}, "tba": {}, "n/a": {}, "na": {}, "pending": {}, "none": {}, "unknown": {},
	"null": {}, "nil": {}, "-": {}, "--": {}, "?": {}, "not set": {}, "to be determined": {},
}

var rfcLayouts = []string{
	time.RFC1123, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 -0700",
	time.RFC850, time.ANSIC, time.UnixDate, time.RFC822, time.RFC822Z,
}

// ParseDate parses a date or date-time written in any of the formats CMS
// exports use: ISO 8601 / RFC 3339 (with "T" or a space, fractional seconds,
// offsets with or without a colon), RFC 1123(Z), RFC 850, ANSIC, numeric
// m/d/yyyy and m/d/yy (or d/m/… when opts.Order is DMY) with an optional
// clock time, yyyy/mm/dd, month names ("March 4th, 2026 at 2:30pm",
// "4 March 2026"), compact yyyymmdd, Unix seconds or milliseconds (chosen by
// magnitude: 1e8 up to 1e11 is seconds, then milliseconds; smaller numbers
// are rejected) and .NET "/Date(ms±hhmm)/".
//
// A value without a clock time stays a date-only value. A clock time without
// an offset is read in opts.Location with time.Date, so DST is applied for
// that day. Two-digit years are 20yy below 70 and 19yy otherwise.
//
// Empty input yields nil and no finding. Placeholder words ("TBD", "n/a",
// "pending"), impossible dates (2/30/2026), sentinels (0001-01-01,
// 1900-01-01, 9999-12-31, 00/00/0000, Unix 0) and anything unrecognised yield
// nil and an unparseable_date finding.
func ParseDate(raw string, opts DateOptions) DateResult {
	s := strings.TrimSpace(raw)
	if s == "" {
		return DateResult{}
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if _, ok := dateWords[placeholderKey(s)]; ok {
		return DateResult{Format: DateFormatPlaceholder, Findings: []Finding{{Code: CodeUnparseableDate, Raw: raw}}}
	}
	d, format, ok := parseDate(s, opts)
	if ok && (d.Time.Year() < minYear || d.Time.Year() > maxYear || isEpochZero(d)) {
		ok = false
	}
	if !ok {
		if format == "" {
			format = DateFormatUnknown
		}
		return DateResult{Format: format, Findings: []Finding{{Code: CodeUnparseableDate, Raw: raw}}}
	}
	return DateResult{Date: &d, Format: format}
}

func isEpochZero(d Date) bool {
	if d.DateOnly {
		return d.String() == "1970-01-01"
	}
	return d.Time.Unix() == 0
}

// parseDate tries each format in turn. When a format's shape matched but its
// values were impossible it returns the format name with ok false.
func parseDate(s string, opts DateOptions) (Date, string, bool) {
	if m := isoRe.FindStringSubmatch(s); m != nil {
		return parseISO(m, opts.Location)
	}
	if m := numericRe.FindStringSubmatch(s); m != nil && m[2] == m[4] {
		return parseNumeric(m, opts)
	}
	if m := ymdRe.FindStringSubmatch(s); m != nil {
		return withClock(DateFormatYMDSlash, atoi(m[1]), atoi(m[2]), atoi(m[3]), m[4], opts.Location)
	}
	if m := dotNetRe.FindStringSubmatch(s); m != nil {
		return parseDotNet(m)
	}
	if numberRe.MatchString(s) {
		return parseNumber(s, opts.Location)
	}
	for _, layout := range rfcLayouts {
		if t, err := time.ParseInLocation(layout, s, opts.Location); err == nil {
			name, off := t.Zone()
			if off == 0 && t.Location() != time.UTC && !strings.Contains(layout, "-0700") &&
				name != "UTC" && name != "GMT" && name != "UT" && name != "Z" && opts.Location.String() != name {
				// Go fabricates a zero offset for unknown zone abbreviations.
				return Date{}, DateFormatRFC1123, false
			}
			return Date{Time: t}, DateFormatRFC1123, true
		}
	}
	return parseMonthName(s, opts.Location)
}

func parseISO(m []string, loc *time.Location) (Date, string, bool) {
	y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if m[4] == "" {
		return dateOnly(DateFormatISODate, y, mo, d)
	}
	format := DateFormatISOLocal
	if m[8] != "" {
		format = DateFormatRFC3339
		if loc = parseOffset(m[8]); loc == nil {
			return Date{}, format, false
		}
	}
	ns := 0
	if m[7] != "" {
		ns = atoi((m[7] + "00000000")[:9])
	}
	t, ok := mkTime(y, mo, d, atoi(m[4]), atoi(m[5]), atoi(m[6]), ns, loc)
	return Date{Time: t}, format, ok
}

// parseOffset reads "Z", "±hh", "±hhmm" or "±hh:mm". It returns nil for an
// offset no place on Earth uses (beyond ±14:00, or minutes of 60 or more).
func parseOffset(z string) *time.Location {
	if z == "Z" || z == "z" {
		return time.UTC
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	mins := 0
	if len(digits) >= 4 {
		mins = atoi(digits[2:4])
	}
	return offsetZone(z[0], atoi(digits[:2]), mins)
}

// offsetZone builds a fixed zone, or nil when the offset is impossible.
func offsetZone(sign byte, hours, mins int) *time.Location {
	if hours > 14 || mins >= 60 || (hours == 14 && mins > 0) {
		return nil
	}
	secs := hours*3600 + mins*60
	if sign == '-' {
		secs = -secs
	}
	return time.FixedZone("", secs)
}

func parseNumeric(m []string, opts DateOptions) (Date, string, bool) {
	a, b, y := atoi(m[1]), atoi(m[3]), atoi(m[5])
	format := "m/d/yyyy"
	mo, d := a, b
	if opts.Order == DMY {
		format, mo, d = "d/m/yyyy", b, a
	}
	if len(m[5]) == 2 {
		format = format[:len(format)-2]
		y += 1900
		if y < 1970 {
			y += 100
		}
	}
	if m[2] != "/" {
		format = strings.ReplaceAll(format, "/", m[2])
	}
	return withClock(format, y, mo, d, m[6], opts.Location)
}

// withClock builds a date-only value, or a date-time when clock is not empty.
func withClock(format string, y, mo, d int, clock string, loc *time.Location) (Date, string, bool) {
	if clock == "" {
		return dateOnly(format, y, mo, d)
	}
	format += " + time"
	h, mi, sec, ns, ok := parseClock(clock)
	if !ok {
		return Date{}, format, false
	}
	t, ok := mkTime(y, mo, d, h, mi, sec, ns, loc)
	return Date{Time: t}, format, ok
}

// parseClock reads "9:00 AM", "2:30pm", "14:30", "9am", "09:15:30.5".
func parseClock(s string) (h, mi, sec, ns int, ok bool) {
	m := clockRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil || (m[2] == "" && m[5] == "") {
		return 0, 0, 0, 0, false
	}
	h, mi, sec = atoi(m[1]), atoi(m[2]), atoi(m[3])
	if m[4] != "" {
		ns = atoi((m[4] + "00000000")[:9])
	}
	switch m[5] {
	case "a", "p":
		if h < 1 || h > 12 {
			return 0, 0, 0, 0, false
		}
		h %= 12
		if m[5] == "p" {
			h += 12
		}
	}
	return h, mi, sec, ns, true
}

func parseDotNet(m []string) (Date, string, bool) {
	msStr, loc := m[4], time.UTC
	if m[1] != "" {
		msStr = m[1]
		if loc = offsetZone(m[2][0], atoi(m[2][1:]), atoi(m[3])); loc == nil {
			return Date{}, DateFormatDotNet, false
		}
	}
	ms, err := strconv.ParseInt(msStr, 10, 64)
	if err != nil {
		return Date{}, DateFormatDotNet, false
	}
	return Date{Time: time.UnixMilli(ms).In(loc)}, DateFormatDotNet, true
}

// parseNumber reads yyyymmdd (exactly eight digits) or a Unix timestamp.
func parseNumber(s string, loc *time.Location) (Date, string, bool) {
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return dateOnly(DateFormatCompact, atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v > 1e15 || v < 1e8 {
		return Date{}, DateFormatUnknown, false
	}
	if v >= 1e11 {
		return Date{Time: time.UnixMilli(int64(v)).In(loc)}, DateFormatUnixMillis, true
	}
	sec, frac := math.Modf(v)
	return Date{Time: time.Unix(int64(sec), int64(frac*1e9)).In(loc)}, DateFormatUnixSeconds, true
}

var months = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
	"october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// parseMonthName reads "March 4, 2026", "Mar. 4 2026 9:00 AM",
// "Wednesday, March 4th, 2026 at 2:30pm" and "4 March 2026".
func parseMonthName(s string, loc *time.Location) (Date, string, bool) {
	n := strings.ToLower(s)
	n = strings.NewReplacer(",", " ", " at ", " ", "@", " ").Replace(n)
	n = strings.Join(strings.Fields(n), " ")
	n = weekdayRe.ReplaceAllString(n, "")
	n = ordinalRe.ReplaceAllString(n, "$1")
	n = abbrevDotRe.ReplaceAllString(n, "$1")
	m := monthRe.FindStringSubmatch(n)
	if m == nil {
		return Date{}, "", false
	}
	name, day := m[1], m[2]
	if name == "" {
		name, day = m[4], m[3]
	}
	mo, ok := months[name]
	if !ok {
		return Date{}, "", false
	}
	return withClock(DateFormatMonthName, atoi(m[5]), int(mo), atoi(day), m[6], loc)
}

func dateOnly(format string, y, mo, d int) (Date, string, bool) {
	if !validYMD(y, mo, d) {
		return Date{}, format, false
	}
	return Date{Time: time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), DateOnly: true}, format, true
}

// mkTime builds a time in loc after checking every component is in range, so
// 2/30 or 25:00 is rejected instead of normalised.
func mkTime(y, mo, d, h, mi, s, ns int, loc *time.Location) (time.Time, bool) {
	if !validYMD(y, mo, d) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc), true
}

func validYMD(y, mo, d int) bool {
	if mo < 1 || mo > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// atoi converts a string the regexps above already proved to be digits; an
// empty string is 0.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
