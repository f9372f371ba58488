package web

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/views"
)

// SettingsStore reads and saves the firm settings (settings.Store).
type SettingsStore interface {
	Current(ctx context.Context) (settings.Values, error)
	Get(ctx context.Context) (settings.Saved, error)
	Defaults() settings.Values
	Save(ctx context.Context, f settings.Form, actor string) (settings.Values, error)
}

// settingsPage handles GET /settings.
func (h *portalHandlers) settingsPage(c *fiber.Ctx) error {
	sv, err := h.ps.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderSettings(c, fiber.StatusOK, sv, settings.FormOf(sv.Values), nil)
}

func (h *portalHandlers) renderSettings(c *fiber.Ctx, status int, sv settings.Saved, form settings.Form, problems error) error {
	v := views.SettingsView{Form: form, Env: settings.FormOf(h.ps.Settings.Defaults()), Saved: sv.Saved, UpdatedBy: sv.UpdatedBy,
		UpdatedAt: sv.UpdatedAt, Errors: fieldProblems(problems)}
	p := h.page(c, "Settings", "settings")
	if problems != nil {
		p.Error = "Not saved: fix the fields marked below."
	}
	return show(c, status, views.SettingsPage(p, v))
}

// settingsSave handles POST /settings; bad input keeps the form open with
// each problem next to its field (422).
func (h *portalHandlers) settingsSave(c *fiber.Ctx) error {
	f := settings.Form{FirmName: c.FormValue(settings.FieldFirmName), FirmPhone: c.FormValue(settings.FieldFirmPhone),
		EmailFromName: c.FormValue(settings.FieldEmailFromName), PortalURL: c.FormValue(settings.FieldPortalURL),
		SMSStart: c.FormValue(settings.FieldSMSStart), SMSEnd: c.FormValue(settings.FieldSMSEnd),
		RetrySchedule: c.FormValue(settings.FieldRetrySchedule), AlertEmails: c.FormValue(settings.FieldAlertEmails),
		AlertWebhook: c.FormValue(settings.FieldAlertWebhook)}
	for _, d := range c.Request().PostArgs().PeekMulti(settings.FieldSMSDays) {
		f.SMSDays = append(f.SMSDays, strings.Clone(string(d)))
	}
	_, err := h.ps.Settings.Save(c.UserContext(), f, actor(c))
	if errors.Is(err, derrors.InvalidArgument) {
		sv, gerr := h.ps.Settings.Get(c.UserContext())
		if gerr != nil {
			return gerr
		}
		return h.renderSettings(c, fiber.StatusUnprocessableEntity, sv, f, err)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/settings?done=settings-saved")
}

// currentFirmName is the saved firm name, else the configured one.
func (h *portalHandlers) currentFirmName(c *fiber.Ctx) string {
	if h.ps.Settings == nil {
		return h.firmName
	}
	v, _ := h.ps.Settings.Current(c.UserContext()) // on error: the last values read, or the environment's
	return v.FirmName
}

// firmVars are the firm values a template preview renders with: the saved
// settings, else PortalServices.Firm.
func (h *portalHandlers) firmVars(c *fiber.Ctx) portal.FirmVars {
	if h.ps.Settings == nil {
		return h.ps.Firm
	}
	v, _ := h.ps.Settings.Current(c.UserContext())
	return portal.FirmVars{Name: v.FirmName, Phone: v.FirmPhone, PortalURL: v.PortalURL}
}
