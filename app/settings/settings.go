// Package settings owns the firm settings an admin changes on the portal's
// Settings screen (table firm_settings): the firm's name, phone, e-mail sender
// name and portal link that templates use, the SMS sending window, the retry
// schedule and who is alerted about dead letters. A value nobody has saved
// falls back to the environment (config), so a new install works before
// anyone opens the screen.
//
// The running services read through Store.Current, which caches the values
// for a short TTL and is invalidated by Save in the same process; another
// process (serve vs work) sees a save within the TTL.
package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Values are the effective settings.
type Values struct {
	FirmName      string
	FirmPhone     string
	EmailFromName string
	// PortalURL is the link templates give clients ({{ portal_link }}).
	PortalURL string
	// SMSStart and SMSEnd bound the daily SMS window in the recipient's
	// local time, as offsets from midnight (the end may be 24h).
	SMSStart, SMSEnd time.Duration
	// SMSDays are the days SMS may go out; all seven means every day.
	SMSDays []time.Weekday
	// RetrySchedule is the wait before each retry of a transient failure.
	RetrySchedule []time.Duration
	AlertEmails   []string
	// AlertWebhook is a Slack-compatible incoming webhook URL (a secret:
	// never logged or audited in full).
	AlertWebhook string
}

// EveryDay reports whether SMS may go out on every day of the week.
func (v Values) EveryDay() bool {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if !slices.Contains(v.SMSDays, d) {
			return false
		}
	}
	return true
}

// Saved is the settings screen's view of the table: the effective values
// and who saved them last (Saved false: every value is the environment's).
type Saved struct {
	Values
	Saved     bool
	UpdatedBy string
	UpdatedAt time.Time
}

// Options tune a Store.
type Options struct {
	// TTL is how long Current serves cached values (default 10s).
	TTL time.Duration
	// RequireHTTPS refuses http:// portal and webhook URLs (prod).
	RequireHTTPS bool
	// Region parses the firm phone written without a country code ("US").
	Region string
}

// Store reads and saves the settings. It is safe for concurrent use.
type Store struct {
	db       *store.DB
	clock    clock.Clock
	defaults Values
	opt      Options

	mu       sync.Mutex
	cached   Values
	cachedAt time.Time
	have     bool
}

// New returns a store whose unsaved values are defaults (from config).
func New(db *store.DB, clk clock.Clock, defaults Values, opt Options) *Store {
	if opt.TTL <= 0 {
		opt.TTL = 10 * time.Second
	}
	if opt.Region == "" {
		opt.Region = "US"
	}
	return &Store{db: db, clock: clk, defaults: defaults, opt: opt}
}

// Defaults are the environment's values, used for anything not saved.
func (s *Store) Defaults() Values { return s.defaults }

// Current returns the effective settings, from the cache when it is younger
// than the TTL. When the database cannot be read it returns the last values
// it read (or the defaults) together with the error, so a caller that must
// go on has something sensible to go on with.
func (s *Store) Current(ctx context.Context) (Values, error) {
	now := s.clock.Now()
	s.mu.Lock()
	if s.have && now.Sub(s.cachedAt) < s.opt.TTL {
		v := s.cached
		s.mu.Unlock()
		return v, nil
	}
	fallback := s.defaults
	if s.have {
		fallback = s.cached
	}
	s.mu.Unlock()
	sv, err := s.Get(ctx)
	if err != nil {
		return fallback, err
	}
	s.mu.Lock()
	s.cached, s.cachedAt, s.have = sv.Values, now, true
	s.mu.Unlock()
	return sv.Values, nil
}

// invalidate makes the next Current read the table.
func (s *Store) invalidate() {
	s.mu.Lock()
	s.have = false
	s.mu.Unlock()
}

// row is the firm_settings table's one row; nil fields are not saved.
type row struct {
	FirmName, FirmPhone, EmailFromName, PortalURL *string
	SMSStart, SMSEnd                              *int32
	SMSDays                                       []int16
	RetrySeconds                                  []int32
	AlertEmails                                   []string
	AlertWebhook                                  *string
	UpdatedBy                                     string
	UpdatedAt                                     time.Time
}

