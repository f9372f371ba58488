package simulate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/config"
)

const usage = `Usage: herald simulate --url URL [--source generic] [--rate 2/s] [--duration 5m] [--events N]
                       [--cases 200] [--secret S] [--seed N] [--duplicates 0.05] [--out-of-order 0.05]

Posts signed, realistic and deliberately messy CMS webhooks (generic envelope)
to a running Herald: status progressions with free-text variants, moved court
dates in assorted formats, typo'd emails, phones with notes, duplicates
re-sent and deliveries out of order. A progress line goes to stderr every
second. Stops at --duration, after --events, or on Ctrl-C. The same --seed
sends the same cases and changes in the same order.
`

// Main runs the simulate subcommand and returns its exit code: 0 done,
// 1 every request failed, 2 bad usage.
func Main(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	var o Options
	var rate, secret string
	fs.StringVar(&o.URL, "url", "", "Herald's base URL, e.g. http://127.0.0.1:8080 (or the full /webhooks/cms/<source> URL)")
	fs.StringVar(&o.Source, "source", "generic", "CMS source name (a config/sources mapping of the generic envelope)")
	fs.StringVar(&rate, "rate", "2/s", "request rate: N/s, N/m or N (per second)")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long, e.g. 5m (0: until --events or Ctrl-C)")
	fs.IntVar(&o.Events, "events", 0, "stop after this many requests (0: no limit)")
	fs.IntVar(&o.Cases, "cases", 200, "number of distinct simulated cases")
	fs.StringVar(&secret, "secret", "", "signing secret (default: first of HERALD_WEBHOOK_SECRET_<SOURCE>)")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed; the same seed replays the same run")
	fs.Float64Var(&o.Duplicates, "duplicates", 0.05, "chance a request re-sends an earlier event")
	fs.Float64Var(&o.OutOfOrder, "out-of-order", 0.05, "chance a case's two changes are delivered newer-first")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	r, err := ParseRate(rate)
	if err != nil {
		fmt.Fprintf(stderr, "herald simulate: %v\n", err)
		return 2
	}
	o.Rate = r
	if secret == "" {
		secret, _, _ = strings.Cut(getenv(config.SecretEnv(o.Source)), ",")
	}
	o.Secret = strings.TrimSpace(secret)
	o.Progress = stderr
	if o.Duration == 0 && o.Events == 0 {
		fmt.Fprintln(stderr, "herald simulate: running until interrupted (set --duration or --events to stop by itself)")
	}
	st, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "herald simulate: %v\n", err)
		if st.Sent == 0 {
			return 2
		}
		return 1
	}
	return 0
}

// ParseRate reads "2/s", "120/m" or "2" as requests per second.
func ParseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--rate %q: want a positive number such as 2/s or 120/m", s)
	}
	switch unit {
	case "", "s", "sec":
		return n, nil
	case "m", "min":
		return n / 60, nil
	case "h":
		return n / 3600, nil
	}
	return 0, fmt.Errorf("--rate %q: unit must be /s, /m or /h", s)
}
