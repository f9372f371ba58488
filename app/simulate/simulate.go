// Package simulate is a CMS simulator for load and soak tests: it posts
// signed, realistic and deliberately messy generic-envelope webhooks to a
// Herald — status progressions with free-text variants, moved court dates
// in assorted formats, typo'd emails, phones with notes, duplicates re-sent
// and deliveries out of order — at a fixed rate, and reports progress.
package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/ingest"
)

// Options configure a run.
type Options struct {
	// URL is Herald's base URL (http://127.0.0.1:8080) or the full webhook
	// URL (…/webhooks/cms/<source>).
	URL    string
	Source string
	// Secret signs each request (Herald-Signature).
	Secret string
	// Rate is requests per second.
	Rate float64
	// Duration bounds the run; 0 runs until Events or ctx ends.
	Duration time.Duration
	// Events stops after this many requests; 0 means no limit.
	Events int
	// Cases is how many distinct cases the simulated CMS holds.
	Cases int
	// Seed makes the run reproducible: same seed, same bodies and order.
	Seed int64
	// Duplicates and OutOfOrder are the chances (0..1) that a request
	// re-sends an earlier event or delivers a case's newer change first.
	Duplicates float64
	OutOfOrder float64
	// HTTP sends the requests; nil uses a client with a 10s timeout.
	HTTP *http.Client
	// Now stamps signatures and events; nil uses time.Now.
	Now func() time.Time
	// Progress receives a status line every ProgressEvery (default 1s)
	// and a final one; nil discards them.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Stats counts what a run did.
type Stats struct {
	Sent       int
	Accepted   int // 202: a new event
	Duplicate  int // 200: Herald already had it
	Errors     int // anything else, including network errors
	Resent     int // duplicates the simulator sent on purpose
	Reordered  int // pairs delivered newer-first on purpose
	LastError  string
	Elapsed    time.Duration
	StatusSeen map[int]int
}

func (s Stats) line() string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Sent) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("simulate: sent=%d accepted=%d duplicate=%d errors=%d (resent=%d reordered=%d) rate=%.1f/s",
		s.Sent, s.Accepted, s.Duplicate, s.Errors, s.Resent, s.Reordered, rate)
}

// Run posts events until Duration, Events or ctx ends. It returns an error
// only for bad options or when not one request succeeded.
func Run(ctx context.Context, o Options) (Stats, error) {
	if err := o.defaults(); err != nil {
		return Stats{}, err
	}
	target := o.URL
	if !strings.Contains(target, "/webhooks/cms/") {
		target = strings.TrimRight(target, "/") + "/webhooks/cms/" + o.Source
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	start := time.Now()
	g := newGenerator(o.Seed, o.Cases, o.Now())
	st := Stats{StatusSeen: map[int]int{}}
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.Rate))
	defer tick.Stop()
	report := time.NewTicker(o.ProgressEvery)
	defer report.Stop()
	var pending, history []event
	for o.Events == 0 || st.Sent < o.Events {
		select {
		case <-ctx.Done():
			return finish(o, st, start)
		case <-report.C:
			st.Elapsed = time.Since(start)
			fmt.Fprintln(o.Progress, st.line())
			continue
		case <-tick.C:
		}
		var ev event
		switch r := g.rng.Float64(); {
		case len(pending) > 0:
			ev, pending = pending[0], pending[1:]
		case r < o.Duplicates && len(history) > 0:
			ev = history[g.rng.IntN(len(history))]
			st.Resent++
		case r < o.Duplicates+o.OutOfOrder:
			c := g.cases[g.rng.IntN(len(g.cases))]
			now := o.Now()
			older := g.change(c, now)
			ev, pending = g.change(c, now.Add(time.Millisecond)), append(pending, older)
			st.Reordered++
		default:
			ev = g.next(o.Now())
		}
		if len(history) < 500 {
			history = append(history, ev)
		}
		o.send(ctx, target, ev, &st)
	}
	return finish(o, st, start)
}

func finish(o Options, st Stats, start time.Time) (Stats, error) {
	st.Elapsed = time.Since(start)
	fmt.Fprintln(o.Progress, st.line())
	if st.Sent > 0 && st.Accepted+st.Duplicate == 0 {
		return st, fmt.Errorf("simulate: all %d requests failed; last: %s", st.Sent, st.LastError)
	}
	return st, nil
}

func (o *Options) defaults() error {
	var errs []error
	if o.URL == "" || !(strings.HasPrefix(o.URL, "http://") || strings.HasPrefix(o.URL, "https://")) {
		errs = append(errs, fmt.Errorf("--url %q must be Herald's http(s) URL", o.URL))
	}
	if o.Source == "" {
		errs = append(errs, errors.New("--source is required"))
	}
	if o.Secret == "" {
		errs = append(errs, errors.New("--secret is empty; pass it or set HERALD_WEBHOOK_SECRET_<SOURCE>"))
	}
	if o.Rate <= 0 || o.Rate > 10000 {
		errs = append(errs, fmt.Errorf("--rate %.2f/s is out of range (0, 10000]", o.Rate))
	}
	if o.Cases <= 0 {
		errs = append(errs, errors.New("--cases must be at least 1"))
	}
	if o.Duplicates < 0 || o.OutOfOrder < 0 || o.Duplicates+o.OutOfOrder > 1 {
		errs = append(errs, errors.New("--duplicates and --out-of-order must be chances between 0 and 1 that sum to at most 1"))
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	return errors.Join(errs...)
}

// send signs and posts one event, counting the answer.
func (o *Options) send(ctx context.Context, target string, ev event, st *Stats) {
	st.Sent++
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(ev.body))
	if err != nil {
		st.Errors++
		st.LastError = err.Error()
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(ingest.SignatureHeader, ingest.Sign(o.Secret, o.Now(), ev.body))
	resp, err := o.HTTP.Do(req)
	if err != nil {
		st.Errors++
		st.LastError = err.Error()
		return
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	st.StatusSeen[resp.StatusCode]++
	switch resp.StatusCode {
	case http.StatusAccepted:
		st.Accepted++
	case http.StatusOK:
		st.Duplicate++
	default:
		st.Errors++
		st.LastError = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
}
