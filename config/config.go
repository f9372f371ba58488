// Package config loads Herald's typed configuration from the environment once
// at start-up and validates it, naming the variable and the problem.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Environments Herald can run in.
const (
	EnvDev  = "dev"
	EnvProd = "prod"
)

// Delivery modes.
const (
	DeliverySandbox = "sandbox"
	DeliveryLive    = "live"
)

// Config is every setting Herald reads from the environment.
type Config struct {
	Env           string
	HTTPAddr      string
	PublicURL     string
	DatabaseURL   string
	RedisURL      string
	SessionSecret string
	FirmName      string
	FirmPhone     string
	FirmTimezone  string
	DefaultRegion string
	DefaultLang   string
	Delivery      string
	EmailFrom     string
	EmailFromName string
	AlertEmails   []string
	AlertWebhook  string

	SendGridAPIKey           string
	SendGridBaseURL          string
	SendGridWebhookPublicKey string

	TwilioAccountSID          string
	TwilioAuthToken           string
	TwilioFromNumber          string
	TwilioMessagingServiceSID string
	TwilioBaseURL             string

	// ClioAccessToken is the Clio Manage OAuth access token (CLIO_ACCESS_TOKEN);
	// empty disables the Clio enricher and webhook renewal.
	ClioAccessToken string
	// ClioBaseURL is the Clio region's base URL (CLIO_BASE_URL).
	ClioBaseURL string

	// DataKeys encrypt secrets Herald must keep readable at rest (Clio
	// webhook shared secrets) with AES-256-GCM (HERALD_DATA_KEY; several
	// comma-separated for rotation: the first encrypts, every one
	// decrypts). Empty in dev means DevDataKey.
	DataKeys []string

	// WritebackURL receives a signed POST for every message sent and every
	// client reply, for CMSs without a native write-back
	// (HERALD_WRITEBACK_URL); WritebackSecret signs it
	// (HERALD_WRITEBACK_SECRET, Herald-Signature).
	WritebackURL    string
	WritebackSecret string

	// WebhookSecrets maps a lower-case source name to its signing secrets
	// (HERALD_WEBHOOK_SECRET_<SOURCE>, several comma-separated for rotation).
	WebhookSecrets map[string][]string
	WebhookMaxBody int

	SMSWindow     Window
	SMSDays       []time.Weekday
	RetrySchedule []time.Duration
	SettleDelay   time.Duration
	SweepInterval time.Duration

	// Engagement. UnderperformMinSends, UnderperformOpenRate and
	// UnderperformSMSDeliveryRate flag a template whose email open rate or
	// SMS delivery rate (fractions) is under the threshold once it has that
	// many sends (HERALD_UNDERPERFORM_MIN_SENDS 50, _OPEN_RATE 5%,
	// _SMS_DELIVERY_RATE 90%). EscalateBefore is how long before a court
	// date an unopened, unconfirmed reminder becomes a "call the client"
	// task (HERALD_ESCALATE_BEFORE, 24h). CheckinLinkTTL is how long an
	// emailed check-in link can be answered (HERALD_CHECKIN_LINK_TTL, 336h).
	// SMSKeywordReplies says who answers STOP/START/HELP when Twilio's
	// Advanced Opt-Out did not: "twilio" (its keyword handling, the
	// default) or "herald" (TwiML, for numbers with Twilio's handling off).
	UnderperformMinSends        int
	UnderperformOpenRate        float64
	UnderperformSMSDeliveryRate float64
	EscalateBefore              time.Duration
	CheckinLinkTTL              time.Duration
	SMSKeywordReplies           string
	// SweepGrace is how long a due message must be overdue before the
	// sweeper re-enqueues it (HERALD_SWEEP_GRACE, 30s), so a healthy queue is
	// not doubled. SendLease is how long a claimed message may stay in
	// sending before the sweeper declares its outcome unknown — a worker
	// killed mid-send (HERALD_SEND_LEASE, 5m). ReconcileGrace is how long an
	// unknown outcome waits for a provider callback before it is handed to a
	// human (HERALD_RECONCILE_GRACE, 10m).
	SweepGrace     time.Duration
	SendLease      time.Duration
	ReconcileGrace time.Duration

	DevLogin         bool
	OAuth            OAuth
	AllowedDomains   []string
	AllowedEmails    []string
	DefaultStaffRole string
	SessionTTL       time.Duration

	// loc is FirmTimezone loaded once by Load: Location is called per
	// webhook, and time.LoadLocation reads the zoneinfo file every time.
	loc *time.Location
}

