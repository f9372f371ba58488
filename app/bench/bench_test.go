package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/bench"
	"github.com/heraldhq/herald/app/command"
	"github.com/heraldhq/herald/app/store/storetest"
)

// buildHerald compiles the herald binary the child-process scenarios run.
func buildHerald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/heraldhq/herald")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build herald: %v\n%s", err, out)
	}
	return bin
}

// TestEveryScenarioQuick runs each scenario at its quick size against real
// PostgreSQL and Redis, with the real herald binary as the child, and
// checks the ledger and validity checks and the report's fields. The speed
// targets are not asserted: a quick run says nothing about them.
func TestEveryScenarioQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every bench scenario (about a minute); not in -short")
	}
	bin := buildHerald(t)
	type want struct {
		reference, latency bool
		model              string
	}
	wants := map[string]want{
		"ingest":         {reference: true, latency: true, model: "closed"},
		"ingest-latency": {reference: true, latency: true, model: "open"},
		"deliver":        {reference: true, latency: true, model: "batch"},
		"e2e":            {reference: false, latency: true, model: "open"},
		"drain":          {reference: true, latency: true, model: "batch"},
		"sweep":          {reference: true, latency: false, model: "batch"},
	}
	if got := len(bench.Scenarios()); got != len(wants) {
		t.Fatalf("bench has %d scenarios, the test knows %d: add the new one here", got, len(wants))
	}
	for _, sc := range bench.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			w := wants[sc.Name]
			var progress bytes.Buffer
			o := bench.Options{Quick: true, Binary: bin, DatabaseURL: storetest.AdminURL(), RedisURL: storetest.RedisURL(), Progress: &progress}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			reps, err := bench.Run(ctx, sc.Name, o, command.BenchWiring())
			if err != nil {
				t.Fatalf("Run(%s) = %v\nprogress:\n%s", sc.Name, err, progress.String())
			}
			if len(reps) != 1 {
				t.Fatalf("Run(%s) returned %d reports, want 1", sc.Name, len(reps))
			}
			rep := reps[0]
			if rep.Scenario != sc.Name || !rep.Quick || rep.Description == "" {
				t.Errorf("report header = %q quick=%v %q, want %q quick with a description", rep.Scenario, rep.Quick, rep.Description, sc.Name)
			}
			for _, c := range rep.Checks {
				if !c.Pass {
					t.Errorf("check %q: want %s, got %s", c.Name, c.Want, c.Got)
				}
			}
			if len(rep.Checks) == 0 || len(rep.Targets) == 0 {
				t.Errorf("report has %d checks and %d targets, want both", len(rep.Checks), len(rep.Targets))
			}
			for _, c := range rep.Targets {
				if c.Name == "" || c.Want == "" || c.Got == "" {
					t.Errorf("target %+v lacks a name, want or got", c)
				}
			}
			checkMeasurement(t, rep.Herald, w.model, w.latency)
			if w.reference {
				if rep.Reference == nil {
					t.Fatalf("no reference measurement")
				}
				checkMeasurement(t, *rep.Reference, w.model, false)
				if rep.Reference.System == rep.Herald.System || !strings.HasPrefix(rep.Reference.System, "reference") {
					t.Errorf("reference system = %q, want a named reference", rep.Reference.System)
				}
			} else if rep.Reference != nil {
				t.Errorf("reference = %+v, want none", rep.Reference)
			}
			if len(rep.Runs) == 0 {
				t.Errorf("no runs recorded")
			}
			if rep.Herald.PeakRSSMB <= 0 || rep.Herald.RSSOf == "" {
				t.Errorf("herald peak RSS = %.1f MB of %q, want a measured process", rep.Herald.PeakRSSMB, rep.Herald.RSSOf)
			}
			if (sc.Name == "ingest-latency" || sc.Name == "e2e") && !strings.Contains(rep.Herald.RSSOf, "child") {
				t.Errorf("%s RSS of %q, want the `herald run` child", sc.Name, rep.Herald.RSSOf)
			}
			checkPrinted(t, rep)
			checkCleanedUp(t, sc.Name)
		})
	}
}

