package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/views"
)

// RuleEditor reads, edits, enables and adds rules (rules.Editor).
type RuleEditor interface {
	Get(ctx context.Context, id int64) (rules.Rule, error)
	Update(ctx context.Context, id int64, e rules.Edit, actor string) (rules.Rule, error)
	SetEnabled(ctx context.Context, id int64, enabled bool, actor, reason string) error
	CreateStatusRule(ctx context.Context, n rules.NewStatusRule, actor string) (rules.Rule, error)
}

// rulesList handles GET /rules.
func (h *portalHandlers) rulesList(c *fiber.Ctx) error {
	r, err := h.ps.Read.Rules(c.UserContext())
	if err != nil {
		return err
	}
	v := views.RulesView{R: r, CanEdit: h.canEditRules(c)}
	return show(c, fiber.StatusOK, views.RulesPage(h.page(c, "Rules", "rules"), v))
}

func (h *portalHandlers) canEditRules(c *fiber.Ctx) bool {
	return h.ps.Rules != nil && can(c, auth.PermEditRules)
}

// ruleDetail handles GET /rules/:id: the rule's form, read-only for roles
// that may not edit rules.
func (h *portalHandlers) ruleDetail(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.ps.Rules.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return h.renderRule(c, fiber.StatusOK, r, ruleForm(r), nil)
}

func (h *portalHandlers) renderRule(c *fiber.Ctx, status int, r rules.Rule, form views.RuleForm, problems error) error {
	opts, err := h.ps.Read.RuleOptions(c.UserContext())
	if err != nil {
		return err
	}
	v := views.RuleEditView{ID: r.ID, Key: r.Key, Trigger: r.Trigger, DateField: r.DateField, Enabled: r.IsEnabled(), Form: form,
		Options: opts, CanEdit: h.canEditRules(c), Errors: fieldProblems(problems), DefaultSettle: h.settleDefault.String()}
	for _, a := range r.Actions {
		if a.Type != rules.ActionSend {
			v.Others = append(v.Others, fmt.Sprintf("%s “%s” for the %s", a.Type, a.Title, orDefault(a.Assignee, "attorney")))
		}
	}
	p := h.page(c, r.Name, "rules")
	if problems != nil {
		p.Error = "Not saved: fix the fields marked below."
	}
	return show(c, status, views.RuleEditPage(p, v))
}

// ruleSave handles POST /rules/:id. Bad input keeps the form open with
// each problem next to its field (422).
func (h *portalHandlers) ruleSave(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.ps.Rules.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	form := ruleFormFrom(c, r)
	edit, perr := editFrom(form, r)
	if perr == nil {
		_, perr = h.ps.Rules.Update(c.UserContext(), id, edit, actor(c))
	}
	if errors.Is(perr, derrors.InvalidArgument) {
		return h.renderRule(c, fiber.StatusUnprocessableEntity, r, form, perr)
	}
	if perr != nil {
		return perr
	}
	return redirect(c, fmt.Sprintf("/rules/%d?done=rule-saved", id))
}

// ruleEnabled handles POST /rules/:id/enabled (enabled=1 or 0, optional
// reason for the audit log).
func (h *portalHandlers) ruleEnabled(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var on bool
	switch c.FormValue("enabled") {
	case "1":
		on = true
	case "0":
	default:
		return derrors.Invalid("enabled", fmt.Sprintf("%q is neither 1 nor 0", c.FormValue("enabled")), "use the Enable and Disable buttons")
	}
	if err := h.ps.Rules.SetEnabled(c.UserContext(), id, on, actor(c), c.FormValue("reason")); err != nil {
		return err
	}
	done := "rule-disabled"
	if on {
		done = "rule-enabled"
	}
	if c.FormValue("from") == "detail" {
		return redirect(c, fmt.Sprintf("/rules/%d?done=%s", id, done))
	}
	return redirect(c, "/rules?done="+done)
}

// ruleNew handles GET /rules/new?to_status=: the form adding a rule for a
// status no rule covers.
func (h *portalHandlers) ruleNew(c *fiber.Ctx) error {
	v := views.RuleNewView{ToStatus: c.Query("to_status"), Send: views.SendForm{First: "email", Mode: "all", Fallback: true}}
	return h.renderRuleNew(c, fiber.StatusOK, v, nil)
}

func (h *portalHandlers) renderRuleNew(c *fiber.Ctx, status int, v views.RuleNewView, problems error) error {
	opts, err := h.ps.Read.RuleOptions(c.UserContext())
	if err != nil {
		return err
	}
	v.Options, v.Errors = opts, fieldProblems(problems)
	p := h.page(c, "Add a rule", "rules")
	if problems != nil {
		p.Error = "Not added: fix the fields marked below."
	}
	return show(c, status, views.RuleNewPage(p, v))
}

// ruleCreate handles POST /rules/new.
func (h *portalHandlers) ruleCreate(c *fiber.Ctx) error {
	send := sendFormFrom(c, 0)
	v := views.RuleNewView{Name: c.FormValue("name"), ToStatus: c.FormValue("to_status"), Send: send}
	r, err := h.ps.Rules.CreateStatusRule(c.UserContext(), rules.NewStatusRule{ToStatus: v.ToStatus, Name: v.Name,
		Send: rules.SendEdit{Template: send.Template, Channels: channels(send), Mode: send.Mode, Fallback: send.Fallback}}, actor(c))
	if errors.Is(err, derrors.InvalidArgument) {
		return h.renderRuleNew(c, fiber.StatusUnprocessableEntity, v, err)
	}
	if err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/rules/%d?done=rule-added", r.ID))
}

