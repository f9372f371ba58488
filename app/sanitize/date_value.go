package sanitize

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a sanitized date or date-time. A date-only value (a filing deadline
// written "3/4/2026") is a calendar date, not an instant: its Time is midnight
// UTC of that day and DateOnly is true. A date-time carries its offset.
type Date struct {
	Time     time.Time
	DateOnly bool
}

// dateOnlyLayout is how date-only values are written.
const dateOnlyLayout = "2006-01-02"

// String returns "YYYY-MM-DD" for a date-only value and RFC 3339 (with
// fractional seconds only when present) for a date-time.
func (d Date) String() string {
	if d.DateOnly {
		return d.Time.Format(dateOnlyLayout)
	}
	return d.Time.Format(time.RFC3339Nano)
}

// Equal reports whether d and o denote the same date or the same instant.
func (d Date) Equal(o Date) bool {
	if d.DateOnly != o.DateOnly {
		return false
	}
	if d.DateOnly {
		return d.String() == o.String()
	}
	return d.Time.Equal(o.Time)
}

// MarshalText implements encoding.TextMarshaler using String.
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText parses "YYYY-MM-DD" as a date-only value and anything else as
// RFC 3339.
func (d *Date) UnmarshalText(b []byte) error {
	s := string(b)
	if t, err := time.Parse(dateOnlyLayout, s); err == nil {
		*d = Date{Time: t, DateOnly: true}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("sanitize: date %q is neither YYYY-MM-DD nor RFC 3339: %w", s, err)
	}
	*d = Date{Time: t}
	return nil
}

// MarshalJSON writes the date as a JSON string (see String).
func (d Date) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a JSON string written by MarshalJSON.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("sanitize: date must be a JSON string: %w", err)
	}
	return d.UnmarshalText([]byte(s))
}

// DateOrder says how an ambiguous numeric date such as 04/03/2026 is read.
type DateOrder string

// Date orders.
const (
	MDY DateOrder = "MDY"
	DMY DateOrder = "DMY"
)

// ParseDateOrder parses "MDY" or "DMY" (any case); "" means MDY.
func ParseDateOrder(s string) (DateOrder, error) {
	switch DateOrder(upperASCII(s)) {
	case "", MDY:
		return MDY, nil
	case DMY:
		return DMY, nil
	}
	return "", fmt.Errorf("sanitize: date order %q is not MDY or DMY", s)
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
