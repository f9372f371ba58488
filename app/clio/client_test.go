package clio_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clio/cliotest"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/config"
)

const token = "clio-test-token"

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

const matter123 = `{"id":1234567890123,"etag":"\"e1\"","display_number":"00042-Smith","description":"Smith v. Jones",
 "status":"Closed","updated_at":"2026-03-02T09:30:00-06:00","practice_area":{"name":"Personal Injury"},
 "client":{"id":555,"first_name":"Jane","last_name":"Smith","primary_email_address":"jane@gmial.com",
   "primary_phone_number":"(312) 555-0134"},
 "responsible_attorney":{"id":77,"name":"Ann Lawyer"},"originating_attorney":{"id":78,"name":"Bob Rain"},
 "custom_field_values":[{"id":"cf-1","field_name":"Next Court Date","value":"2026-04-15"},
   {"id":"cf-2","field_name":"Preferred Language","value":"es"}]}`

const contact555 = `{"id":555,"phone_numbers":[{"id":1,"name":"Mobile","number":"(312) 555-0134","default_number":true}],
 "email_addresses":[{"id":2,"name":"Home","address":"jane@gmial.com","default_email":true}]}`

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct{ got []time.Duration }

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.got = append(s.got, d)
	return ctx.Err()
}

func newClient(t *testing.T, fake *cliotest.Server, s *sleeps) *clio.Client {
	t.Helper()
	c, err := clio.New(clio.Config{BaseURL: fake.URL, AccessToken: token, Clock: clock.NewFake(t0), Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnrichFetchesMatterAndContactWithFields(t *testing.T) {
	fake := cliotest.New(t, token, func() time.Time { return t0 })
	fake.AddMatter("1234567890123", matter123)
	fake.AddContact("555", contact555)
	enr := clio.Enricher{API: newClient(t, fake, &sleeps{})}
	hook := cliotest.DeliveryBody(9, "updated", `{"id":1234567890123,"etag":"\"e1\"","updated_at":"2026-03-02T09:30:00-06:00"}`)

	out, err := enr.Enrich(context.Background(), "clio", hook)
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want matter + contact", len(reqs))
	}
	for i, want := range []struct{ path, fields string }{
		{"/api/v4/matters/1234567890123.json", clio.MatterFields},
		{"/api/v4/contacts/555.json", clio.ContactFields},
	} {
		if got := reqs[i]; got.Path != want.path || got.Query.Get("fields") != want.fields {
			t.Errorf("request %d = %s fields=%q, want %s fields=%q", i, got.Path, got.Query.Get("fields"), want.path, want.fields)
		}
	}

	// The document must be what config/sources/clio.yaml maps.
	src, err := normalize.LoadSource(config.SourcesFS, "clio")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := sanitize.NewStatusMap(sanitize.DefaultStatuses())
	if err != nil {
		t.Fatal(err)
	}
	n, err := normalize.NewNormalizer(src, sm, "US", time.UTC, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Normalize(out)
	if err != nil {
		t.Fatalf("normalize enriched document: %v\n%s", err, out)
	}
	c := res.Case
	for _, chk := range []struct{ name, got, want string }{
		{"case_id", c.CaseID, "1234567890123"},
		{"case_number", deref(c.CaseNumber), "00042-Smith"},
		{"client_id", deref(c.ClientID), "555"},
		{"attorney_id", deref(c.AttorneyID), "77"},
		{"status", deref(c.Status), "closed"},
		{"client_mobile_phone", deref(c.Client.MobilePhone), "+13125550134"},
	} {
		if chk.got != chk.want {
			t.Errorf("%s = %q, want %q", chk.name, chk.got, chk.want)
		}
	}
	if res.UpdatedAt == nil || !res.UpdatedAt.Equal(time.Date(2026, 3, 2, 15, 30, 0, 0, time.UTC)) {
		t.Errorf("updated_at = %v, want 2026-03-02T15:30Z", res.UpdatedAt)
	}
	var doc struct {
		Data struct {
			Client struct {
				PhoneNumbers []map[string]any `json:"phone_numbers"`
			} `json:"client"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Data.Client.PhoneNumbers) != 1 {
		t.Errorf("data.client.phone_numbers not merged from the contact: %s", out)
	}
}

func TestEnrichErrors(t *testing.T) {
	tests := []struct {
		name      string
		source    string
		body      string
		revoke    bool
		wantErr   error // nil: passthrough
		wantInMsg string
		// wantDeleted is the case id of the *ingest.DeletedError expected.
		wantDeleted string
	}{
		{name: "other source passes through", source: "generic", body: `{"id":"x"}`},
		{name: "deleted matter", source: "clio", body: `{"data":{"id":1},"meta":{"event":"deleted"}}`,
			wantDeleted: "1", wantInMsg: "restore the matter in Clio"},
		{name: "no matter id", source: "clio", body: `{"data":{},"meta":{"event":"updated"}}`,
			wantErr: derrors.InvalidArgument, wantInMsg: "data.id"},
		{name: "matter gone when fetched (404)", source: "clio", body: `{"data":{"id":404},"meta":{"event":"updated"}}`,
			wantDeleted: "404", wantInMsg: "Clio answers 404 for matter 404"},
		{name: "revoked token", source: "clio", body: `{"data":{"id":1},"meta":{"event":"updated"}}`, revoke: true,
			wantErr: derrors.InvalidArgument, wantInMsg: "reconnect Clio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := cliotest.New(t, token, func() time.Time { return t0 })
			fake.AddMatter("1", `{"id":1}`)
			if tt.revoke {
				fake.Revoke()
			}
			enr := clio.Enricher{API: newClient(t, fake, &sleeps{})}
			got, err := enr.Enrich(context.Background(), tt.source, []byte(tt.body))
			if tt.wantDeleted != "" {
				var del *ingest.DeletedError
				if !errors.As(err, &del) || del.CaseID != tt.wantDeleted || !strings.Contains(err.Error(), tt.wantInMsg) {
					t.Fatalf("got %v, want an ingest.DeletedError for case %s containing %q", err, tt.wantDeleted, tt.wantInMsg)
				}
				return
			}
			if tt.wantErr == nil {
				if err != nil || string(got) != tt.body {
					t.Fatalf("got %s, %v; want the body unchanged", got, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("got error %v, want %v containing %q", err, tt.wantErr, tt.wantInMsg)
			}
		})
	}
}

// TestEnrichWithoutContact: the client contact was deleted in Clio but the
// matter was not; the matter's own client fields still go through.
func TestEnrichWithoutContact(t *testing.T) {
	fake := cliotest.New(t, token, func() time.Time { return t0 })
	fake.AddMatter("9", `{"id":9,"display_number":"9-X","client":{"id":556,"first_name":"Ana","primary_email_address":"ana@example.com"}}`)
	out, err := clio.Enricher{API: newClient(t, fake, &sleeps{})}.Enrich(context.Background(), "clio",
		[]byte(`{"data":{"id":9},"meta":{"event":"updated"}}`))
	if err != nil {
		t.Fatalf("Enrich with a deleted contact: %v", err)
	}
	if !strings.Contains(string(out), `"primary_email_address":"ana@example.com"`) || strings.Contains(string(out), "phone_numbers") {
		t.Errorf("document = %s, want the matter's client fields and no contact lists", out)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		limited    int
		retryAfter string
		wantSleeps []time.Duration
		wantErr    error
	}{
		{name: "two 429s then success", limited: 2, retryAfter: "7", wantSleeps: []time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "HTTP date", limited: 1, retryAfter: t0.Add(20 * time.Second).Format(http.TimeFormat), wantSleeps: []time.Duration{20 * time.Second}},
		{name: "retries exhausted", limited: 5, retryAfter: "1", wantSleeps: []time.Duration{time.Second, time.Second, time.Second},
			wantErr: clio.ErrRateLimited},
		{name: "wait too long for in-process", limited: 1, retryAfter: "3600", wantErr: clio.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := cliotest.New(t, token, func() time.Time { return t0 })
			fake.AddMatter("1", `{"id":1,"display_number":"1"}`)
			fake.RateLimit(tt.limited, tt.retryAfter)
			s := &sleeps{}
			_, err := newClient(t, fake, s).Matter(context.Background(), "1")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(s.got) != len(tt.wantSleeps) {
				t.Fatalf("slept %v, want %v", s.got, tt.wantSleeps)
			}
			for i := range s.got {
				if s.got[i] != tt.wantSleeps[i] {
					t.Errorf("sleep %d = %s, want %s", i, s.got[i], tt.wantSleeps[i])
				}
			}
		})
	}
}

func TestRateLimitWaitStopsOnCancel(t *testing.T) {
	fake := cliotest.New(t, token, func() time.Time { return t0 })
	fake.RateLimit(1, "30")
	c, err := clio.New(clio.Config{BaseURL: fake.URL, AccessToken: token, Clock: clock.NewFake(t0)}) // real sleeper
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err = c.Matter(ctx, "1")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s; want a prompt cancellation error", err, time.Since(start))
	}
}

func TestWebhooksFollowsPaging(t *testing.T) {
	fake := cliotest.New(t, token, func() time.Time { return t0 })
	for range 5 {
		fake.AddWebhook(cliotest.Webhook{Model: "matter", Status: "enabled", ExpiresAt: t0.Add(time.Hour)})
	}
	fake.PageLimit(2)
	got, err := newClient(t, fake, &sleeps{}).Webhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d webhooks, want 5", len(got))
	}
	seen := map[int64]bool{}
	for _, w := range got {
		if seen[w.ID] || w.SharedSecret == "" {
			t.Errorf("webhook %d duplicated or without secret", w.ID)
		}
		seen[w.ID] = true
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("got %d page requests, want 3", n)
	}
	if strings.Contains(got[0].String(), got[0].SharedSecret) {
		t.Errorf("Webhook.String leaks the secret: %s", got[0])
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name      string
		cfg       clio.Config
		wantField string
	}{
		{"bad URL", clio.Config{BaseURL: "app.clio.com", AccessToken: "x"}, "CLIO_BASE_URL"},
		{"no token", clio.Config{BaseURL: "https://app.clio.com"}, "CLIO_ACCESS_TOKEN"},
	}
	for _, tt := range tests {
		_, err := clio.New(tt.cfg)
		var fe *derrors.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.wantField {
			t.Errorf("%s: got %v, want a FieldError on %s", tt.name, err, tt.wantField)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