// OAuth holds the staff sign-in providers; a provider is enabled when its
// client id is set.
type OAuth struct {
	GoogleClientID     string
	GoogleClientSecret string
	MicrosoftClientID  string
	MicrosoftSecret    string
	MicrosoftTenant    string
	OIDCClientID       string
	OIDCClientSecret   string
	OIDCDiscoveryURL   string
	OIDCName           string
}

// Window is a daily local-time window such as 08:00-21:00.
type Window struct {
	Start time.Duration // offset from local midnight
	End   time.Duration
}

// String renders the window as HH:MM-HH:MM.
func (w Window) String() string {
	f := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return f(w.Start) + "-" + f(w.End)
}

// Load reads the configuration from getenv, applying defaults. Parse errors
// are collected and returned together with Validate's findings.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	c := Config{
		Env:                       l.str("HERALD_ENV", EnvDev),
		HTTPAddr:                  l.str("HERALD_HTTP_ADDR", "127.0.0.1:8080"),
		PublicURL:                 l.str("HERALD_PUBLIC_URL", ""),
		DatabaseURL:               l.str("HERALD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/herald?sslmode=disable"),
		RedisURL:                  l.str("HERALD_REDIS_URL", "redis://127.0.0.1:6379/0"),
		SessionSecret:             l.str("HERALD_SESSION_SECRET", ""),
		FirmName:                  l.str("HERALD_FIRM_NAME", "Herald Demo Law"),
		FirmPhone:                 l.str("HERALD_FIRM_PHONE", "+1 312 555 0100"),
		FirmTimezone:              l.str("HERALD_FIRM_TIMEZONE", "America/Chicago"),
		DefaultRegion:             l.str("HERALD_DEFAULT_REGION", "US"),
		DefaultLang:               l.str("HERALD_DEFAULT_LANGUAGE", "en"),
		Delivery:                  l.str("HERALD_DELIVERY", ""),
		EmailFrom:                 l.str("HERALD_EMAIL_FROM", ""),
		EmailFromName:             l.str("HERALD_EMAIL_FROM_NAME", ""),
		AlertEmails:               l.list("HERALD_ALERT_EMAILS"),
		AlertWebhook:              l.str("HERALD_ALERT_WEBHOOK_URL", ""),
		SendGridAPIKey:            l.str("SENDGRID_API_KEY", ""),
		SendGridBaseURL:           l.str("SENDGRID_BASE_URL", "https://api.sendgrid.com"),
		SendGridWebhookPublicKey:  l.str("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
		TwilioAccountSID:          l.str("TWILIO_ACCOUNT_SID", ""),
		TwilioAuthToken:           l.str("TWILIO_AUTH_TOKEN", ""),
		TwilioFromNumber:          l.str("TWILIO_FROM_NUMBER", ""),
		TwilioMessagingServiceSID: l.str("TWILIO_MESSAGING_SERVICE_SID", ""),
		TwilioBaseURL:             l.str("TWILIO_BASE_URL", "https://api.twilio.com"),
		ClioAccessToken:           l.str("CLIO_ACCESS_TOKEN", ""),
		ClioBaseURL:               l.str("CLIO_BASE_URL", "https://app.clio.com"),
		DataKeys:                  l.list("HERALD_DATA_KEY"),
		WritebackURL:              l.str("HERALD_WRITEBACK_URL", ""),
		WritebackSecret:           l.str("HERALD_WRITEBACK_SECRET", ""),
		WebhookSecrets:            map[string][]string{},
		WebhookMaxBody:            l.int("HERALD_WEBHOOK_MAX_BODY", 1<<20),
		SMSWindow:                 l.window("HERALD_SMS_WINDOW", "08:00-21:00"),
		SMSDays:                   l.weekdays("HERALD_SMS_DAYS", "mon,tue,wed,thu,fri,sat,sun"),
		RetrySchedule:             l.durations("HERALD_RETRY_SCHEDULE", "1m,5m,30m"),
		SettleDelay:               l.duration("HERALD_SETTLE_DELAY", "10m"),
		SweepInterval:             l.duration("HERALD_SWEEP_INTERVAL", "15s"),
		SweepGrace:                l.duration("HERALD_SWEEP_GRACE", "30s"),
		SendLease:                 l.duration("HERALD_SEND_LEASE", "5m"),
		ReconcileGrace:            l.duration("HERALD_RECONCILE_GRACE", "10m"),
		DevLogin:                  l.boolean("HERALD_DEV_LOGIN", false),
		AllowedDomains:            l.list("HERALD_ALLOWED_DOMAINS"),
		AllowedEmails:             l.list("HERALD_ALLOWED_EMAILS"),
		DefaultStaffRole:          l.str("HERALD_DEFAULT_STAFF_ROLE", ""),
		SessionTTL:                l.duration("HERALD_SESSION_TTL", "12h"),
		OAuth: OAuth{
			GoogleClientID:     l.str("HERALD_GOOGLE_CLIENT_ID", ""),
			GoogleClientSecret: l.str("HERALD_GOOGLE_CLIENT_SECRET", ""),
			MicrosoftClientID:  l.str("HERALD_MICROSOFT_CLIENT_ID", ""),
			MicrosoftSecret:    l.str("HERALD_MICROSOFT_CLIENT_SECRET", ""),
			MicrosoftTenant:    l.str("HERALD_MICROSOFT_TENANT", "common"),
			OIDCClientID:       l.str("HERALD_OIDC_CLIENT_ID", ""),
			OIDCClientSecret:   l.str("HERALD_OIDC_CLIENT_SECRET", ""),
			OIDCDiscoveryURL:   l.str("HERALD_OIDC_DISCOVERY_URL", ""),
			OIDCName:           l.str("HERALD_OIDC_NAME", "Single sign-on"),
		},
	}
	c.UnderperformMinSends = l.int("HERALD_UNDERPERFORM_MIN_SENDS", 50)
	c.UnderperformOpenRate = l.percent("HERALD_UNDERPERFORM_OPEN_RATE", "5%")
	c.UnderperformSMSDeliveryRate = l.percent("HERALD_UNDERPERFORM_SMS_DELIVERY_RATE", "90%")
	c.EscalateBefore = l.duration("HERALD_ESCALATE_BEFORE", "24h")
	c.CheckinLinkTTL = l.duration("HERALD_CHECKIN_LINK_TTL", "336h")
	c.SMSKeywordReplies = l.str("HERALD_SMS_KEYWORD_REPLIES", "twilio")
	if _, set := lookup(getenv, "HERALD_DEV_LOGIN"); !set {
		c.DevLogin = c.Env == EnvDev
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	if c.Delivery == "" {
		c.Delivery = DeliverySandbox
		if c.SendGridAPIKey != "" && c.TwilioAccountSID != "" {
			c.Delivery = DeliveryLive
		}
	}
	for _, src := range SourceNames(getenv) {
		if v := getenv(SecretEnv(src)); v != "" {
			c.WebhookSecrets[src] = splitList(v)
		}
	}
	if loc, err := time.LoadLocation(c.FirmTimezone); err == nil && c.FirmTimezone != "" {
		c.loc = loc
	}
	errs := append(l.errs, c.Validate()...)
	if len(errs) > 0 {
		return c, &Error{Problems: errs}
	}
	return c, nil
}

