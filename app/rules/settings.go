package rules

import (
	"context"

	"github.com/heraldhq/herald/app/settings"
)

// FirmSettings supplies the firm values an admin may change in the portal
// (settings.Store): templates get the saved firm name, phone and portal
// link. On error it still returns values to go on with.
type FirmSettings interface {
	Current(ctx context.Context) (settings.Values, error)
}

// config is the planner's Config with the saved firm values, when a
// FirmSettings is wired.
func (p *Planner) config(ctx context.Context) Config {
	cfg := p.cfg
	if p.settings == nil {
		return cfg
	}
	v, _ := p.settings.Current(ctx) // on error: the last values read, or the environment's
	cfg.FirmName, cfg.FirmPhone, cfg.PortalURL = v.FirmName, v.FirmPhone, v.PortalURL
	return cfg
}
