// Package command implements herald's subcommands and is the one place the
// process is wired: it builds the dependencies from the configuration and
// passes each piece what it needs.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/heraldhq/herald/app/simulate"
)

// IO is the process's standard streams and environment.
type IO struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, io IO) error
}

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"serve":     {"serve the portal, webhooks, JSON API, /healthz, /readyz and /metrics", runServe},
		"work":      {"run the asynq worker, the scheduler and the sweeper", runWork},
		"run":       {"serve and work in one process (what make dev uses)", runBoth},
		"migrate":   {"apply or roll back database migrations: up | down | status | reset", runMigrate},
		"seed":      {"load default templates, rules and statuses; --demo adds a demo firm", runSeed},
		"token":     {"manage API tokens: token create --name N --role ROLE", runToken},
		"normalize": {"normalize CMS events from stdin (JSON or JSON Lines) to canonical JSON; no database", runNormalize},
		"audit":     {"field audit of CMS records: --source NAME FILE... or --from-db", runAudit},
		"clio":      {"set up Clio: clio webhook register --url URL | list | reseal", runClio},
		"bench":     {"measure Herald against same-run references: ingest, ingest-latency, deliver, e2e, drain, sweep or all", runBench},
		"simulate": {"post signed, messy CMS webhooks to a running Herald: --url URL --rate 2/s --duration 5m", func(ctx context.Context, args []string, pio IO) error {
			out := pio.Stderr // the progress line and errors
			if wantsHelp(args) {
				out = pio.Stdout // --help is asked-for output, like every other command's
			}
			if code := simulate.Main(ctx, args, pio.Getenv, out); code != 0 {
				return exitCode(code)
			}
			return nil
		}},
	}
}

// wantsHelp reports whether args ask for a command's usage.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// errUsage means the usage was already printed; exit 2.
var errUsage = errors.New("usage")

// Run executes one subcommand and returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := subcommands()
	pio := IO{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if _, ok := cmds[args[1]]; ok {
				return Run(ctx, []string{args[1], "--help"}, getenv, stdin, stdout, stderr)
			}
		}
		printHelp(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n", args[0])
		printHelp(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], pio)
	var ec exitCode
	switch {
	case errors.As(err, &ec):
		return int(ec)
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errSilentFailure):
		return 1
	}
	fmt.Fprintf(stderr, "herald %s: %v\n", args[0], err)
	return 1
}

// errSilentFailure is returned by commands that already reported problems.
var errSilentFailure = errors.New("failed")

func printHelp(w io.Writer, cmds map[string]subcommand) {
	fmt.Fprintln(w, "herald — client communication automation for law firms")
	fmt.Fprintln(w, "\nUsage: herald <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `herald <command> --help` for a command's flags. Configuration comes from the environment; see config/example.env.")
}

// newFlags returns a FlagSet whose -h prints the usage and summary.
func newFlags(name, usage string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: herald %s\n", usage)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(out)
		if b.Len() > 0 {
			fmt.Fprintf(out, "\nFlags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses flags, mapping errors to errUsage or flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}
