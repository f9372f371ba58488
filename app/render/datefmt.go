package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// formatContext is what date filters need to know about one render.
type formatContext struct {
	loc  *time.Location // the client's zone
	lang string         // "en" or "es"
	now  time.Time      // from the engine's injected clock
}

// dateValue is how a Date travels through a pongo2 context: it carries the
// render's formatContext because pongo2 filters receive only their input.
// It has no exported fields or methods besides String, so templates cannot
// reach into Go values through it.
type dateValue struct {
	d  Date
	fc formatContext
}

// String formats the date with the default layout, for `{{ next_court_date }}`
// written without a filter.
func (v dateValue) String() string {
	return formatDate(v.d, v.fc, "")
}

// local returns the wall-clock time to show: date-only values keep their
// calendar fields, datetimes move into the client's zone.
func (d Date) local(loc *time.Location) time.Time {
	if d.DateOnly {
		y, m, day := d.T.Date()
		return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	}
	return d.T.In(loc)
}

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
}

var monthAbbr = map[string][12]string{
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"es": {"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
}

var dayNames = map[string][7]string{
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	"es": {"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
}

var dayAbbr = map[string][7]string{
	"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	"es": {"dom", "lun", "mar", "mié", "jue", "vie", "sáb"},
}

// namedDateFormats are the strftime-like layouts behind format_date's
// named styles, per language. "full" is the default.
var namedDateFormats = map[string]map[string]string{
	"en": {"full": "%A, %B %-d, %Y", "long": "%B %-d, %Y", "medium": "%b %-d, %Y", "short": "%m/%d/%Y"},
	"es": {"full": "%A, %-d de %B de %Y", "long": "%-d de %B de %Y", "medium": "%-d %b %Y", "short": "%d/%m/%Y"},
}

// namedTimeFormats are format_time's default layouts per language.
var namedTimeFormats = map[string]string{
	"en": "%-I:%M %p",
	"es": "%-I:%M %p",
}

// formatDate formats d for fc. layout is a named style (full, long, medium,
// short), a strftime-like layout (contains '%') or a Go reference layout.
//
// The "when" style is the full date followed by the time of day when d has
// one ("Monday, March 16, 2026 at 9:30 AM"), so reminders read well whether
// the case system sent a date or a datetime.
func formatDate(d Date, fc formatContext, layout string) string {
	if layout == "" {
		layout = "full"
	}
	if layout == "when" {
		day := formatDate(d, fc, "full")
		if d.DateOnly {
			return day
		}
		t := d.local(fc.loc)
		clock := formatLayout(t, fc.lang, namedTimeFormats[fc.lang])
		if fc.lang == "es" {
			if h := t.Hour() % 12; h == 1 {
				return day + " a la " + clock
			}
			return day + " a las " + clock
		}
		return day + " at " + clock
	}
	if named, ok := namedDateFormats[fc.lang][layout]; ok {
		layout = named
	}
	return formatLayout(d.local(fc.loc), fc.lang, layout)
}

// formatTime formats the time of day of a datetime ("2:30 PM").
func formatTime(d Date, fc formatContext, layout string) (string, error) {
	if d.DateOnly {
		return "", fmt.Errorf("format_time: the value is a date without a time of day")
	}
	if layout == "" {
		layout = namedTimeFormats[fc.lang]
	}
	return formatLayout(d.local(fc.loc), fc.lang, layout), nil
}

// daysUntil counts calendar days from today (in the client's zone) to d.
// It works on civil dates, so DST days count as one day.
func daysUntil(d Date, fc formatContext) int {
	ty, tm, td := fc.now.In(fc.loc).Date()
	today := time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)
	y, m, day := d.local(fc.loc).Date()
	target := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	return int(target.Sub(today).Hours() / 24)
}

// formatLayout formats t with a strftime-like layout when it contains '%',
// otherwise with a Go reference layout; month and day names are localized.
func formatLayout(t time.Time, lang string, layout string) string {
	if _, ok := monthNames[lang]; !ok {
		lang = "en"
	}
	if strings.Contains(layout, "%") {
		return strftime(t, lang, layout)
	}
	return goLayout(t, lang, layout)
}

// strftime implements the subset of strftime useful in messages:
// %A %a %B %b %d %-d %e %m %-m %Y %y %H %I %-I %M %p %Z %%.
func strftime(t time.Time, lang, layout string) string {
	var b strings.Builder
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c != '%' || i+1 >= len(layout) {
			b.WriteByte(c)
			continue
		}
		i++
		noPad := false
		if layout[i] == '-' && i+1 < len(layout) {
			noPad = true
			i++
		}
		pad := func(n int) string {
			if noPad {
				return strconv.Itoa(n)
			}
			return fmt.Sprintf("%02d", n)
		}
		switch layout[i] {
		case 'A':
			b.WriteString(dayNames[lang][t.Weekday()])
		case 'a':
			b.WriteString(dayAbbr[lang][t.Weekday()])
		case 'B':
			b.WriteString(monthNames[lang][t.Month()-1])
		case 'b':
			b.WriteString(monthAbbr[lang][t.Month()-1])
		case 'd':
			b.WriteString(pad(t.Day()))
		case 'e':
			b.WriteString(strconv.Itoa(t.Day()))
		case 'm':
			b.WriteString(pad(int(t.Month())))
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'H':
			b.WriteString(pad(t.Hour()))
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h))
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'p':
			b.WriteString(meridiem(t, lang))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if noPad {
				b.WriteByte('-')
			}
			b.WriteByte(layout[i])
		}
	}
	return b.String()
}

// meridiem returns AM/PM in English and "a. m."/"p. m." in Spanish (RAE).
func meridiem(t time.Time, lang string) string {
	pm := t.Hour() >= 12
	switch {
	case lang == "es" && pm:
		return "p. m."
	case lang == "es":
		return "a. m."
	case pm:
		return "PM"
	default:
		return "AM"
	}
}

// goNameTokens are the Go layout elements that spell words, longest first.
var goNameTokens = []string{"January", "Monday", "Jan", "Mon", "PM", "pm"}

// goLayout formats with a Go reference layout, replacing the name elements
// by localized names; the other elements are formatted by time.Format.
func goLayout(t time.Time, lang, layout string) string {
	var b strings.Builder
	rest := layout
	for rest != "" {
		idx, tok := -1, ""
		for _, cand := range goNameTokens {
			if i := strings.Index(rest, cand); i >= 0 && (idx < 0 || i < idx) {
				idx, tok = i, cand
			}
		}
		if idx < 0 {
			b.WriteString(t.Format(rest))
			break
		}
		b.WriteString(t.Format(rest[:idx]))
		switch tok {
		case "January":
			b.WriteString(monthNames[lang][t.Month()-1])
		case "Monday":
			b.WriteString(dayNames[lang][t.Weekday()])
		case "Jan":
			b.WriteString(monthAbbr[lang][t.Month()-1])
		case "Mon":
			b.WriteString(dayAbbr[lang][t.Weekday()])
		case "PM":
			b.WriteString(meridiem(t, lang))
		case "pm":
			b.WriteString(strings.ToLower(meridiem(t, lang)))
		}
		rest = rest[idx+len(tok):]
	}
	return b.String()
}
