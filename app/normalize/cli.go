package normalize

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/config"
)

// cliOptions are the flags normalize and audit share.
type cliOptions struct {
	source, mapping, statuses, region, timezone, dateOrder string
}

func (o *cliOptions) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.source, "source", "generic", "source mapping `name` from config/sources")
	fs.StringVar(&o.mapping, "mapping", "", "source mapping YAML `file` (overrides --source)")
	fs.StringVar(&o.statuses, "statuses", "", "statuses YAML `file` (default: the built-in canonical statuses)")
	fs.StringVar(&o.region, "region", envOr(getenv, "HERALD_DEFAULT_REGION", "US"), "default phone `region` (ISO 3166)")
	fs.StringVar(&o.timezone, "timezone", envOr(getenv, "HERALD_FIRM_TIMEZONE", "America/Chicago"), "firm time `zone` for times without an offset")
	fs.StringVar(&o.dateOrder, "date-order", "", "numeric date `order`, MDY or DMY (default: the mapping's date_order)")
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// normalizer builds the Normalizer the flags describe.
func (o *cliOptions) normalizer() (*Normalizer, error) {
	var src Source
	var err error
	if o.mapping != "" {
		data, rerr := os.ReadFile(o.mapping)
		if rerr != nil {
			return nil, fmt.Errorf("read mapping: %w", rerr)
		}
		src, err = ParseSource(data)
	} else {
		src, err = LoadSource(config.SourcesFS, o.source)
	}
	if err != nil {
		return nil, err
	}
	statuses := sanitize.DefaultStatuses()
	if o.statuses != "" {
		data, err := os.ReadFile(o.statuses)
		if err != nil {
			return nil, fmt.Errorf("read statuses: %w", err)
		}
		if statuses, err = sanitize.ParseStatuses(data); err != nil {
			return nil, err
		}
	}
	sm, err := sanitize.NewStatusMap(statuses)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(o.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone %q: %w", o.timezone, err)
	}
	var order sanitize.DateOrder
	if o.dateOrder != "" {
		if order, err = sanitize.ParseDateOrder(o.dateOrder); err != nil {
			return nil, fmt.Errorf("--date-order: %w", err)
		}
	}
	return NewNormalizer(src, sm, o.region, loc, order)
}

// parseFlags parses args; it returns done with the exit code when the
// command should stop (help or a usage error).
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0, true
		}
		fmt.Fprintf(stderr, "%s\n", err)
		printUsage(stderr)
		return 2, true
	}
	return 0, false
}

const normalizeUsage = `Usage: herald normalize [flags] < events

Reads one CMS event, or JSON Lines of events, from stdin and writes one
normalized JSON object per event to stdout. Invalid lines are reported on
stderr with their line and column; the others are still processed and the
exit status is 1.

Flags:
`

// RunNormalize implements "herald normalize". It returns the exit status.
func RunNormalize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("normalize", flag.ContinueOnError)
	var o cliOptions
	o.register(fs, getenv)
	if code, done := parseFlags(fs, args, normalizeUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "normalize: unexpected arguments %q (events are read from stdin)\n", fs.Args())
		return 2
	}
	n, err := o.normalizer()
	if err != nil {
		fmt.Fprintf(stderr, "normalize: %v\n", err)
		return 2
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "normalize: read stdin: %v\n", err)
		return 1
	}
	status := 0
	enc := json.NewEncoder(stdout)
	eachRecord(data, func(line int, raw []byte, err error) {
		if ctx.Err() != nil {
			return
		}
		var res Result
		if err == nil {
			res, err = n.Normalize(raw)
		}
		if err != nil {
			status = 1
			reportError(stderr, "stdin", line, err)
			return
		}
		if err := enc.Encode(res.Case); err != nil {
			status = 1
			fmt.Fprintf(stderr, "normalize: write: %v\n", err)
		}
	})
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "normalize: %v\n", ctx.Err())
		return 1
	}
	return status
}

// reportError writes "name:line[:column]: message".
func reportError(w io.Writer, name string, line int, err error) {
	var se *SyntaxError
	if errors.As(err, &se) {
		fmt.Fprintf(w, "%s:%d:%d: invalid JSON: %s\n", name, line, se.Column, se.Msg)
		return
	}
	fmt.Fprintf(w, "%s:%d: %v\n", name, line, err)
}
