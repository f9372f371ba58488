package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/config"
)

var now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func sp(s string) *string { return &s }

func playbook(t *testing.T) []Rule {
	t.Helper()
	rs, err := ParseYAML(config.RulesYAML)
	if err != nil {
		t.Fatalf("config/rules.yaml: %v", err)
	}
	for i := range rs {
		rs[i].ID = int64(i + 1)
	}
	return rs
}

// baseInput is a reachable English client whose case moved to to.
func baseInput(t *testing.T, from, to string) Input {
	c := normalize.Case{CaseID: "M-1", CaseNumber: sp("2026-001"), Status: sp(to), AttorneyID: sp("att-7")}
	var fromP *string
	if from != "" {
		fromP = sp(from)
	}
	return Input{
		Now: now, Rules: playbook(t), Case: c,
		Diff:        normalize.Changes{Status: &normalize.StatusChange{From: fromP, To: sp(to)}, Fields: []string{"status"}},
		OptedOut:    map[string]bool{},
		Contact:     Contact{Email: "maria@example.com", Mobile: "+13125550134"},
		Location:    time.UTC,
		SettleDelay: 10 * time.Minute,
	}
}

// summary renders decisions compactly: "rule/result[/channel] sends=sms,email tasks=1".
func summary(ds []Decision) string {
	var parts []string
	for _, d := range ds {
		s := orDash(d.RuleKey) + "/" + d.Result
		if d.Channel != "" {
			s += "/" + d.Channel
		}
		if len(d.Sends) > 0 {
			var chs []string
			for _, x := range d.Sends {
				ch := x.Channel
				if x.Fallback {
					ch += "(fallback)"
				}
				chs = append(chs, ch)
			}
			s += " sends=" + strings.Join(chs, ",")
		}
		if len(d.Tasks) > 0 {
			s += fmt.Sprintf(" tasks=%d", len(d.Tasks))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name string
		edit func(in *Input)
		want string
	}{
		{"intake complete sends welcome email", func(in *Input) {}, "welcome_on_intake/fired sends=email"},
		{"settlement offer: sms, email and a task", func(in *Input) {
			*in = baseInput(t, "discovery_initiated", "settlement_offer_received")
		}, "settlement_offer/fired sends=sms,email tasks=1"},
		{"discovery explainer", func(in *Input) { *in = baseInput(t, "retained", "discovery_initiated") }, "discovery_explainer/fired sends=email"},
		{"status without rule is unhandled", func(in *Input) { *in = baseInput(t, "intake_complete", "retained") }, "-/unhandled"},
		{"paused: one skipped_paused decision only", func(in *Input) {
			*in = baseInput(t, "discovery_initiated", "settlement_offer_received")
			in.Pause = pause.State{Paused: true, Scope: "case", By: "ann", Reason: "hospital"}
		}, "-/skipped_paused"},
		{"stale change acts on nothing", func(in *Input) { in.Stale = true }, "-/skipped_stale"},
		{"sms opted out: email still goes, opt-out recorded", func(in *Input) {
			*in = baseInput(t, "discovery_initiated", "settlement_offer_received")
			in.OptedOut["sms"] = true
		}, "settlement_offer/fired sends=email tasks=1; settlement_offer/skipped_opted_out/sms"},
		{"no email: welcome falls back to sms", func(in *Input) { in.Contact.Email = "" }, "welcome_on_intake/fired sends=sms(fallback); welcome_on_intake/skipped_no_channel/email"},
		{"email flagged invalid falls back", func(in *Input) { in.Contact.EmailInvalid = true }, "welcome_on_intake/fired sends=sms(fallback); welcome_on_intake/skipped_no_channel/email"},
		{"fallback needs a template on the other channel", func(in *Input) {
			in.Contact.Email = ""
			in.Templates = map[string][]string{"welcome": {"email"}}
		}, "welcome_on_intake/skipped_no_channel/email"},
		{"email opted out and no fallback template", func(in *Input) {
			in.OptedOut["email"] = true
			in.Templates = map[string][]string{"welcome": {"email"}}
		}, "welcome_on_intake/skipped_opted_out/email"},
		{"unreachable client", func(in *Input) { in.Contact = Contact{} }, "welcome_on_intake/skipped_no_channel/email"},
		{"from-status rule does not match another origin", func(in *Input) {
			in.Rules = []Rule{{ID: 1, Key: "x", Trigger: TriggerStatusTransition, FromStatus: "retained", ToStatus: "intake_complete",
				Actions: []Action{{Type: ActionSend, Template: "welcome", Channels: []string{"email"}}}}}
		}, "-/unhandled"},
		{"case type condition", func(in *Input) {
			in.Rules[0].Conditions.CaseTypes = []string{"immigration"}
			in.Case.CaseType = sp("personal_injury")
		}, "welcome_on_intake/skipped_condition"},
		{"language condition matches base language", func(in *Input) {
			in.Rules[0].Conditions.Languages = []string{"es"}
			in.Language = "es-MX"
		}, "welcome_on_intake/fired sends=email"},
		{"language condition fails", func(in *Input) {
			in.Rules[0].Conditions.Languages = []string{"es"}
			in.Language = "en"
		}, "welcome_on_intake/skipped_condition"},
		{"require sms channel", func(in *Input) {
			in.Rules[0].Conditions.RequireChannels = []string{"sms"}
			in.Contact.Mobile = ""
		}, "welcome_on_intake/skipped_condition"},
		{"status condition", func(in *Input) {
			in.Rules[0].Conditions.Statuses = []string{"retained"}
		}, "welcome_on_intake/skipped_condition"},
		{"disabled rule is ignored", func(in *Input) {
			off := false
			in.Rules[0].Enabled = &off
		}, "-/unhandled"},
		{"mode first sends only the preferred channel", func(in *Input) {
			in.Rules = []Rule{{ID: 9, Key: "first", Trigger: TriggerStatusTransition, ToStatus: "intake_complete",
				Actions: []Action{{Type: ActionSend, Template: "t", Channels: []string{"sms", "email"}, Mode: "first"}}}}
		}, "first/fired sends=sms"},
		{"mode first falls through to the next channel", func(in *Input) {
			in.Rules = []Rule{{ID: 9, Key: "first", Trigger: TriggerStatusTransition, ToStatus: "intake_complete",
				Actions: []Action{{Type: ActionSend, Template: "t", Channels: []string{"sms", "email"}, Mode: "first"}}}}
			in.OptedOut["sms"] = true
		}, "first/fired sends=email; first/skipped_opted_out/sms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t, "", "intake_complete")
			tt.edit(&in)
			if got := summary(Evaluate(in)); got != tt.want {
				t.Errorf("Evaluate = %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestEvaluateOtherTriggers(t *testing.T) {
	court := func(y int, m time.Month, d int) *sanitize.Date {
		return &sanitize.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), DateOnly: true}
	}
	noStatus := func(in *Input) { in.Diff.Status = nil }
	tests := []struct {
		name string
		edit func(in *Input)
		want string
	}{
		{"court date moved", func(in *Input) {
			noStatus(in)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", Old: court(2026, 4, 1), New: court(2026, 4, 8)}}
		}, "court_date_moved/fired sends=sms,email"},
		{"court date removed notifies the attorney", func(in *Input) {
			noStatus(in)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", Old: court(2026, 4, 1)}}
		}, "court_date_cancelled/fired tasks=1"},
		{"court date first set: no change notice", func(in *Input) {
			noStatus(in)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", New: court(2026, 4, 1)}}
		}, ""},
		{"contact changed", func(in *Input) {
			noStatus(in)
			in.Diff.Contact = []normalize.ValueChange{{Field: "client_mobile_phone", Old: sp("+13125550100"), New: sp("+13125550134")}}
		}, "contact_changed/fired sends=sms,email"},
		{"new case: contact and dates are not changes", func(in *Input) {
			in.Created = true
			in.Diff.Contact = []normalize.ValueChange{{Field: "client_email", New: sp("maria@example.com")}}
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", New: court(2026, 4, 1)}}
		}, "welcome_on_intake/fired sends=email"},
		{"case created trigger", func(in *Input) {
			in.Created = true
			in.Rules = append(in.Rules, Rule{ID: 99, Key: "hello", Trigger: TriggerCaseCreated,
				Actions: []Action{{Type: ActionNotify, Title: "New case", Assignee: "paralegal"}}})
		}, "welcome_on_intake/fired sends=email; hello/fired tasks=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t, "", "intake_complete")
			tt.edit(&in)
			if got := summary(Evaluate(in)); got != tt.want {
				t.Errorf("Evaluate = %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestSettleAndApproval(t *testing.T) {
	zero := 0
	tests := []struct {
		name       string
		edit       func(r *Rule)
		wantStatus string
		wantDue    time.Time
		wantExpiry bool
	}{
		{"default settle delay", func(r *Rule) {}, StatusScheduled, now.Add(10 * time.Minute), false},
		{"rule override 0 sends at once", func(r *Rule) { r.SettleDelaySeconds = &zero }, StatusPending, now, false},
		{"requires approval", func(r *Rule) { r.RequiresApproval = true; r.ApprovalTTLSeconds = 3600 }, StatusAwaitingApproval, now.Add(10 * time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t, "", "intake_complete")
			tt.edit(&in.Rules[0])
			ds := Evaluate(in)
			if len(ds) != 1 || len(ds[0].Sends) != 1 {
				t.Fatalf("Evaluate = %s, want one send", summary(ds))
			}
			s := ds[0].Sends[0]
			if s.Status != tt.wantStatus || !s.DueAt.Equal(tt.wantDue) || (s.ApprovalExpiresAt != nil) != tt.wantExpiry {
				t.Errorf("send = %s due %s approval %v, want %s due %s approval %v", s.Status, s.DueAt, s.ApprovalExpiresAt, tt.wantStatus, tt.wantDue, tt.wantExpiry)
			}
			if tt.wantExpiry && !s.ApprovalExpiresAt.Equal(now.Add(time.Hour)) {
				t.Errorf("approval expires %s, want %s", s.ApprovalExpiresAt, now.Add(time.Hour))
			}
		})
	}
}

func TestReminderTimes(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	rule := func(offset int, at string) Rule { return Rule{OffsetMinutes: offset, AtLocalTime: at} }
	tests := []struct {
		name       string
		d          sanitize.Date
		r          Rule
		wantTarget time.Time
		wantDue    time.Time
	}{
		{"date-only, 7 days before at 09:00 local", sanitize.Date{Time: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), DateOnly: true}, rule(7*1440, "09:00"),
			time.Date(2026, 3, 16, 0, 0, 0, 0, chicago), time.Date(2026, 3, 9, 9, 0, 0, 0, chicago)},
		{"across DST the local time holds", sanitize.Date{Time: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), DateOnly: true}, rule(1440, "09:00"),
			time.Date(2026, 3, 9, 0, 0, 0, 0, chicago), time.Date(2026, 3, 8, 9, 0, 0, 0, chicago)},
		{"datetime, 1 day before at 09:00 local", sanitize.Date{Time: time.Date(2026, 3, 20, 15, 30, 0, 0, time.UTC)}, rule(1440, "09:00"),
			time.Date(2026, 3, 20, 15, 30, 0, 0, time.UTC), time.Date(2026, 3, 19, 9, 0, 0, 0, chicago)},
		{"datetime, 2 hours before", sanitize.Date{Time: time.Date(2026, 3, 20, 15, 30, 0, 0, time.UTC)}, rule(120, ""),
			time.Date(2026, 3, 20, 15, 30, 0, 0, time.UTC), time.Date(2026, 3, 20, 13, 30, 0, 0, time.UTC)},
		{"date-only, 2 hours before its 09:00", sanitize.Date{Time: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), DateOnly: true}, rule(120, ""),
			time.Date(2026, 3, 20, 0, 0, 0, 0, chicago), time.Date(2026, 3, 20, 7, 0, 0, 0, chicago)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, due := ReminderTimes(tt.d, tt.r, chicago)
			if !target.Equal(tt.wantTarget) || !due.Equal(tt.wantDue) {
				t.Errorf("ReminderTimes = %s, %s; want %s, %s", target, due, tt.wantTarget, tt.wantDue)
			}
		})
	}
}

func TestDatePassedAndInactivityPeriod(t *testing.T) {
	day := sanitize.Date{Time: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), DateOnly: true}
	if DatePassed(day, time.UTC, time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)) {
		t.Errorf("an all-day date has passed during its own day, want not passed")
	}
	if !DatePassed(day, time.UTC, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("an all-day date has not passed the next day, want passed")
	}
	since := now
	for _, tt := range []struct {
		after time.Duration
		want  int
	}{{0, 0}, {29 * 24 * time.Hour, 0}, {30 * 24 * time.Hour, 1}, {59 * 24 * time.Hour, 1}, {60 * 24 * time.Hour, 2}, {-time.Hour, 0}} {
		if got := InactivityPeriod(since, since.Add(tt.after), 30); got != tt.want {
			t.Errorf("InactivityPeriod after %s = %d, want %d", tt.after, got, tt.want)
		}
	}
}

