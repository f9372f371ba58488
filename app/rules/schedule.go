package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
)

// defaultLocalTime is when a reminder for a date-only value is sent when
// the rule names no time of day.
const defaultLocalTime = "09:00"

// ReminderPlan is what a change means for one date_reminder rule: schedule
// (or move) the reminder to DueAt for the date at Target, or cancel it when
// the date was removed. Expired is set when the due time has already passed.
type ReminderPlan struct {
	Rule    Rule
	Cancel  bool
	Target  time.Time
	DueAt   time.Time
	Expired bool
}

// Reminders returns the reminder bookkeeping a change needs: for every
// date_reminder rule whose date was set, moved or removed (or every one
// when the case is new and has the date). Stale changes need none.
func Reminders(in Input) []ReminderPlan {
	if in.Stale {
		return nil
	}
	var out []ReminderPlan
	for _, r := range in.Rules {
		if !r.IsEnabled() || r.Trigger != TriggerDateReminder {
			continue
		}
		changed := in.Created
		for _, dc := range in.Diff.Dates {
			changed = changed || dc.Field == r.DateField
		}
		if !changed {
			continue
		}
		d := CaseDate(in.Case, r.DateField)
		if d == nil {
			if !in.Created {
				out = append(out, ReminderPlan{Rule: r, Cancel: true})
			}
			continue
		}
		target, due := ReminderTimes(*d, r, in.Location)
		out = append(out, ReminderPlan{Rule: r, Target: target, DueAt: due, Expired: !due.After(in.Now)})
	}
	return out
}

// CaseDate returns the case's date field, or nil.
func CaseDate(c normalize.Case, field string) *sanitize.Date {
	switch field {
	case normalize.FieldNextCourtDate:
		return c.Dates.NextCourtDate
	case normalize.FieldFilingDeadline:
		return c.Dates.FilingDeadline
	case normalize.FieldStatuteOfLimitations:
		return c.Dates.StatuteOfLimitations
	}
	return nil
}

// ReminderTimes computes when a reminder for d is due. A date-only value is
// an all-day date in loc (target: its local midnight). With a whole-day
// offset the reminder goes out that many calendar days before, at the rule's
// local time of day (09:00 for date-only values when unset), so DST changes
// do not move it; otherwise it is the offset before the instant.
func ReminderTimes(d sanitize.Date, r Rule, loc *time.Location) (target, due time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	at := r.AtLocalTime
	if d.DateOnly {
		y, m, day := d.Time.Date()
		target = time.Date(y, m, day, 0, 0, 0, 0, loc)
		if at == "" {
			at = defaultLocalTime
		}
	} else {
		target = d.Time
	}
	offset := time.Duration(r.OffsetMinutes) * time.Minute
	h, mi := clockTime(at)
	if at != "" && r.OffsetMinutes%(24*60) == 0 {
		lt := target.In(loc)
		day := time.Date(lt.Year(), lt.Month(), lt.Day()-r.OffsetMinutes/(24*60), h, mi, 0, 0, loc)
		return target, day
	}
	if d.DateOnly {
		base := time.Date(target.Year(), target.Month(), target.Day(), h, mi, 0, 0, loc)
		return target, base.Add(-offset)
	}
	return target, target.Add(-offset)
}

// DatePassed reports whether the date is over at now: a date-only value at
// the end of its local day, a datetime at its instant.
func DatePassed(d sanitize.Date, loc *time.Location, now time.Time) bool {
	if loc == nil {
		loc = time.UTC
	}
	if d.DateOnly {
		y, m, day := d.Time.Date()
		return !now.Before(time.Date(y, m, day+1, 0, 0, 0, 0, loc))
	}
	return !now.Before(d.Time)
}

// InactivityPeriod is how many whole periods of days have passed since the
// last status change (0 while still inside the first period).
func InactivityPeriod(since, now time.Time, days int) int {
	if days <= 0 || now.Before(since) {
		return 0
	}
	return int(now.Sub(since) / (time.Duration(days) * 24 * time.Hour))
}

func clockTime(s string) (int, int) {
	hs, ms, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	return h, m
}

// Location resolves a client's IANA time zone, falling back to firm.
func Location(tz string, firm *time.Location) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	if firm == nil {
		return time.UTC
	}
	return firm
}
