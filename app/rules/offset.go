package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/app/derrors"
)

var offsetPartRE = regexp.MustCompile(`^(\d+)\s*(d|h|m)$`)

// ParseOffset reads how long before a date a reminder is due, as staff
// write it: "7d", "36h", "1d 12h", "90m" (days, hours, minutes; "0" is at
// the date). It returns minutes, or a derrors.FieldError on field offset.
func ParseOffset(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "0" {
		return 0, nil
	}
	bad := derrors.Invalid("offset", fmt.Sprintf("%q is not an offset", s), "write it in days, hours or minutes before the date, e.g. 7d, 36h or 1d 12h")
	if s == "" {
		return 0, derrors.Invalid("offset", "is required", "write it in days, hours or minutes before the date, e.g. 7d")
	}
	total := 0
	for _, part := range strings.Fields(strings.NewReplacer(",", " ").Replace(s)) {
		m := offsetPartRE.FindStringSubmatch(part)
		if m == nil {
			return 0, bad
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, bad
		}
		switch m[2] {
		case "d":
			total += n * 24 * 60
		case "h":
			total += n * 60
		default:
			total += n
		}
	}
	return total, nil
}

// FormatOffset writes minutes as ParseOffset reads them: 10080 → "7d",
// 2160 → "1d 12h".
func FormatOffset(minutes int) string {
	if minutes == 0 {
		return "0"
	}
	var parts []string
	if d := minutes / (24 * 60); d > 0 {
		parts = append(parts, fmt.Sprintf("%dd", d))
	}
	if h := minutes % (24 * 60) / 60; h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m := minutes % 60; m > 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	return strings.Join(parts, " ")
}