func TestRemindersPlan(t *testing.T) {
	court := func(d int) *sanitize.Date {
		return &sanitize.Date{Time: time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC), DateOnly: true}
	}
	tests := []struct {
		name string
		edit func(in *Input)
		want string
	}{
		{"no date change: nothing", func(in *Input) {}, ""},
		{"new date: both reminders", func(in *Input) {
			in.Case.Dates.NextCourtDate = court(20)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", New: court(20)}}
		}, "court_reminder_7d@2026-03-13T09:00 court_reminder_1d@2026-03-19T09:00"},
		{"date 3 days out: 7-day reminder expired", func(in *Input) {
			in.Case.Dates.NextCourtDate = court(5)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", New: court(5)}}
		}, "court_reminder_7d@2026-02-26T09:00(expired) court_reminder_1d@2026-03-04T09:00"},
		{"date removed: cancel", func(in *Input) {
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", Old: court(20)}}
		}, "court_reminder_7d:cancel court_reminder_1d:cancel"},
		{"stale: nothing", func(in *Input) {
			in.Stale = true
			in.Case.Dates.NextCourtDate = court(20)
			in.Diff.Dates = []normalize.DateChange{{Field: "next_court_date", New: court(20)}}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t, "", "intake_complete")
			tt.edit(&in)
			var parts []string
			for _, p := range Reminders(in) {
				if p.Cancel {
					parts = append(parts, p.Rule.Key+":cancel")
					continue
				}
				s := p.Rule.Key + "@" + p.DueAt.UTC().Format("2006-01-02T15:04")
				if p.Expired {
					s += "(expired)"
				}
				parts = append(parts, s)
			}
			if got := strings.Join(parts, " "); got != tt.want {
				t.Errorf("Reminders = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlaybookParsesAndValidates(t *testing.T) {
	rs := playbook(t)
	if len(rs) < 8 {
		t.Errorf("playbook has %d rules, want the firm's 8+", len(rs))
	}
	bad := []string{
		"rules: [{key: Bad Key, trigger: case_created, actions: [{type: notify, title: x}]}]",
		"rules: [{key: a, trigger: status_transition, actions: [{type: notify, title: x}]}]",
		"rules: [{key: a, trigger: date_reminder, date_field: birthday, actions: [{type: notify, title: x}]}]",
		"rules: [{key: a, trigger: case_created, actions: [{type: send, template: t, channels: [fax]}]}]",
		"rules: [{key: a, trigger: case_created, actions: []}]",
		"rules: [{key: a, trigger: inactivity, actions: [{type: notify, title: x}]}]",
		"rules: [{key: a, trigger: case_created, at_local_time: '25:00', actions: [{type: notify, title: x}]}]",
		"rules: [{key: a, trigger: case_created, actions: [{type: notify, title: x}]}, {key: a, trigger: case_created, actions: [{type: notify, title: x}]}]",
	}
	for _, y := range bad {
		if _, err := ParseYAML([]byte(y)); err == nil {
			t.Errorf("ParseYAML(%s) = nil error, want a validation error", y)
		}
	}
}
