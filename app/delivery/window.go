package delivery

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Window is a daily local-time sending window, such as 08:00–21:00.
type Window struct {
	Start time.Duration // offset from local midnight (wall clock)
	End   time.Duration
}

// String renders the window as HH:MM-HH:MM.
func (w Window) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(w.Start) + "-" + f(w.End)
}

// intersect returns the stricter of two windows.
func (w Window) intersect(o Window) Window {
	return Window{Start: max(w.Start, o.Start), End: min(w.End, o.End)}
}

// WindowOverride is a stricter window for recipients in a state, matched by
// North American area code.
type WindowOverride struct {
	Name      string
	AreaCodes []string
	Window    Window
}

// FloridaAreaCodes are Florida's area codes (Florida Telephone Solicitation
// Act: no automated texts before 8 a.m. or after 8 p.m.).
var FloridaAreaCodes = []string{"239", "305", "321", "324", "352", "386", "407", "448", "561", "645", "656",
	"689", "727", "728", "754", "772", "786", "813", "850", "863", "904", "941", "954"}

// Florida is the shipped default override: 08:00–20:00 for Florida numbers.
var Florida = WindowOverride{Name: "Florida", AreaCodes: FloridaAreaCodes, Window: Window{Start: 8 * time.Hour, End: 20 * time.Hour}}

// WindowPolicy decides when an SMS may be sent to a recipient: inside Window
// (intersected with any matching override) on an allowed day, in the
// recipient's time zone. The zone is the client's own, else derived from the
// phone number, else Zone (the firm's). When a number maps to several zones
// the message must be inside the window in every one of them.
type WindowPolicy struct {
	Window Window
	// Days allowed; empty means every day.
	Days []time.Weekday
	// Zone is the firm's time zone, the last resort.
	Zone      *time.Location
	Overrides []WindowOverride
	// Region parses numbers written without a country code ("US").
	Region string

	// cache memoises loaded zones (name → *time.Location); NewService sets it.
	cache *sync.Map
}

// DefaultWindowPolicy is w every day in zone, with the Florida override.
func DefaultWindowPolicy(w Window, zone *time.Location) WindowPolicy {
	return WindowPolicy{Window: w, Zone: zone, Overrides: []WindowOverride{Florida}, Region: "US"}
}

// Check reports whether an SMS to recipient may be sent at now. When it may
// not, next is the next opening and desc explains the hold.
func (p *WindowPolicy) Check(now time.Time, recipient, clientTZ string) (open bool, next time.Time, desc string) {
	w, label := p.windowFor(recipient)
	zones := p.zonesFor(recipient, clientTZ)
	t := now
	for range 32 {
		moved := false
		for _, z := range zones {
			if n := p.nextOpen(t, w, z); n.After(t) {
				t, moved = n, true
			}
		}
		if !moved {
			break
		}
	}
	names := make([]string, len(zones))
	for i, z := range zones {
		names[i] = z.String()
	}
	if t.Equal(now) {
		return true, now, ""
	}
	desc = fmt.Sprintf("outside the SMS window %s%s in %s; held until %s", w, label, strings.Join(names, ", "), t.UTC().Format(time.RFC3339))
	return false, t, desc
}

// windowFor applies the overrides matching recipient's area code.
func (p *WindowPolicy) windowFor(recipient string) (Window, string) {
	w, label := p.Window, ""
	if !strings.HasPrefix(recipient, "+1") || len(recipient) < 5 {
		return w, label
	}
	area := recipient[2:5]
	for _, o := range p.Overrides {
		for _, a := range o.AreaCodes {
			if a == area {
				w = w.intersect(o.Window)
				label = " (" + o.Name + ")"
			}
		}
	}
	return w, label
}

// zonesFor resolves the recipient's time zones.
func (p *WindowPolicy) zonesFor(recipient, clientTZ string) []*time.Location {
	if clientTZ != "" {
		if z := p.load(clientTZ); z != nil {
			return []*time.Location{z}
		}
	}
	if num, err := phonenumbers.Parse(recipient, p.Region); err == nil {
		if names, err := phonenumbers.GetTimezonesForNumber(num); err == nil {
			var zs []*time.Location
			for _, n := range names {
				if z := p.load(n); z != nil {
					zs = append(zs, z)
				}
			}
			if len(zs) > 0 {
				return zs
			}
		}
	}
	return []*time.Location{p.Zone}
}

func (p *WindowPolicy) load(name string) *time.Location {
	if p.cache != nil {
		if z, ok := p.cache.Load(name); ok {
			return z.(*time.Location)
		}
	}
	z, err := time.LoadLocation(name)
	if err != nil || name == "" || strings.HasPrefix(name, "Etc/Unknown") {
		return nil
	}
	if p.cache != nil {
		p.cache.Store(name, z)
	}
	return z
}

// nextOpen returns t when t is inside w on an allowed day in zone, else the
// next opening after t (the zero-length window never opens: t is returned
// 8 days later, which the caller treats as a hold).
func (p *WindowPolicy) nextOpen(t time.Time, w Window, zone *time.Location) time.Time {
	local := t.In(zone)
	y, m, d := local.Date()
	offset := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	if w.Start >= w.End {
		return t.Add(8 * 24 * time.Hour)
	}
	for i := range 8 {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, zone)
		if !p.dayAllowed(day.Weekday()) {
			continue
		}
		if i == 0 && offset >= w.Start && offset < w.End {
			return t
		}
		if i == 0 && offset >= w.End {
			continue
		}
		start := time.Date(y, m, d+i, int(w.Start.Hours()), int(w.Start.Minutes())%60, 0, 0, zone)
		if start.After(t) {
			return start
		}
	}
	return t.Add(8 * 24 * time.Hour)
}

func (p *WindowPolicy) dayAllowed(d time.Weekday) bool {
	if len(p.Days) == 0 {
		return true
	}
	for _, x := range p.Days {
		if x == d {
			return true
		}
	}
	return false
}
