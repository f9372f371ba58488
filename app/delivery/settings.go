package delivery

import (
	"context"
	"time"

	"github.com/heraldhq/herald/app/settings"
)

// Settings supplies what an admin may change while Herald runs (the SMS
// window and days, the retry schedule, alert recipients, the e-mail display
// name); settings.Store implements it. On error it still returns values to
// go on with (the last read, or the environment's).
type Settings interface {
	Current(ctx context.Context) (settings.Values, error)
}

// tunables are the settings one delivery step uses.
type tunables struct {
	window       WindowPolicy
	retry        []time.Duration
	alertEmails  []string
	alertWebhook string
	fromName     string
}

// tunables overlays the stored settings on the start-up Config; without a
// Settings it is the Config. err is the settings read error, if any (the
// values are then the settings' fallback).
func (s *Service) tunables(ctx context.Context) (tunables, error) {
	t := tunables{window: s.cfg.Window, retry: s.cfg.RetrySchedule, alertEmails: s.cfg.AlertEmails, alertWebhook: s.cfg.AlertWebhook}
	if s.d.Settings == nil {
		return t, nil
	}
	v, err := s.d.Settings.Current(ctx)
	if v.SMSEnd > v.SMSStart {
		t.window.Window = Window{Start: v.SMSStart, End: v.SMSEnd}
	}
	t.window.Days = nil
	if !v.EveryDay() {
		t.window.Days = v.SMSDays
	}
	if len(v.RetrySchedule) > 0 {
		t.retry = v.RetrySchedule
	}
	t.alertEmails, t.alertWebhook, t.fromName = v.AlertEmails, v.AlertWebhook, v.EmailFromName
	return t, err
}
