package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/app/ingest"
)

// Statuses whose default rules send at once (config/rules.yaml):
// discovery_initiated sends one email, settlement_offer_received an SMS and
// an email.
const (
	statusDiscovery  = "Discovery Initiated"
	statusSettlement = "Settlement Offer Received"
)

// eventBody is a signed-source webhook creating case caseKey in status.
// Every case is new, so its status rule fires exactly once.
func eventBody(id, caseKey, status string, n int64) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"case.updated","occurred_at":%q,"data":{"case_id":%q,"client_id":"CL-%s",`+
		`"current_attributes":{"status":%q,"case_number":"PI-2026-%d","client_first_name":"Ana","client_last_name":"Lopez",`+
		`"client_email":"ana.%s@example.com","client_mobile_phone":"(312) 555-01%02d","preferred_language":"en",`+
		`"timezone":"America/Chicago","attorney_id":"ATT-7","paralegal_id":"PL-3"}}}`,
		id, time.Now().UTC().Format(time.RFC3339Nano), caseKey, caseKey, status, n, caseKey, n%100)
}

// answer is one webhook attempt as the client saw it.
type answer struct {
	from time.Time // when the request was sent
	at   time.Time // when the answer (or the failure) came
	id   string
	code int // 0 when the request failed (connection refused, reset)
}

// webhooks is the client side of the ledger checker: it signs and posts CMS
// webhooks and records every answer, and which event ids were acknowledged
// (any 2xx).
type webhooks struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	answers []answer
	acked   map[string]bool
	sent    map[string]bool
}

func newWebhooks(baseURL string) *webhooks {
	return &webhooks{
		url: baseURL + "/webhooks/cms/generic",
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 64, DisableCompression: true}},
		acked: map[string]bool{},
		sent:  map[string]bool{},
	}
}

// post sends one signed webhook once and records the answer; it returns the
// status code, 0 when the request failed, -1 when ctx ended first.
func (w *webhooks) post(ctx context.Context, id string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(ingest.SignatureHeader, ingest.Sign(webhookSecret, time.Now(), body))
	code, from := 0, time.Now()
	resp, err := w.client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	} else if ctx.Err() != nil {
		return -1 // the load stopped; no answer to record
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent[id] = true
	w.answers = append(w.answers, answer{from: from, at: time.Now(), id: id, code: code})
	if code >= 200 && code < 300 {
		w.acked[id] = true
	}
	return code
}

// postUntilAcked retries like a CMS: until a 2xx or ctx ends. It reports
// whether the event was acknowledged.
func (w *webhooks) postUntilAcked(ctx context.Context, id string, body []byte) bool {
	for {
		code := w.post(ctx, id, body)
		if code >= 200 && code < 300 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// between returns the answers to requests sent at or after from that came
// back before to.
func (w *webhooks) between(from, to time.Time) []answer {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []answer
	for _, a := range w.answers {
		if !a.from.Before(from) && a.at.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// ackedIDs returns the acknowledged event ids, sorted.
func (w *webhooks) ackedIDs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.acked))
	for id := range w.acked {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// codes counts answers by status code (0: no answer) since from.
func (w *webhooks) codes(from, to time.Time) map[int]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int]int{}
	for _, a := range w.answers {
		if !a.at.Before(from) && (to.IsZero() || a.at.Before(to)) {
			out[a.code]++
		}
	}
	return out
}

// load posts new-case events from workers goroutines until ctx ends, each
// event retried until acknowledged when retry is set (a CMS's behaviour) or
// posted once otherwise. Event ids are prefix-<n>.
type load struct {
	w      *webhooks
	prefix string
	status string
	seq    atomic.Int64
}

func (l *load) next() (string, []byte) {
	n := l.seq.Add(1)
	id := fmt.Sprintf("%s-%d", l.prefix, n)
	return id, eventBody(id, fmt.Sprintf("%s-C%d", l.prefix, n), l.status, n)
}

// run blocks until ctx ends. pause spaces each worker's events.
func (l *load) run(ctx context.Context, workers int, pause time.Duration, retry bool) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				id, body := l.next()
				if retry {
					l.w.postUntilAcked(ctx, id, body)
				} else {
					l.w.post(ctx, id, body)
				}
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			}
		})
	}
	wg.Wait()
}

// postN posts n events (retrying each until acknowledged, ctx bounding the
// whole run) from workers goroutines.
func (l *load) postN(ctx context.Context, n, workers int) {
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	for range workers {
		wg.Go(func() {
			for left.Add(-1) >= 0 && ctx.Err() == nil {
				id, body := l.next()
				l.w.postUntilAcked(ctx, id, body)
			}
		})
	}
	wg.Wait()
}