// ruleForm shows a stored rule as its form.
func ruleForm(r rules.Rule) views.RuleForm {
	e := rules.EditOf(r)
	f := views.RuleForm{Name: e.Name, FromStatus: e.FromStatus, ToStatus: e.ToStatus, AtLocalTime: e.AtLocalTime,
		RequiresApproval: e.RequiresApproval, ApprovalTTL: shortDuration(e.ApprovalTTL)}
	if r.Trigger == rules.TriggerDateReminder {
		f.Offset = rules.FormatOffset(e.OffsetMinutes)
	}
	if e.InactivityDays > 0 {
		f.InactivityDays = strconv.Itoa(e.InactivityDays)
	}
	if e.SettleDelay != nil {
		f.SettleDelay = shortDuration(*e.SettleDelay)
	}
	for i, a := range r.Actions {
		if a.Type != rules.ActionSend {
			continue
		}
		s := views.SendForm{Action: i, Template: a.Template, Mode: orDefault(a.Mode, "all"), Fallback: a.Fallback}
		if len(a.Channels) > 0 {
			s.First = a.Channels[0]
		}
		if len(a.Channels) > 1 {
			s.Then = a.Channels[1]
		}
		f.Sends = append(f.Sends, s)
	}
	return f
}

// ruleFormFrom reads the posted form for rule r.
func ruleFormFrom(c *fiber.Ctx, r rules.Rule) views.RuleForm {
	f := views.RuleForm{Name: c.FormValue("name"), FromStatus: c.FormValue("from_status"), ToStatus: c.FormValue("to_status"),
		Offset: c.FormValue("offset"), AtLocalTime: c.FormValue("at_local_time"), InactivityDays: c.FormValue("inactivity_days"),
		SettleDelay: strings.TrimSpace(c.FormValue("settle_delay")), RequiresApproval: c.FormValue("requires_approval") == "1",
		ApprovalTTL: strings.TrimSpace(c.FormValue("approval_ttl"))}
	for i, a := range r.Actions {
		if a.Type == rules.ActionSend {
			f.Sends = append(f.Sends, sendFormFrom(c, i))
		}
	}
	return f
}

func sendFormFrom(c *fiber.Ctx, i int) views.SendForm {
	v := func(part string) string { return strings.TrimSpace(c.FormValue(fmt.Sprintf("a%d_%s", i, part))) }
	return views.SendForm{Action: i, Template: v("template"), First: v("first"), Then: v("then"), Mode: v("mode"), Fallback: v("fallback") == "1"}
}

func channels(s views.SendForm) []string {
	var out []string
	for _, ch := range []string{s.First, s.Then} {
		if ch != "" {
			out = append(out, ch)
		}
	}
	return out
}

// editFrom turns the typed form into a rules.Edit; text that is not a
// number or a duration is a field error here, the rest is the editor's.
func editFrom(f views.RuleForm, r rules.Rule) (rules.Edit, error) {
	var fs derrors.Fields
	e := rules.EditOf(r)
	e.Name, e.FromStatus, e.ToStatus, e.AtLocalTime, e.RequiresApproval = f.Name, f.FromStatus, f.ToStatus, f.AtLocalTime, f.RequiresApproval
	switch r.Trigger {
	case rules.TriggerDateReminder:
		n, err := rules.ParseOffset(f.Offset)
		var fe *derrors.FieldError
		if errors.As(err, &fe) {
			fs = append(fs, fe)
		}
		e.OffsetMinutes = n
	case rules.TriggerInactivity:
		n, err := strconv.Atoi(strings.TrimSpace(f.InactivityDays))
		if err != nil {
			fs = append(fs, &derrors.FieldError{Field: "inactivity_days", Problem: fmt.Sprintf("%q is not a whole number of days", f.InactivityDays), Fix: "e.g. 30"})
		}
		e.InactivityDays = n
	}
	e.Sends = nil
	for _, s := range f.Sends {
		e.Sends = append(e.Sends, rules.SendEdit{Template: s.Template, Channels: channels(s), Mode: s.Mode, Fallback: s.Fallback})
	}
	e.SettleDelay = nil
	if f.SettleDelay != "" {
		d, err := time.ParseDuration(f.SettleDelay)
		if err != nil {
			fs = append(fs, &derrors.FieldError{Field: "settle_delay", Problem: fmt.Sprintf("%q is not a duration", f.SettleDelay),
				Fix: "e.g. 10m, 90s or 0; leave it empty for the firm's default"})
		} else {
			e.SettleDelay = &d
		}
	}
	d, err := time.ParseDuration(f.ApprovalTTL)
	if err != nil {
		fs = append(fs, &derrors.FieldError{Field: "approval_ttl", Problem: fmt.Sprintf("%q is not a duration", f.ApprovalTTL), Fix: "e.g. 48h"})
	} else {
		e.ApprovalTTL = d
	}
	return e, fs.Err()
}

// fieldProblems maps each field error in err to "problem (fix)".
func fieldProblems(err error) map[string]string {
	out := map[string]string{}
	var fs derrors.Fields
	var fe *derrors.FieldError
	switch {
	case errors.As(err, &fs):
		for _, f := range fs {
			if out[f.Field] == "" {
				out[f.Field] = fieldText(f)
			}
		}
	case errors.As(err, &fe):
		out[fe.Field] = fieldText(fe)
	}
	return out
}

func fieldText(f *derrors.FieldError) string {
	s := strings.ToUpper(f.Problem[:1]) + f.Problem[1:]
	if f.Fix != "" {
		s += ": " + f.Fix
	}
	return s + "."
}

// shortDuration writes 48h0m0s as 48h and 10m0s as 10m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
