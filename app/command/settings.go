package command

import (
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/config"
)

// firmSettings are the environment's values for what an admin may change
// on the Settings screen; a value never saved there is the environment's.
func firmSettings(cfg config.Config) settings.Values {
	return settings.Values{FirmName: cfg.FirmName, FirmPhone: cfg.FirmPhone, EmailFromName: cfg.EmailFromName,
		PortalURL: cfg.PublicURL, SMSStart: cfg.SMSWindow.Start, SMSEnd: cfg.SMSWindow.End, SMSDays: cfg.SMSDays,
		RetrySchedule: cfg.RetrySchedule, AlertEmails: cfg.AlertEmails, AlertWebhook: cfg.AlertWebhook}
}