func checkMeasurement(t *testing.T, m bench.Measurement, model string, latency bool) {
	t.Helper()
	if m.Model != model {
		t.Errorf("%s: model = %q, want %q", m.System, m.Model, model)
	}
	if m.Ops <= 0 || m.Seconds <= 0 || m.Throughput <= 0 {
		t.Errorf("%s: ops=%d seconds=%.3f throughput=%.1f, want all positive", m.System, m.Ops, m.Seconds, m.Throughput)
	}
	if model == "open" && (m.RequestedRate <= 0 || m.AchievedRate <= 0) {
		t.Errorf("%s: requested %.1f/s achieved %.1f/s, want both for an open-model run", m.System, m.RequestedRate, m.AchievedRate)
	}
	if !latency {
		return
	}
	p := m.Latency
	if p == nil || p.Samples == 0 || m.LatencyOf == "" {
		t.Fatalf("%s: latency = %+v of %q, want samples and what they measure", m.System, p, m.LatencyOf)
	}
	if !(0 <= p.P50 && p.P50 <= p.P95 && p.P95 <= p.P99 && p.P99 <= p.P999 && p.P999 <= p.Max) {
		t.Errorf("%s: percentiles out of order: %+v", m.System, p)
	}
}

// checkPrinted renders the report as a table and as JSON.
func checkPrinted(t *testing.T, rep *bench.Report) {
	t.Helper()
	var tbl bytes.Buffer
	if err := bench.Print(&tbl, []*bench.Report{rep}, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"scenario", "p99.9 ms", "peak RSS MB", rep.Scenario, rep.Herald.System, "target", "check"} {
		if !strings.Contains(tbl.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, tbl.String())
		}
	}
	if !strings.Contains(tbl.String(), "PASS") && !strings.Contains(tbl.String(), "FAIL") {
		t.Errorf("table has no PASS/FAIL:\n%s", tbl.String())
	}
	var js bytes.Buffer
	if err := bench.Print(&js, []*bench.Report{rep}, true); err != nil {
		t.Fatal(err)
	}
	var back []bench.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON report does not decode: %v\n%s", err, js.String())
	}
	if len(back) != 1 || back[0].Scenario != rep.Scenario || back[0].Herald.Ops != rep.Herald.Ops || back[0].Pass != rep.Pass {
		t.Errorf("JSON round trip = %+v, want the report back", back)
	}
	keys := []string{`"throughput_per_s"`, `"peak_rss_mb"`, `"targets"`, `"checks"`}
	if rep.Herald.Latency != nil {
		keys = append(keys, `"p99_9"`)
	}
	for _, key := range keys {
		if !strings.Contains(js.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// checkCleanedUp asserts the scenario dropped its database.
func checkCleanedUp(t *testing.T, scenario string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, storetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	name := "herald_bench_" + strings.ReplaceAll(scenario, "-", "_") + "_" + strconv.Itoa(os.Getpid())
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after the scenario", name)
	}
}

func TestRunRefusesUnknownScenarioAndBadOptions(t *testing.T) {
	ctx := context.Background()
	o := bench.Options{DatabaseURL: storetest.AdminURL(), RedisURL: storetest.RedisURL()}
	if _, err := bench.Run(ctx, "ingestt", o, command.BenchWiring()); err == nil || !strings.Contains(err.Error(), `unknown scenario "ingestt"`) || !strings.Contains(err.Error(), "ingest-latency") {
		t.Errorf("Run(ingestt) = %v, want an error naming the scenario and listing the valid ones", err)
	}
	bad := o
	bad.Rate = -1
	if _, err := bench.Run(ctx, "ingest", bad, command.BenchWiring()); err == nil || !strings.Contains(err.Error(), "--rate") {
		t.Errorf("Run with rate -1 = %v, want an error naming --rate", err)
	}
	if _, err := bench.Run(ctx, "ingest", o, bench.Wiring{}); err == nil || !strings.Contains(err.Error(), "wiring") {
		t.Errorf("Run without wiring = %v, want an error about the wiring", err)
	}
}
