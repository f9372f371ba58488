// Package clio is Herald's Clio Manage (API v4) adapter: an API client that
// fetches matters and contacts and manages webhooks, the enricher that turns
// a Clio webhook ("matter N changed") into the matter document
// config/sources/clio.yaml maps, the webhook handshake and signature check,
// and the renewal of webhooks before Clio expires them.
package clio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
)

// Source is the source name Clio events are stored under.
const Source = "clio"

// ErrRateLimited is returned when Clio still answers 429 after the allowed
// waits; the caller retries later.
var ErrRateLimited = errors.New("clio: rate limited")

// Config configures a Client.
type Config struct {
	// BaseURL is the region's host, e.g. https://app.clio.com (CLIO_BASE_URL).
	BaseURL string
	// AccessToken is the OAuth bearer token (CLIO_ACCESS_TOKEN).
	AccessToken string
	// HTTP is the client used for requests; nil uses one with a 30s timeout.
	HTTP *http.Client
	// Clock stamps webhook expiries; nil uses the real clock.
	Clock clock.Clock
	// Sleep waits out a 429's Retry-After; nil waits on a timer and returns
	// early with ctx's error. Tests inject one that records the wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries bounds 429 retries per request (default 3).
	MaxRetries int
	// MaxWait is the longest Retry-After honoured in-process (default 60s);
	// a longer one fails the request with ErrRateLimited so a job retries.
	MaxWait time.Duration
}

// Client calls the Clio Manage API v4.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	clock clock.Clock
	sleep func(ctx context.Context, d time.Duration) error
	tries int
	wait  time.Duration
}

// New validates cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, derrors.Invalid("CLIO_BASE_URL", fmt.Sprintf("%q is not an absolute http(s) URL", cfg.BaseURL),
			"use the region's host, e.g. https://app.clio.com")
	}
	if cfg.AccessToken == "" {
		return nil, derrors.Invalid("CLIO_ACCESS_TOKEN", "is empty", "connect Clio and set the OAuth access token")
	}
	c := &Client{base: u, token: cfg.AccessToken, http: cfg.HTTP, clock: cfg.Clock, sleep: cfg.Sleep,
		tries: cfg.MaxRetries, wait: cfg.MaxWait}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.tries <= 0 {
		c.tries = 3
	}
	if c.wait <= 0 {
		c.wait = time.Minute
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// APIError is a Clio response that is neither success nor rate limiting.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("clio: HTTP %d: %s", e.Status, e.Message)
}

// do sends one request to path (relative to the base URL, or an absolute
// paging URL on the same host) and decodes a JSON answer into out. It waits
// out 429s up to the retry bound, maps 401 to a permanent configuration
// error, 404 to derrors.NotFound and other 4xx to derrors.InvalidArgument;
// 5xx and network errors are returned as they are, for a later retry.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	target, err := c.resolve(path, query)
	if err != nil {
		return err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("clio: encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("clio: build request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("clio: %s %s: %w", method, req.URL.Path, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("clio: read %s: %w", req.URL.Path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			d := retryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
			if attempt >= c.tries || d > c.wait {
				return fmt.Errorf("%w: %s %s still limited after %d retries (Retry-After %s)",
					ErrRateLimited, method, req.URL.Path, attempt, d)
			}
			if err := c.sleep(ctx, d); err != nil {
				return fmt.Errorf("clio: waiting out rate limit: %w", err)
			}
			continue
		}
		if err := statusError(resp.StatusCode, raw); err != nil {
			return fmt.Errorf("clio: %s %s: %w", method, req.URL.Path, err)
		}
		if out == nil {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // ids stay exact
		if err := dec.Decode(out); err != nil {
			return fmt.Errorf("clio: decode %s: %w", req.URL.Path, err)
		}
		return nil
	}
}

// resolve joins path to the base URL; an absolute URL (a paging link) must
// point at the same host, so the token is never sent elsewhere.
func (c *Client) resolve(path string, query url.Values) (string, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return "", fmt.Errorf("clio: bad path %q: %w", path, err)
	}
	u := c.base.ResolveReference(ref)
	if ref.IsAbs() && u.Host != c.base.Host {
		return "", fmt.Errorf("clio: refusing to follow %s: not on %s", u.Redacted(), c.base.Host)
	}
	if !ref.IsAbs() {
		u.Path = strings.TrimRight(c.base.Path, "/") + "/" + strings.TrimLeft(ref.Path, "/")
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// retryAfter reads delay-seconds or an HTTP date; missing means 1s.
func retryAfter(h string, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// statusError classifies a non-2xx answer. Clio's error body is
// {"error":{"type":"...","message":"..."}}.
func statusError(status int, raw []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	var body struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	msg := body.Error.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	apiErr := &APIError{Status: status, Message: msg}
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w (%w)", derrors.Invalid("CLIO_ACCESS_TOKEN", "was rejected by Clio (HTTP 401)",
			"reconnect Clio: the OAuth token was revoked or has expired; set a new CLIO_ACCESS_TOKEN"), apiErr)
	case status == http.StatusForbidden:
		return fmt.Errorf("%w (%w)", derrors.Invalid("CLIO_ACCESS_TOKEN", "lacks a permission (HTTP 403)",
			"reconnect Clio granting the Matters, Contacts and Webhooks scopes"), apiErr)
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %w", derrors.NotFound, apiErr)
	case status >= 400 && status < 500:
		return fmt.Errorf("%w: %w", derrors.InvalidArgument, apiErr)
	}
	return apiErr
}