// Error lists every configuration problem found.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// ErrInvalid is matched by errors.Is on any *Error.
var ErrInvalid = errors.New("invalid configuration")

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Validate returns one message per problem, each naming the variable.
func (c Config) Validate() []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	if c.Env != EnvDev && c.Env != EnvProd {
		add("HERALD_ENV: %q is not an environment; use dev or prod", c.Env)
	}
	if _, _, err := splitHostPort(c.HTTPAddr); err != nil {
		add("HERALD_HTTP_ADDR: %q is not host:port (%v); e.g. 127.0.0.1:8080", c.HTTPAddr, err)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("HERALD_PUBLIC_URL: %q is not an absolute http(s) URL; e.g. https://herald.example-law.com", c.PublicURL)
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		add("HERALD_DATABASE_URL: %q is not a postgres:// URL", redactURL(c.DatabaseURL))
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		add("HERALD_REDIS_URL: %q is not a redis:// URL", redactURL(c.RedisURL))
	}
	if _, err := time.LoadLocation(c.FirmTimezone); err != nil || c.FirmTimezone == "" {
		add("HERALD_FIRM_TIMEZONE: %q is not an IANA time zone; e.g. America/Chicago", c.FirmTimezone)
	}
	if len(c.DefaultRegion) != 2 || strings.ToUpper(c.DefaultRegion) != c.DefaultRegion {
		add("HERALD_DEFAULT_REGION: %q is not a two-letter upper-case region code; e.g. US", c.DefaultRegion)
	}
	if c.Delivery != DeliverySandbox && c.Delivery != DeliveryLive {
		add("HERALD_DELIVERY: %q is not a delivery mode; use sandbox or live", c.Delivery)
	}
	if c.Delivery == DeliveryLive {
		if c.SendGridAPIKey == "" {
			add("SENDGRID_API_KEY: required when HERALD_DELIVERY=live")
		}
		if c.EmailFrom == "" {
			add("HERALD_EMAIL_FROM: required when HERALD_DELIVERY=live")
		}
		if c.TwilioAccountSID == "" || c.TwilioAuthToken == "" {
			add("TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN: both required when HERALD_DELIVERY=live")
		}
		if c.TwilioFromNumber == "" && c.TwilioMessagingServiceSID == "" {
			add("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID: one is required when HERALD_DELIVERY=live")
		}
	}
	if c.EmailFrom != "" && !strings.Contains(c.EmailFrom, "@") {
		add("HERALD_EMAIL_FROM: %q is not an email address", c.EmailFrom)
	}
	for _, v := range []struct{ name, val string }{{"SENDGRID_BASE_URL", c.SendGridBaseURL}, {"TWILIO_BASE_URL", c.TwilioBaseURL}, {"CLIO_BASE_URL", c.ClioBaseURL}} {
		if u, err := url.Parse(v.val); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("%s: %q is not an absolute http(s) URL", v.name, v.val)
		}
	}
	if c.WebhookMaxBody < 1024 || c.WebhookMaxBody > 64<<20 {
		add("HERALD_WEBHOOK_MAX_BODY: %d bytes is out of range; use 1024 to 67108864", c.WebhookMaxBody)
	}
	if c.SettleDelay < 0 {
		add("HERALD_SETTLE_DELAY: must not be negative")
	}
	if c.SweepInterval < time.Second {
		add("HERALD_SWEEP_INTERVAL: %s is too short; use at least 1s", c.SweepInterval)
	}
	if c.SweepGrace < time.Second {
		add("HERALD_SWEEP_GRACE: %s is too short; use at least 1s", c.SweepGrace)
	}
	if c.SendLease < 15*time.Second {
		add("HERALD_SEND_LEASE: %s is too short; use at least 15s (longer than the 10s provider timeout, or a slow send is declared unknown while in flight)", c.SendLease)
	}
	if c.ReconcileGrace < time.Second {
		add("HERALD_RECONCILE_GRACE: %s is too short; use at least 1s", c.ReconcileGrace)
	}
	if c.UnderperformMinSends < 1 {
		add("HERALD_UNDERPERFORM_MIN_SENDS: %d is too small; use at least 1 (e.g. 50)", c.UnderperformMinSends)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"HERALD_UNDERPERFORM_OPEN_RATE", c.UnderperformOpenRate}, {"HERALD_UNDERPERFORM_SMS_DELIVERY_RATE", c.UnderperformSMSDeliveryRate}} {
		if r.v <= 0 || r.v > 1 {
			add("%s: %g%% is out of range; use a percentage above 0 and at most 100, e.g. 5%%", r.name, r.v*100)
		}
	}
	if c.EscalateBefore < time.Hour || c.EscalateBefore > 30*24*time.Hour {
		add("HERALD_ESCALATE_BEFORE: %s is out of range; use 1h to 720h (e.g. 24h)", c.EscalateBefore)
	}
	if c.CheckinLinkTTL < time.Hour || c.CheckinLinkTTL > 90*24*time.Hour {
		add("HERALD_CHECKIN_LINK_TTL: %s is out of range; use 1h to 2160h (e.g. 336h, two weeks)", c.CheckinLinkTTL)
	}
	if c.SMSKeywordReplies != "twilio" && c.SMSKeywordReplies != "herald" {
		add("HERALD_SMS_KEYWORD_REPLIES: %q is not an option; use twilio (Twilio answers STOP/START/HELP) or herald (Twilio's keyword handling is off)", c.SMSKeywordReplies)
	}
	if len(c.RetrySchedule) == 0 {
		add("HERALD_RETRY_SCHEDULE: needs at least one duration; e.g. 1m,5m,30m")
	}
	if c.WritebackURL != "" {
		if u, err := url.Parse(c.WritebackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("HERALD_WRITEBACK_URL: %q is not an absolute http(s) URL", c.WritebackURL)
		}
		if c.WritebackSecret == "" {
			add("HERALD_WRITEBACK_SECRET: required with HERALD_WRITEBACK_URL to sign write-backs")
		}
	}
	if c.SessionTTL < time.Minute {
		add("HERALD_SESSION_TTL: %s is too short; use at least 1m", c.SessionTTL)
	}
	if c.DefaultStaffRole != "" && !validRole(c.DefaultStaffRole) {
		add("HERALD_DEFAULT_STAFF_ROLE: %q is not a role; use admin, attorney, paralegal or ops", c.DefaultStaffRole)
	}
	for i, k := range c.DataKeys {
		if len(k) < 32 {
			add("HERALD_DATA_KEY: key %d of %d is %d characters; each key must be at least 32 (e.g. openssl rand -hex 32)", i+1, len(c.DataKeys), len(k))
		}
	}
	if c.Env == EnvProd && len(c.DataKeys) == 0 && c.ClioAccessToken != "" {
		add("HERALD_DATA_KEY: required when HERALD_ENV=prod and CLIO_ACCESS_TOKEN is set, to encrypt Clio webhook secrets at rest (e.g. openssl rand -hex 32)")
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		add("HERALD_SESSION_SECRET: must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if c.Env == EnvProd {
		if c.SessionSecret == "" {
			add("HERALD_SESSION_SECRET: required when HERALD_ENV=prod (e.g. openssl rand -hex 32)")
		}
		if c.DevLogin {
			add("HERALD_DEV_LOGIN: the dev sign-in cannot be enabled when HERALD_ENV=prod")
		}
		if c.Delivery == DeliverySandbox {
			add("HERALD_DELIVERY: sandbox delivery is not allowed when HERALD_ENV=prod; set live and the provider keys")
		}
		if c.SendGridWebhookPublicKey == "" {
			add("SENDGRID_WEBHOOK_PUBLIC_KEY: required when HERALD_ENV=prod to verify SendGrid events")
		}
		if len(c.WebhookSecrets) == 0 {
			add("HERALD_WEBHOOK_SECRET_<SOURCE>: at least one CMS webhook secret is required when HERALD_ENV=prod")
		}
		if c.OAuth.GoogleClientID == "" && c.OAuth.MicrosoftClientID == "" && c.OAuth.OIDCClientID == "" {
			add("HERALD_GOOGLE_CLIENT_ID/HERALD_MICROSOFT_CLIENT_ID/HERALD_OIDC_CLIENT_ID: at least one sign-in provider is required when HERALD_ENV=prod")
		}
		if len(c.AllowedDomains) == 0 && len(c.AllowedEmails) == 0 {
			add("HERALD_ALLOWED_DOMAINS/HERALD_ALLOWED_EMAILS: staff allowlist is required when HERALD_ENV=prod")
		}
		if strings.HasPrefix(c.PublicURL, "http://") {
			add("HERALD_PUBLIC_URL: must be https when HERALD_ENV=prod")
		}
	}
	if c.OAuth.OIDCClientID != "" && c.OAuth.OIDCDiscoveryURL == "" {
		add("HERALD_OIDC_DISCOVERY_URL: required when HERALD_OIDC_CLIENT_ID is set")
	}
	return p
}

