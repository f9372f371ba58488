package command

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

// TestBuildSharesServices checks the HTTP side takes the very instances
// newDomain built, so a serve+work process (herald run) holds one ingest,
// one delivery and one planner rather than a copy per caller.
func TestBuildSharesServices(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	redisURL, _ := storetest.Redis(t)
	env := map[string]string{"HERALD_DATABASE_URL": dsn, "HERALD_REDIS_URL": redisURL}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := build(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	s := services(d)
	checks := []struct {
		name      string
		got, want any
	}{
		{"CMSIngest", s.CMSIngest, d.app.ingest},
		{"Pauses", s.Pauses, d.app.pauses},
		{"CaseFinder", s.CaseFinder, d.app.cases},
		{"CaseReader", s.CaseReader, d.app.cases},
		{"Timeline", s.Timeline, d.app.ledger},
		{"DeadLetters", s.DeadLetters, d.app.ledger},
		{"DeadLetterRetrier", s.DeadLetterRetrier, d.app.delivery},
		{"ClioWebhooks", s.ClioWebhooks, d.app.clioHooks},
		{"SendGridEvents", s.SendGridEvents, d.app.engagement},
		{"ConsentExport", s.ConsentExport, d.app.consent},
		{"Portal.Templates", s.Portal.Templates, d.app.templates},
		{"Portal.Statuses", s.Portal.Statuses, d.app.statuses},
		{"Portal.Approvals", s.Portal.Approvals, d.app.planner},
		{"Portal.Read", s.Portal.Read, d.app.portal},
		{"Portal.Preview", s.Portal.Preview, d.app.engine},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("services().%s = %p, want the instance newDomain built (%p)", c.name, c.got, c.want)
		}
	}
	if again := services(d); again.CMSIngest != s.CMSIngest || again.DeadLetterRetrier != s.DeadLetterRetrier {
		t.Errorf("a second services() call built new instances")
	}
	if d.app.clio != nil || d.app.writeback != nil {
		t.Errorf("without CLIO_ACCESS_TOKEN or HERALD_WRITEBACK_URL, clio = %v and writeback = %v, want nil", d.app.clio, d.app.writeback)
	}
}

// TestBuildReturnsWiringErrors checks a live-delivery misconfiguration
// that slips past config.Validate is an error naming the provider, not a panic.
func TestBuildReturnsWiringErrors(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	cfg, err := config.Load(func(k string) string { return map[string]string{"HERALD_DATABASE_URL": dsn}[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Delivery = config.DeliveryLive // no provider keys
	d, err := build(context.Background(), cfg, io.Discard)
	if err == nil {
		d.close()
		t.Fatal("build with live delivery and no SendGrid key succeeded, want an error")
	}
	if got := err.Error(); !strings.Contains(got, "SendGrid") {
		t.Errorf("build error = %q, want it to name the provider", got)
	}
}
