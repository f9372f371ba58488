package config_test

import (
	"testing"

	"github.com/heraldhq/herald/config"
)

// TestLocationFollowsFirmTimezone checks the zone loaded once by Load is
// the one Location returns, and that a changed FirmTimezone is honoured.
func TestLocationFollowsFirmTimezone(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		if k == "HERALD_FIRM_TIMEZONE" {
			return "Europe/Paris"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Location().String(); got != "Europe/Paris" {
		t.Errorf("Location() = %s, want Europe/Paris", got)
	}
	if cfg.Location() != cfg.Location() {
		t.Errorf("Location() loads the zone again on every call; want the one Load loaded")
	}
	cfg.FirmTimezone = "Asia/Tokyo"
	if got := cfg.Location().String(); got != "Asia/Tokyo" {
		t.Errorf("after changing FirmTimezone, Location() = %s, want Asia/Tokyo", got)
	}
	if got := (config.Config{FirmTimezone: "Nowhere/City"}).Location(); got.String() != "UTC" {
		t.Errorf("Location() of an unknown zone = %s, want UTC", got)
	}
}
