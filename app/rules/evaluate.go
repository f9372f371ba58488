package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
)

// Decision results, as stored in rule_decisions.result.
const (
	ResultFired           = "fired"
	ResultSkippedPaused   = "skipped_paused"
	ResultSkippedOptedOut = "skipped_opted_out"
	ResultSkippedCond     = "skipped_condition"
	ResultSkippedStale    = "skipped_stale"
	ResultSkippedNoChan   = "skipped_no_channel"
	ResultUnhandled       = "unhandled"
	ResultCancelledSettle = "cancelled_settle"
)

// Message statuses a planned send is created in.
const (
	StatusPending          = "pending"
	StatusScheduled        = "scheduled"
	StatusAwaitingApproval = "awaiting_approval"
)

// Input is everything Evaluate needs; it holds no connections.
type Input struct {
	Now   time.Time
	Rules []Rule
	// Created, Stale, Diff and Case describe the change (cases.Change).
	Created bool
	Stale   bool
	Diff    normalize.Changes
	Case    normalize.Case
	// Pause is the pause state at planning time.
	Pause pause.State
	// OptedOut is true for each channel the client's address opted out of.
	OptedOut map[string]bool
	Contact  Contact
	// Location is the client's time zone (the firm's when unknown).
	Location *time.Location
	// Language is the client's preferred language, "" when unknown.
	Language string
	// SettleDelay is the default delay of status-change messages.
	SettleDelay time.Duration
	// Templates maps a template key to the channels it has a template for;
	// nil means every template exists on every channel.
	Templates map[string][]string
}

// Contact is where the client can be reached.
type Contact struct {
	Email        string
	EmailInvalid bool // flagged by a bounce or a finding
	Mobile       string
}

// Decision is one outcome of evaluating a rule. Fired decisions carry the
// sends and tasks to create.
type Decision struct {
	RuleID  int64
	RuleKey string
	Trigger string
	Result  string
	Reason  string
	Channel string // for per-channel skips
	Actor   string // who paused, for skipped_paused
	Sends   []Send
	Tasks   []Action
}

// Send is one message to create.
type Send struct {
	Template          string
	Channel           string
	Recipient         string
	Fallback          bool // chosen because a preferred channel was impossible
	Status            string
	DueAt             time.Time
	ApprovalExpiresAt *time.Time
}

// Evaluate decides what a change means for the client. A stale change gets
// one skipped_stale decision; a paused case one skipped_paused decision and
// nothing else. A status change no rule handles is reported as unhandled.
func Evaluate(in Input) []Decision {
	if in.Stale {
		return []Decision{{Trigger: "change", Result: ResultSkippedStale, Reason: "update older than the stored case; nothing acted on it"}}
	}
	if d, paused := pausedDecision(in, "change"); paused {
		return []Decision{d}
	}
	var out []Decision
	statusHandled := false
	for _, r := range in.Rules {
		if !r.IsEnabled() {
			continue
		}
		reason, ok := triggered(r, in)
		if !ok {
			continue
		}
		if r.Trigger == TriggerStatusTransition {
			statusHandled = true
		}
		out = append(out, Fire(in, r, reason)...)
	}
	if st := in.Diff.Status; st != nil && st.To != nil && !statusHandled {
		out = append(out, Decision{Trigger: TriggerStatusTransition, Result: ResultUnhandled,
			Reason: fmt.Sprintf("no rule handles a change to %s (from %s)", *st.To, deref(st.From, "no status"))})
	}
	return out
}

// Fire evaluates one triggered rule: its conditions, then its actions. It
// checks the pause itself, so sweeps can call it directly.
func Fire(in Input, r Rule, why string) []Decision {
	if d, paused := pausedDecision(in, r.Trigger); paused {
		d.RuleID, d.RuleKey = r.ID, r.Key
		return []Decision{d}
	}
	base := Decision{RuleID: r.ID, RuleKey: r.Key, Trigger: r.Trigger}
	if reason, ok := conditionsHold(r.Conditions, in); !ok {
		base.Result, base.Reason = ResultSkippedCond, reason
		return []Decision{base}
	}
	fired := base
	fired.Result, fired.Reason = ResultFired, why
	var extra []Decision
	for _, a := range r.Actions {
		switch a.Type {
		case ActionSend:
			sends, skips := chooseChannels(a, in)
			for _, sk := range skips {
				d := base
				d.Result, d.Channel, d.Reason = sk.result, sk.channel, sk.reason
				extra = append(extra, d)
			}
			for i := range sends {
				sends[i].Status, sends[i].DueAt = StatusPending, in.Now
				if r.Trigger == TriggerStatusTransition {
					if delay := r.SettleDelay(in.SettleDelay); delay > 0 {
						sends[i].Status, sends[i].DueAt = StatusScheduled, in.Now.Add(delay)
					}
				}
				if r.RequiresApproval {
					exp := in.Now.Add(r.ApprovalTTL())
					sends[i].Status, sends[i].ApprovalExpiresAt = StatusAwaitingApproval, &exp
				}
			}
			fired.Sends = append(fired.Sends, sends...)
		case ActionTask, ActionNotify:
			fired.Tasks = append(fired.Tasks, a)
		}
	}
	if len(fired.Sends) == 0 && len(fired.Tasks) == 0 {
		if len(extra) > 0 {
			return extra
		}
		base.Result, base.Reason = ResultSkippedNoChan, "no action could be carried out"
		return []Decision{base}
	}
	return append([]Decision{fired}, extra...)
}