// Get reads the table (uncached) and fills in the defaults.
func (s *Store) Get(ctx context.Context) (Saved, error) {
	var r row
	err := s.db.Pool.QueryRow(ctx, `SELECT firm_name, firm_phone, email_from_name, portal_url, sms_window_start,
		sms_window_end, sms_days, retry_schedule_seconds, alert_emails, alert_webhook_url, updated_by, updated_at
		FROM firm_settings WHERE id = 1`).Scan(&r.FirmName, &r.FirmPhone, &r.EmailFromName, &r.PortalURL, &r.SMSStart, &r.SMSEnd,
		&r.SMSDays, &r.RetrySeconds, &r.AlertEmails, &r.AlertWebhook, &r.UpdatedBy, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Saved{Values: s.defaults}, nil
	}
	if err != nil {
		return Saved{Values: s.defaults}, fmt.Errorf("%w: read settings: %w", derrors.Unavailable, err)
	}
	v := s.defaults
	str := func(dst *string, p *string) {
		if p != nil {
			*dst = *p
		}
	}
	str(&v.FirmName, r.FirmName)
	str(&v.FirmPhone, r.FirmPhone)
	str(&v.EmailFromName, r.EmailFromName)
	str(&v.PortalURL, r.PortalURL)
	str(&v.AlertWebhook, r.AlertWebhook)
	if r.SMSStart != nil && r.SMSEnd != nil {
		v.SMSStart, v.SMSEnd = time.Duration(*r.SMSStart)*time.Minute, time.Duration(*r.SMSEnd)*time.Minute
	}
	if r.SMSDays != nil {
		v.SMSDays = nil
		for _, d := range r.SMSDays {
			v.SMSDays = append(v.SMSDays, time.Weekday(d))
		}
	}
	if r.RetrySeconds != nil {
		v.RetrySchedule = nil
		for _, n := range r.RetrySeconds {
			v.RetrySchedule = append(v.RetrySchedule, time.Duration(n)*time.Second)
		}
	}
	if r.AlertEmails != nil {
		v.AlertEmails = r.AlertEmails
	}
	return Saved{Values: v, Saved: true, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}, nil
}

// Save validates the form, stores every value in it and audits the change
// (action settings.update, with the fields that changed before and after;
// the alert webhook shows only its host). Bad input is a derrors.Fields
// naming each field. The cache is invalidated, so this process uses the new
// values at once.
func (s *Store) Save(ctx context.Context, f Form, actor string) (Values, error) {
	v, err := Parse(f, s.opt)
	if err != nil {
		return Values{}, err
	}
	if actor == "" {
		return Values{}, derrors.Invalid("actor", "is empty", "say who saves the settings")
	}
	before, err := s.Get(ctx)
	if err != nil {
		return Values{}, err
	}
	now := s.clock.Now()
	days := make([]int16, len(v.SMSDays))
	for i, d := range v.SMSDays {
		days[i] = int16(d)
	}
	retry := make([]int32, len(v.RetrySchedule))
	for i, d := range v.RetrySchedule {
		retry[i] = int32(d / time.Second)
	}
	emails := v.AlertEmails
	if emails == nil {
		emails = []string{}
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return Values{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `INSERT INTO firm_settings (id, firm_name, firm_phone, email_from_name, portal_url, sms_window_start,
			sms_window_end, sms_days, retry_schedule_seconds, alert_emails, alert_webhook_url, updated_by, updated_at)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET firm_name = EXCLUDED.firm_name, firm_phone = EXCLUDED.firm_phone,
			email_from_name = EXCLUDED.email_from_name, portal_url = EXCLUDED.portal_url,
			sms_window_start = EXCLUDED.sms_window_start, sms_window_end = EXCLUDED.sms_window_end,
			sms_days = EXCLUDED.sms_days, retry_schedule_seconds = EXCLUDED.retry_schedule_seconds,
			alert_emails = EXCLUDED.alert_emails, alert_webhook_url = EXCLUDED.alert_webhook_url,
			updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
		v.FirmName, v.FirmPhone, v.EmailFromName, v.PortalURL, int32(v.SMSStart/time.Minute), int32(v.SMSEnd/time.Minute),
		days, retry, emails, v.AlertWebhook, actor, now)
	if err != nil {
		return Values{}, fmt.Errorf("save settings: %w", err)
	}
	changed, old, neu := diff(FormOf(before.Values), FormOf(v))
	details, _ := json.Marshal(map[string]any{"changed": changed, "before": old, "after": neu})
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
		VALUES ($1, 'settings.update', 'settings', 'firm', $2, $3)`, actor, details, now); err != nil {
		return Values{}, fmt.Errorf("audit settings.update: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Values{}, fmt.Errorf("commit settings: %w", err)
	}
	s.invalidate()
	return v, nil
}

// diff lists the form fields that differ between a and b, with their old
// and new values; the webhook URL is reduced to its host.
func diff(a, b Form) (changed []string, before, after map[string]string) {
	before, after = map[string]string{}, map[string]string{}
	fa, fb := a.fields(), b.fields()
	for _, name := range fieldOrder {
		if fa[name] == fb[name] {
			continue
		}
		changed = append(changed, name)
		before[name], after[name] = fa[name], fb[name]
		if name == FieldAlertWebhook {
			before[name], after[name] = webhookHost(fa[name]), webhookHost(fb[name])
		}
	}
	return changed, before, after
}

// webhookHost hides a webhook URL's path, which carries its secret.
func webhookHost(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(set)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
