package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// links is an embedded toxiproxy with one proxy per link Herald uses.
type links struct {
	pg, redis *toxiproxy.Proxy
}

func newLinks(t *testing.T, pgUpstream, redisUpstream string) *links {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	l := &links{}
	for _, p := range []struct {
		into     **toxiproxy.Proxy
		name, up string
	}{{&l.pg, "postgres", pgUpstream}, {&l.redis, "redis", redisUpstream}} {
		proxy := toxiproxy.NewProxy(srv, p.name, "127.0.0.1:0", p.up)
		if err := proxy.Start(); err != nil {
			t.Fatalf("start toxiproxy for %s: %v", p.name, err)
		}
		t.Cleanup(proxy.Stop)
		*p.into = proxy
	}
	return l
}

// add puts a toxic on a link, both directions where it matters.
func add(t *testing.T, p *toxiproxy.Proxy, name, typ, stream string, attrs string) {
	t.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1.0,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("add toxic %s to %s: %v", name, p.Name, err)
	}
}

func clear(p *toxiproxy.Proxy) { p.Toxics.ResetToxics(context.Background()) }

// sample is the child's footprint at one moment.
type sample struct {
	phase      string
	goroutines float64
	rssMB      float64
}

// TestToxicLinks is scenario 6: an embedded toxiproxy (Shopify/toxiproxy)
// between `herald run` and both PostgreSQL and Redis, under a CMS load of 96
// concurrent clients, goes through latency, timeouts (data dropped, the
// connection closed after 2s) and reset_peer, then is cleared. Throughout,
// the process's goroutines and memory must stay bounded (no pile-up of
// waiting requests), overload must be shed with 503 + Retry-After (never a
// 2xx for what was not stored, never a 500), and after the toxics go
// webhooks must be accepted again and the ledger must balance.
func TestToxicLinks(t *testing.T) {
	var lk *links
	s := newStack(t, stackOpts{links: func(pg, redis string) (string, string) {
		lk = newLinks(t, pg, redis)
		return lk.pg.Listen, lk.redis.Listen
	}})
	h := s.start("run", nil, "--concurrency", "8")
	w := newWebhooks(h.url)
	l := &load{w: w, prefix: "toxic", status: statusDiscovery}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	const clients = 96
	// Each client pauses 1s between events: ~100 events/s when healthy,
	// about what the 8 workers handle, and 96 requests in flight (over
	// the 64 webhook slots) once the links slow down.
	wg.Go(func() { l.run(ctx, clients, time.Second, true) })

	var mu sync.Mutex
	var samples []sample
	phase := "baseline"
	sctx, stopSampling := context.WithCancel(context.Background())
	var sw sync.WaitGroup
	sw.Go(func() {
		for sctx.Err() == nil {
			mctx, cancel := context.WithTimeout(sctx, 5*time.Second)
			g, err1 := h.metric(mctx, "go_goroutines")
			cancel()
			rss, err2 := h.statusValue("VmRSS")
			mu.Lock()
			if err1 == nil && err2 == nil {
				samples = append(samples, sample{phase, g, float64(rss) / 1024})
			}
			mu.Unlock()
			select {
			case <-sctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	setPhase := func(p string) time.Time {
		mu.Lock()
		defer mu.Unlock()
		phase = p
		return time.Now()
	}
	time.Sleep(3 * time.Second)

	marks := map[string]time.Time{}
	marks["latency"] = setPhase("latency")
	add(t, lk.pg, "pg_latency", "latency", "downstream", `{"latency":300,"jitter":100}`)
	add(t, lk.pg, "pg_latency_up", "latency", "upstream", `{"latency":100,"jitter":50}`)
	add(t, lk.redis, "redis_latency", "latency", "downstream", `{"latency":200,"jitter":50}`)
	time.Sleep(5 * time.Second)

	marks["timeout"] = setPhase("timeout")
	clear(lk.pg)
	clear(lk.redis)
	add(t, lk.pg, "pg_timeout", "timeout", "upstream", `{"timeout":2000}`)
	add(t, lk.redis, "redis_timeout", "timeout", "upstream", `{"timeout":2000}`)
	time.Sleep(6 * time.Second)

	marks["reset_peer"] = setPhase("reset_peer")
	clear(lk.pg)
	clear(lk.redis)
	add(t, lk.pg, "pg_reset", "reset_peer", "upstream", `{"timeout":50}`)
	add(t, lk.redis, "redis_reset", "reset_peer", "upstream", `{"timeout":50}`)
	time.Sleep(4 * time.Second)

	marks["recovery"] = setPhase("recovery")
	clear(lk.pg)
	clear(lk.redis)
	time.Sleep(6 * time.Second)
	stop()
	wg.Wait()
	marks["end"] = setPhase("after")
	time.Sleep(2 * time.Second)
	stopSampling()
	sw.Wait()

	// Footprint per phase.
	peak := map[string]sample{}
	for _, x := range samples {
		p := peak[x.phase]
		p.phase = x.phase
		p.goroutines = max(p.goroutines, x.goroutines)
		p.rssMB = max(p.rssMB, x.rssMB)
		peak[x.phase] = p
	}
	base := peak["baseline"]
	if base.goroutines == 0 {
		t.Fatalf("no /metrics sample during the baseline: %v", samples)
	}
	// Each client holds at most one connection (one goroutine in the
	// server); anything beyond that plus a fixed allowance is a pile-up.
	goBound := base.goroutines + 2*clients + 300
	const rssBoundMB = 300
	for _, p := range []string{"latency", "timeout", "reset_peer", "recovery", "after"} {
		x := peak[p]
		if x.goroutines == 0 {
			t.Errorf("no /metrics sample during %s (the metrics endpoint must answer without the database)", p)
			continue
		}
		if x.goroutines > goBound {
			t.Errorf("%s: %v goroutines, over the bound %v (baseline %v + 2 per client + 300)", p, x.goroutines, goBound, base.goroutines)
		}
		if x.rssMB > rssBoundMB {
			t.Errorf("%s: RSS %.0f MB, over %d MB", p, x.rssMB, rssBoundMB)
		}
	}
	if after := peak["after"]; after.goroutines > base.goroutines+50 {
		t.Errorf("after the load: %v goroutines, baseline %v: something leaked", after.goroutines, base.goroutines)
	}

	// Answers per phase: shed with 503, never 500, 2xx only when stored.
	faulty := w.codes(marks["latency"], marks["recovery"])
	for code, n := range faulty {
		if code != 200 && code != 202 && code != 503 && code != 429 {
			t.Errorf("%d answers with status %d under the toxics; want only 2xx (stored), 503 or 429 (shed): %v", n, code, faulty)
		}
	}
	if faulty[503]+faulty[429] == 0 {
		t.Errorf("no webhook was shed (503/429) under timeouts and resets: %v", faulty)
	}
	recovered := w.codes(marks["recovery"].Add(3*time.Second), marks["end"])
	if recovered[202] == 0 {
		t.Errorf("no webhook accepted from 3s after the toxics were cleared: %v", recovered)
	}
	led, took := s.settle(t, w.ackedIDs(), 1, 90*time.Second)
	requireBalanced(t, led, 0)

	report := []string{fmt.Sprintf("all answers %v", w.codes(time.Time{}, time.Time{}))}
	for _, p := range []string{"baseline", "latency", "timeout", "reset_peer", "recovery", "after"} {
		x := peak[p]
		from, to := marks[p], time.Time{}
		switch p {
		case "baseline":
			from, to = time.Time{}, marks["latency"]
		case "latency":
			to = marks["timeout"]
		case "timeout":
			to = marks["reset_peer"]
		case "reset_peer":
			to = marks["recovery"]
		case "recovery":
			to = marks["end"]
		case "after":
			from = marks["end"]
		}
		report = append(report, fmt.Sprintf("%s: peak %v goroutines, %.0f MB RSS, answers %v", p, x.goroutines, x.rssMB, w.codes(from, to)))
	}
	t.Logf("scenario 6 (%d clients):\n  %s\n  settled %s after the load stopped; %s", clients, strings.Join(report, "\n  "), took.Round(time.Millisecond), led)
}