func pausedDecision(in Input, trigger string) (Decision, bool) {
	if !in.Pause.Paused {
		return Decision{}, false
	}
	reason := fmt.Sprintf("paused (%s) by %s: %s", in.Pause.Scope, in.Pause.By, in.Pause.Reason)
	return Decision{Trigger: trigger, Result: ResultSkippedPaused, Reason: reason, Actor: in.Pause.By}, true
}

// triggered reports whether the change triggers r, and why.
func triggered(r Rule, in Input) (string, bool) {
	switch r.Trigger {
	case TriggerStatusTransition:
		st := in.Diff.Status
		if st == nil || st.To == nil || *st.To != r.ToStatus {
			return "", false
		}
		if r.FromStatus != "" && (st.From == nil || *st.From != r.FromStatus) {
			return "", false
		}
		return fmt.Sprintf("status %s → %s", deref(st.From, "none"), *st.To), true
	case TriggerCaseCreated:
		return "case created", in.Created
	case TriggerContactChanged:
		if in.Created || len(in.Diff.Contact) == 0 {
			return "", false
		}
		fields := make([]string, len(in.Diff.Contact))
		for i, c := range in.Diff.Contact {
			fields[i] = c.Field
		}
		return "contact changed: " + strings.Join(fields, ", "), true
	case TriggerDateChanged:
		if in.Created {
			return "", false
		}
		for _, dc := range in.Diff.Dates {
			if dc.Field != r.DateField {
				continue
			}
			kind := dateChangeKind(dc)
			want := r.Conditions.DateChange
			if len(want) == 0 {
				want = []string{DateMoved, DateCancelled}
			}
			if slices.Contains(want, kind) {
				return fmt.Sprintf("%s %s", dc.Field, kind), true
			}
		}
	}
	return "", false
}

func dateChangeKind(dc normalize.DateChange) string {
	switch {
	case dc.Old == nil:
		return DateSet
	case dc.New == nil:
		return DateCancelled
	}
	return DateMoved
}

// conditionsHold checks a rule's conditions against the case.
func conditionsHold(c Conditions, in Input) (string, bool) {
	status := deref(in.Case.Status, "")
	if len(c.Statuses) > 0 && !slices.Contains(c.Statuses, status) {
		return fmt.Sprintf("status %q is not one of %v", status, c.Statuses), false
	}
	caseType := deref(in.Case.CaseType, "")
	if len(c.CaseTypes) > 0 && !slices.ContainsFunc(c.CaseTypes, func(t string) bool { return strings.EqualFold(t, caseType) }) {
		return fmt.Sprintf("case type %q is not one of %v", caseType, c.CaseTypes), false
	}
	if len(c.Languages) > 0 {
		lang := strings.ToLower(in.Language)
		base, _, _ := strings.Cut(strings.ReplaceAll(lang, "_", "-"), "-")
		if !slices.ContainsFunc(c.Languages, func(l string) bool { l = strings.ToLower(l); return l == lang || l == base }) {
			return fmt.Sprintf("client language %q is not one of %v", in.Language, c.Languages), false
		}
	}
	for _, ch := range c.RequireChannels {
		if why := unreachable(ch, in); why != "" {
			return fmt.Sprintf("requires %s: %s", ch, why), false
		}
	}
	return "", true
}

// unreachable says why the client has no usable address on ch, or "".
func unreachable(ch string, in Input) string {
	switch ch {
	case ChannelEmail:
		if in.Contact.Email == "" {
			return "no email address"
		}
		if in.Contact.EmailInvalid {
			return "email address flagged invalid"
		}
	case ChannelSMS:
		if in.Contact.Mobile == "" {
			return "no mobile number"
		}
	default:
		return "unknown channel"
	}
	return ""
}

type skip struct{ result, channel, reason string }

// chooseChannels picks the channels a send action goes out on. Every
// listed channel that cannot be used is reported (opted out, no address, no
// template for it); with Fallback the other channel replaces it.
func chooseChannels(a Action, in Input) ([]Send, []skip) {
	var sends []Send
	var skips []skip
	why := func(ch string) (string, string) {
		if r := unreachable(ch, in); r != "" {
			return ResultSkippedNoChan, r
		}
		if in.OptedOut[ch] {
			return ResultSkippedOptedOut, "client opted out of " + ch
		}
		if in.Templates != nil && !slices.Contains(in.Templates[a.Template], ch) {
			return ResultSkippedNoChan, fmt.Sprintf("template %s has no %s version", a.Template, ch)
		}
		return "", ""
	}
	chosen := func(ch string) bool {
		return slices.ContainsFunc(sends, func(s Send) bool { return s.Channel == ch })
	}
	for _, ch := range a.Channels {
		if chosen(ch) {
			continue
		}
		if res, reason := why(ch); res != "" {
			skips = append(skips, skip{res, ch, reason})
			other := otherChannel(ch)
			laterListed := a.Mode != "first" && slices.Contains(a.Channels, other)
			if !a.Fallback || chosen(other) || laterListed {
				continue
			}
			if ores, _ := why(other); ores != "" {
				continue
			}
			ch = other
		}
		sends = append(sends, Send{Template: a.Template, Channel: ch, Recipient: recipient(ch, in), Fallback: !slices.Contains(a.Channels, ch)})
		if a.Mode == "first" {
			break
		}
	}
	if len(sends) == 0 && len(skips) == 0 {
		skips = append(skips, skip{ResultSkippedNoChan, "", "no channel can reach the client"})
	}
	return sends, skips
}

func recipient(ch string, in Input) string {
	if ch == ChannelEmail {
		return in.Contact.Email
	}
	return in.Contact.Mobile
}

func otherChannel(ch string) string {
	if ch == ChannelEmail {
		return ChannelSMS
	}
	return ChannelEmail
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}
