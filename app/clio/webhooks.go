package clio

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/store"
)

// Recorder stores an event whose authenticity the caller has checked
// (ingest.Service.Record).
type Recorder interface {
	Record(ctx context.Context, source string, body []byte) (ingest.Result, error)
}

// WebhookAPI is the part of Clio the webhook life cycle needs (*Client).
type WebhookAPI interface {
	CreateWebhook(ctx context.Context, callbackURL, model string, events []string) (Webhook, error)
	ExtendWebhook(ctx context.Context, id int64, expiresAt time.Time) (Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
}

// Webhooks owns the clio_webhooks table: it registers webhooks, answers
// Clio's handshake, checks delivery signatures and renews webhooks before
// they expire. Secrets are stored sealed (SecretBox) and never logged or
// returned.
type Webhooks struct {
	db    *store.DB
	clock clock.Clock
	rec   Recorder
	api   WebhookAPI
	box   *SecretBox
}

// NewWebhooks builds the service. api may be nil when Clio is not
// connected: then only webhooks Herald already stored are trusted and
// nothing is renewed. box seals the stored secrets; it may be nil only
// where no Clio webhook is ever stored (prod without CLIO_ACCESS_TOKEN), and
// then storing or checking one fails naming HERALD_DATA_KEY.
func NewWebhooks(db *store.DB, clk clock.Clock, rec Recorder, api WebhookAPI, box *SecretBox) *Webhooks {
	if c, ok := api.(*Client); ok && c == nil {
		api = nil // a typed nil: Clio is not connected
	}
	return &Webhooks{db: db, clock: clk, rec: rec, api: api, box: box}
}

// errNoDataKey is returned when a secret must be sealed or opened without a
// SecretBox.
var errNoDataKey = derrors.Invalid("HERALD_DATA_KEY", "is not set, so Clio webhook secrets cannot be stored or read",
	"set HERALD_DATA_KEY (openssl rand -hex 32) and restart")

// Register creates a webhook in Clio posting to callbackURL (Herald's
// /webhooks/cms/clio) and stores its secret, pending until the handshake.
func (w *Webhooks) Register(ctx context.Context, callbackURL, model string, events []string) (Webhook, error) {
	if w.api == nil {
		return Webhook{}, derrors.Invalid("CLIO_ACCESS_TOKEN", "is not set", "connect Clio first")
	}
	wh, err := w.api.CreateWebhook(ctx, callbackURL, model, events)
	if err != nil {
		return Webhook{}, fmt.Errorf("create clio webhook: %w", err)
	}
	if wh.SharedSecret == "" {
		return Webhook{}, fmt.Errorf("clio: webhook %d was created without a shared_secret", wh.ID)
	}
	if err := w.upsert(ctx, wh, "pending"); err != nil {
		return Webhook{}, err
	}
	return wh, nil
}

// upsert stores wh keyed by its secret's hash, the secret sealed; a
// handshake that came first keeps the row enabled.
func (w *Webhooks) upsert(ctx context.Context, wh Webhook, status string) error {
	if w.box == nil {
		return errNoDataKey
	}
	sealed, err := w.box.Seal(wh.SharedSecret)
	if err != nil {
		return err
	}
	var exp *time.Time
	if !wh.ExpiresAt.IsZero() {
		exp = &wh.ExpiresAt
	}
	var clioID *int64
	if wh.ID != 0 {
		clioID = &wh.ID
	}
	_, err = w.db.Pool.Exec(ctx, `INSERT INTO clio_webhooks (clio_webhook_id, url, model, events, secret_sealed,
			secret_hash, status, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (secret_hash) DO UPDATE SET clio_webhook_id = EXCLUDED.clio_webhook_id, url = EXCLUDED.url,
			model = EXCLUDED.model, events = EXCLUDED.events, expires_at = EXCLUDED.expires_at,
			secret_sealed = EXCLUDED.secret_sealed,
			status = CASE WHEN clio_webhooks.status = 'enabled' THEN 'enabled' ELSE EXCLUDED.status END,
			updated_at = EXCLUDED.updated_at`,
		clioID, wh.URL, wh.Model, nonNil(wh.Events), sealed, secretHash(wh.SharedSecret), status, exp, w.clock.Now())
	if err != nil {
		return fmt.Errorf("%w: store clio webhook: %w", derrors.Unavailable, err)
	}
	return nil
}

// Handshake answers Clio's activation request, which carries the webhook's
// secret in X-Hook-Secret. The secret is trusted only if Herald registered
// it or Clio lists a webhook with it (so a stranger cannot plant a signing
// secret); it is then stored enabled and the caller echoes it back.
func (w *Webhooks) Handshake(ctx context.Context, secret string) error {
	secret = strings.TrimSpace(secret)
	if secret == "" || len(secret) > 512 {
		return fmt.Errorf("%w: X-Hook-Secret is empty or too long", derrors.Unauthorized)
	}
	tag, err := w.db.Pool.Exec(ctx, `UPDATE clio_webhooks SET status = 'enabled', updated_at = $2 WHERE secret_hash = $1`,
		secretHash(secret), w.clock.Now())
	if err != nil {
		return fmt.Errorf("%w: enable clio webhook: %w", derrors.Unavailable, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if w.api == nil {
		return fmt.Errorf("%w: unknown Clio webhook secret; set CLIO_ACCESS_TOKEN so Herald can confirm it with Clio",
			derrors.Unauthorized)
	}
	hooks, err := w.api.Webhooks(ctx)
	if err != nil {
		return fmt.Errorf("%w: confirm webhook with Clio: %w", derrors.Unavailable, err)
	}
	for _, h := range hooks {
		if subtle.ConstantTimeCompare([]byte(h.SharedSecret), []byte(secret)) == 1 {
			return w.upsert(ctx, h, "enabled")
		}
	}
	return fmt.Errorf("%w: no Clio webhook of this account has that secret", derrors.Unauthorized)
}

// SignatureHeader is the header Clio signs deliveries with: the hex
// HMAC-SHA256 of the raw body keyed by the webhook's secret.
const SignatureHeader = "X-Hook-Signature"

// Verify checks signature against every enabled webhook's secret, in
// constant time per secret. A mismatch wraps derrors.Unauthorized; when
// nothing matched and some stored secret could not be decrypted (a wrong or
// missing HERALD_DATA_KEY), it wraps derrors.Unavailable instead, so the
// delivery is answered 503 and Clio retries once the key is fixed.
func (w *Webhooks) Verify(ctx context.Context, signature string, body []byte) error {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is missing or not 64 hex digits", derrors.Unauthorized, SignatureHeader)
	}
	rows, err := w.db.Pool.Query(ctx, `SELECT secret_sealed FROM clio_webhooks WHERE status = 'enabled'`)
	if err != nil {
		return fmt.Errorf("%w: load clio webhook secrets: %w", derrors.Unavailable, err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("%w: load clio webhook secrets: %w", derrors.Unavailable, err)
	}
	var openErr error
	for _, v := range stored {
		s, err := w.open(v)
		if err != nil {
			openErr = err
			continue
		}
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	if openErr != nil {
		return fmt.Errorf("%w: %s matched no readable Clio webhook secret: %w", derrors.Unavailable, SignatureHeader, openErr)
	}
	return fmt.Errorf("%w: %s does not match the body for any of %d enabled Clio webhook(s)",
		derrors.Unauthorized, SignatureHeader, len(stored))
}

// open decrypts a stored secret.
func (w *Webhooks) open(stored string) (string, error) {
	if w.box == nil {
		if !strings.HasPrefix(stored, sealedPrefix) {
			return stored, nil // plaintext from before encryption
		}
		return "", errNoDataKey
	}
	s, _, err := w.box.Open(stored)
	return s, err
}

// Reseal seals every stored secret that is plaintext (stored before
// migration 00100) or sealed under an older HERALD_DATA_KEY key with the
// current first key. It returns how many it rewrote; a secret no key opens
// is reported and left as it is.
func (w *Webhooks) Reseal(ctx context.Context) (int, error) {
	if w.box == nil {
		return 0, errNoDataKey
	}
	rows, err := w.db.Pool.Query(ctx, `SELECT id, secret_sealed FROM clio_webhooks ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("%w: list clio webhook secrets: %w", derrors.Unavailable, err)
	}
	type stored struct {
		ID     int64
		Sealed string
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		return 0, fmt.Errorf("%w: list clio webhook secrets: %w", derrors.Unavailable, err)
	}
	n := 0
	var errs []error
	for _, r := range list {
		secret, current, err := w.box.Open(r.Sealed)
		if err != nil {
			errs = append(errs, fmt.Errorf("clio webhook row %d: %w", r.ID, err))
			continue
		}
		if current {
			continue
		}
		sealed, err := w.box.Seal(secret)
		if err != nil {
			return n, err
		}
		// Only if unchanged meanwhile: a concurrent upsert sealed it already.
		tag, err := w.db.Pool.Exec(ctx, `UPDATE clio_webhooks SET secret_sealed = $3, updated_at = $4
			WHERE id = $1 AND secret_sealed = $2`, r.ID, r.Sealed, sealed, w.clock.Now())
		if err != nil {
			return n, fmt.Errorf("%w: reseal clio webhook row %d: %w", derrors.Unavailable, r.ID, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, errors.Join(errs...)
}

// Receive verifies a delivery and stores it for processing, answering only
// after it is committed. Nothing is stored when the signature is wrong.
func (w *Webhooks) Receive(ctx context.Context, signature string, body []byte) (ingest.Result, error) {
	if err := w.Verify(ctx, signature, body); err != nil {
		return ingest.Result{}, err
	}
	return w.rec.Record(ctx, Source, body)
}

// RenewExpiring extends every enabled webhook that expires within window
// to now+WebhookLifetime. Webhooks known only by their handshake are first
// matched to Clio's list by secret to learn their id and expiry. It
// returns how many were renewed; one failure does not stop the others.
//
// It first reseals secrets stored in plaintext or under an older key, so an
// upgrade or key rotation completes within an hour without a manual step.
func (w *Webhooks) RenewExpiring(ctx context.Context, window time.Duration) (int, error) {
	var resealErr error
	if w.box != nil {
		if _, err := w.Reseal(ctx); err != nil {
			resealErr = fmt.Errorf("reseal clio webhook secrets: %w", err) // renewal still runs
		}
	}
	if w.api == nil {
		return 0, resealErr
	}
	if err := w.learnIDs(ctx); err != nil {
		return 0, errors.Join(err, resealErr)
	}
	now := w.clock.Now()
	rows, err := w.db.Pool.Query(ctx, `SELECT id, clio_webhook_id FROM clio_webhooks
		WHERE status = 'enabled' AND clio_webhook_id IS NOT NULL AND expires_at < $1 ORDER BY expires_at`, now.Add(window))
	if err != nil {
		return 0, fmt.Errorf("%w: list expiring clio webhooks: %w", derrors.Unavailable, err)
	}
	type due struct{ ID, ClioID int64 }
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
	if err != nil {
		return 0, fmt.Errorf("%w: list expiring clio webhooks: %w", derrors.Unavailable, err)
	}
	renewed := 0
	var errs []error
	for _, d := range list {
		wh, err := w.api.ExtendWebhook(ctx, d.ClioID, now.Add(WebhookLifetime))
		note := ""
		if err != nil {
			errs = append(errs, fmt.Errorf("renew clio webhook %d: %w", d.ClioID, err))
			note = err.Error()
		}
		var exp *time.Time
		if err == nil && !wh.ExpiresAt.IsZero() {
			exp = &wh.ExpiresAt
		}
		if _, uerr := w.db.Pool.Exec(ctx, `UPDATE clio_webhooks SET expires_at = COALESCE($2, expires_at),
				renewed_at = CASE WHEN $3 = '' THEN $4 ELSE renewed_at END, renew_error = $3, updated_at = $4 WHERE id = $1`,
			d.ID, exp, note, now); uerr != nil {
			errs = append(errs, fmt.Errorf("%w: record renewal: %w", derrors.Unavailable, uerr))
			continue
		}
		if err == nil {
			renewed++
		}
	}
	return renewed, errors.Join(append(errs, resealErr)...)
}

// learnIDs fills clio_webhook_id and expires_at of handshake-only rows.
func (w *Webhooks) learnIDs(ctx context.Context) error {
	var n int
	if err := w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM clio_webhooks
		WHERE status = 'enabled' AND (clio_webhook_id IS NULL OR expires_at IS NULL)`).Scan(&n); err != nil {
		return fmt.Errorf("%w: count clio webhooks: %w", derrors.Unavailable, err)
	}
	if n == 0 {
		return nil
	}
	hooks, err := w.api.Webhooks(ctx)
	if err != nil {
		return fmt.Errorf("list clio webhooks: %w", err)
	}
	for _, h := range hooks {
		if h.SharedSecret == "" || h.ID == 0 {
			continue
		}
		var exp *time.Time
		if !h.ExpiresAt.IsZero() {
			exp = &h.ExpiresAt
		}
		if _, err := w.db.Pool.Exec(ctx, `UPDATE clio_webhooks SET clio_webhook_id = $2, expires_at = COALESCE($3, expires_at),
				updated_at = $4 WHERE secret_hash = $1 AND (clio_webhook_id IS NULL OR expires_at IS NULL)`,
			secretHash(h.SharedSecret), h.ID, exp, w.clock.Now()); err != nil {
			return fmt.Errorf("%w: record clio webhook id: %w", derrors.Unavailable, err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Listed is one webhook as Clio reports it (its secret left out), with what
// Herald stored for it.
type Listed struct {
	Webhook
	// InClio is false for a webhook Herald stored that Clio no longer lists
	// (deleted in Clio, or expired and removed).
	InClio bool
	// Herald is Herald's status for it (pending until Clio's handshake,
	// enabled, disabled), or "" when Herald holds no secret for it and so
	// refuses its deliveries.
	Herald string
}

// List returns Clio's webhooks for the account matched by secret to the
// ones Herald stored, then the stored ones Clio no longer lists.
func (w *Webhooks) List(ctx context.Context) ([]Listed, error) {
	if w.api == nil {
		return nil, derrors.Invalid("CLIO_ACCESS_TOKEN", "is not set, so Herald cannot ask Clio for its webhooks",
			"connect Clio and set CLIO_ACCESS_TOKEN")
	}
	hooks, err := w.api.Webhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clio webhooks: %w", err)
	}
	rows, err := w.db.Pool.Query(ctx, `SELECT secret_hash, status, coalesce(clio_webhook_id, 0), url, model, events,
		coalesce(expires_at, 'epoch') FROM clio_webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("%w: list stored clio webhooks: %w", derrors.Unavailable, err)
	}
	type stored struct {
		Hash, Status string
		ID           int64
		URL, Model   string
		Events       []string
		ExpiresAt    time.Time
	}
	local, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		return nil, fmt.Errorf("%w: list stored clio webhooks: %w", derrors.Unavailable, err)
	}
	byHash := map[string]*stored{}
	for i := range local {
		byHash[local[i].Hash] = &local[i]
	}
	seen := map[string]bool{}
	out := make([]Listed, 0, len(hooks))
	for _, h := range hooks {
		l := Listed{Webhook: h, InClio: true}
		if h.SharedSecret != "" {
			hash := secretHash(h.SharedSecret)
			if s, ok := byHash[hash]; ok {
				l.Herald, seen[hash] = s.Status, true
			}
		}
		l.SharedSecret = ""
		out = append(out, l)
	}
	for _, s := range local {
		if seen[s.Hash] {
			continue
		}
		l := Listed{Webhook: Webhook{ID: s.ID, URL: s.URL, Model: s.Model, Events: s.Events}, Herald: s.Status}
		if s.ExpiresAt.After(time.Unix(0, 0)) {
			l.ExpiresAt = s.ExpiresAt
		}
		out = append(out, l)
	}
	return out, nil
}
