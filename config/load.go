package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// loader reads typed values and collects one message per unparsable variable.
type loader struct {
	getenv func(string) string
	errs   []string
}

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

func (l *loader) list(name string) []string { return splitList(l.getenv(name)) }

func (l *loader) int(name string, def int) int {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a whole number", name, v))
		return def
	}
	return n
}

func (l *loader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not true or false", name, v))
		return def
	}
	return b
}

func (l *loader) duration(name, def string) time.Duration {
	v := l.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a duration; e.g. 10m, 90s, 0", name, v))
		d, _ = time.ParseDuration(def)
	}
	return d
}

func (l *loader) durations(name, def string) []time.Duration {
	v := l.str(name, def)
	var out []time.Duration
	for _, part := range splitList(v) {
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a positive duration in the list %q; e.g. 1m,5m,30m", name, part, v))
			continue
		}
		out = append(out, d)
	}
	return out
}

func (l *loader) window(name, def string) Window {
	v := l.str(name, def)
	w, err := ParseWindow(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q %v; e.g. 08:00-21:00", name, v, err))
		w, _ = ParseWindow(def)
	}
	return w
}

// ParseWindow parses "HH:MM-HH:MM"; the end must be after the start.
func ParseWindow(s string) (Window, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("is not a window HH:MM-HH:MM")
	}
	start, err := parseClock(a)
	if err != nil {
		return Window{}, err
	}
	end, err := parseClock(b)
	if err != nil {
		return Window{}, err
	}
	if end <= start {
		return Window{}, fmt.Errorf("ends before it starts")
	}
	return Window{Start: start, End: end}, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * time.Hour, nil
		}
		return 0, fmt.Errorf("has %q, which is not a time HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// weekdays parses a comma-separated list of three-letter day names.
func (l *loader) weekdays(name, def string) []time.Weekday {
	v := l.str(name, def)
	var out []time.Weekday
	for _, part := range splitList(v) {
		d, ok := weekdayNames[strings.ToLower(part)]
		if !ok {
			l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a day; use mon,tue,wed,thu,fri,sat,sun", name, part))
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 && len(l.errs) == 0 {
		l.errs = append(l.errs, fmt.Sprintf("%s: needs at least one day", name))
	}
	return out
}

// percent reads a percentage such as "5", "5%" or "2.5%" as a fraction (0.05).
func (l *loader) percent(name, def string) float64 {
	parse := func(v string) (float64, error) {
		return strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%")), 64)
	}
	v := l.str(name, def)
	p, err := parse(v)
	if err != nil {
		l.errs = append(l.errs, fmt.Sprintf("%s: %q is not a percentage; e.g. 5%% or 2.5%%", name, v))
		p, _ = parse(def)
	}
	return p / 100
}
