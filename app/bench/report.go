package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is one scenario's outcome.
type Report struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
	// Params are the sizes the run used (rate, duration, messages, ...).
	Params map[string]string `json:"params"`
	// Quick marks a shrunken run: its numbers do not speak to the targets.
	Quick bool `json:"quick"`
	// Runs are every measured run in the order they ran (reference and
	// Herald alternately).
	Runs []Measurement `json:"runs"`
	// Reference and Herald aggregate the runs of each system.
	Reference *Measurement `json:"reference,omitempty"`
	Herald    Measurement  `json:"herald"`
	// Ratio is Herald's throughput over the reference's.
	Ratio float64 `json:"ratio,omitempty"`
	// Targets are the targets; Checks are validity and ledger
	// checks, which must hold for the numbers to mean anything.
	Targets []Check `json:"targets"`
	Checks  []Check `json:"checks"`
	Pass    bool    `json:"pass"`
}

// Measurement is what one system did in one run (or in all its runs).
type Measurement struct {
	System string `json:"system"`
	// Model is "open" (fixed rate), "closed" (saturation pool) or "batch"
	// (a fixed amount of work timed to completion).
	Model   string  `json:"model"`
	Ops     int64   `json:"ops"`
	Seconds float64 `json:"seconds"`
	// Throughput is Ops per second.
	Throughput float64 `json:"throughput_per_s"`
	// RequestedRate and AchievedRate are set for open-model runs.
	RequestedRate float64 `json:"requested_rate_per_s,omitempty"`
	AchievedRate  float64 `json:"achieved_rate_per_s,omitempty"`
	// Latency percentiles in milliseconds of what LatencyOf names.
	Latency   *Percentiles `json:"latency_ms,omitempty"`
	LatencyOf string       `json:"latency_of,omitempty"`
	// PeakRSSMB is VmHWM of the process RSSOf names.
	PeakRSSMB float64 `json:"peak_rss_mb,omitempty"`
	RSSOf     string  `json:"rss_of,omitempty"`
	// Errors counts failed operations (non-2xx, network, SQL errors).
	Errors int64 `json:"errors"`
}

// Check is one target or validity check.
type Check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
}

func check(name, want, got string, pass bool) Check {
	return Check{Name: name, Want: want, Got: got, Pass: pass}
}

// finish computes Pass from the targets and checks.
func (r *Report) finish() {
	r.Pass = len(r.Targets)+len(r.Checks) > 0
	for _, c := range append(append([]Check(nil), r.Targets...), r.Checks...) {
		r.Pass = r.Pass && c.Pass
	}
}

// aggregate merges the runs of one system: ops and seconds add up, the
// latency percentiles are over every sample, and peak RSS is the highest.
func aggregate(system string, runs []run) Measurement {
	var m Measurement
	var lat []float64
	var requested float64
	for _, r := range runs {
		if r.m.System != system {
			continue
		}
		m.System, m.Model, m.LatencyOf, m.RSSOf = r.m.System, r.m.Model, r.m.LatencyOf, r.m.RSSOf
		m.Ops += r.m.Ops
		m.Seconds += r.m.Seconds
		m.Errors += r.m.Errors
		m.PeakRSSMB = max(m.PeakRSSMB, r.m.PeakRSSMB)
		requested = r.m.RequestedRate
		lat = append(lat, r.latencies...)
		if r.m.AchievedRate > 0 && (m.AchievedRate == 0 || r.m.AchievedRate < m.AchievedRate) {
			m.AchievedRate = r.m.AchievedRate // the worst round
		}
	}
	m.RequestedRate = requested
	if m.Seconds > 0 {
		m.Throughput = float64(m.Ops) / m.Seconds
	}
	m.Latency = percentiles(lat)
	return m
}

// run is one measured run with its raw latency samples (milliseconds).
type run struct {
	m         Measurement
	latencies []float64
}

// Print writes the reports as a table (or JSON) to w.
func Print(w io.Writer, reps []*Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(reps)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tsystem\tops\tthroughput/s\tp50 ms\tp95 ms\tp99 ms\tp99.9 ms\tpeak RSS MB\tratio\tresult\t")
	for _, r := range reps {
		rows := []Measurement{}
		if r.Reference != nil {
			rows = append(rows, *r.Reference)
		}
		rows = append(rows, r.Herald)
		for i, m := range rows {
			ratio, result := "", ""
			if i == len(rows)-1 {
				if r.Ratio > 0 {
					ratio = fmt.Sprintf("%.2f", r.Ratio)
				}
				result = passFail(r.Pass)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Scenario, m.System, m.Ops, m.Throughput,
				pct(m.Latency, 50), pct(m.Latency, 95), pct(m.Latency, 99), pct(m.Latency, 99.9), rss(m.PeakRSSMB), ratio, result)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reps {
		fmt.Fprintf(w, "\n%s — %s\n", r.Scenario, r.Description)
		if len(r.Params) > 0 {
			fmt.Fprintf(w, "  params: %s\n", params(r.Params))
		}
		if r.Quick {
			fmt.Fprintln(w, "  quick run: sizes are shrunk, so the targets below say nothing about Herald's speed")
		}
		for _, m := range append(refSlice(r.Reference), r.Herald) {
			if m.LatencyOf != "" || m.RSSOf != "" {
				fmt.Fprintf(w, "  %s: latency of %s; RSS of %s\n", m.System, orDash(m.LatencyOf), orDash(m.RSSOf))
			}
		}
		for _, c := range r.Targets {
			fmt.Fprintf(w, "  target %-4s %s: want %s, got %s\n", passFail(c.Pass), c.Name, c.Want, c.Got)
		}
		for _, c := range r.Checks {
			fmt.Fprintf(w, "  check  %-4s %s: want %s, got %s\n", passFail(c.Pass), c.Name, c.Want, c.Got)
		}
	}
	return nil
}

func refSlice(m *Measurement) []Measurement {
	if m == nil {
		return nil
	}
	return []Measurement{*m}
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func pct(p *Percentiles, q float64) string {
	if p == nil {
		return "—"
	}
	v := map[float64]float64{50: p.P50, 95: p.P95, 99: p.P99, 99.9: p.P999}[q]
	return ms(v)
}

func ms(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func rss(mb float64) string {
	if mb == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", mb)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func params(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + p[k])
	}
	return b.String()
}

func pctf(ratio float64) string { return fmt.Sprintf("%.1f%%", ratio*100) }