// DevDataKey encrypts data at rest in dev when HERALD_DATA_KEY is unset. It
// is public, so it protects nothing; prod refuses to run without a real key
// wherever one is needed.
const DevDataKey = "herald-development-data-key-not-a-secret"

// DataKeyList is DataKeys, or DevDataKey in dev when none is set.
func (c Config) DataKeyList() []string {
	if len(c.DataKeys) == 0 && c.Env == EnvDev {
		return []string{DevDataKey}
	}
	return c.DataKeys
}

// Location returns the firm's time zone; Validate has checked it.
func (c Config) Location() *time.Location {
	if c.loc != nil && c.loc.String() == c.FirmTimezone {
		return c.loc
	}
	loc, err := time.LoadLocation(c.FirmTimezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Sources returns the names of sources that have a webhook secret, sorted.
func (c Config) Sources() []string {
	names := make([]string, 0, len(c.WebhookSecrets))
	for n := range c.WebhookSecrets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func validRole(r string) bool {
	switch r {
	case "admin", "attorney", "paralegal", "ops":
		return true
	}
	return false
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, errors.New("missing port")
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("bad port")
	}
	return addr[:i], port, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// SecretEnv is the environment variable holding a source's webhook secret.
func SecretEnv(source string) string {
	return "HERALD_WEBHOOK_SECRET_" + strings.ToUpper(strings.ReplaceAll(source, "-", "_"))
}

// SourceNames lists the CMS sources Herald knows: one per file in
// config/sources plus any named in HERALD_EXTRA_SOURCES.
func SourceNames(getenv func(string) string) []string {
	seen := map[string]bool{}
	var names []string
	entries, _ := fs.ReadDir(SourcesFS, "sources")
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range splitList(getenv("HERALD_EXTRA_SOURCES")) {
		if n = strings.ToLower(n); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
