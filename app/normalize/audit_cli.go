package normalize

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const auditUsage = `Usage: herald audit --source NAME [flags] FILE...
       herald audit --from-db [--source NAME] [--json]

Reads CMS records (JSON, JSON Lines or a JSON array; "-" is stdin) and
reports per canonical field its fill rate, invalid rate and the formats seen,
and every distinct raw status value with its mapping. Markdown by default.
Records that are not JSON objects are reported on stderr and counted as
rejected; they do not change the exit status.

With --from-db it audits the raw events Herald stored in inbound_events
(HERALD_DATABASE_URL), one report per source, with the status aliases staff
mapped in the portal; the file flags below do not apply.

Flags:
`

// RunAudit implements "herald audit". It returns the exit status.
func RunAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var o cliOptions
	o.register(fs, getenv)
	asJSON := fs.Bool("json", false, "write the report as JSON")
	if code, done := parseFlags(fs, args, auditUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, "audit: no files given\n")
		return 2
	}
	n, err := o.normalizer()
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return 2
	}
	a := NewAuditor(n)
	for _, name := range fs.Args() {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "audit: %v\n", ctx.Err())
			return 1
		}
		var data []byte
		if name == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			fmt.Fprintf(stderr, "audit: %v\n", err)
			return 1
		}
		eachRecord(data, func(line int, raw []byte, err error) {
			if err == nil {
				err = a.Add(raw)
			} else {
				a.rejected++
			}
			if err != nil {
				reportError(stderr, name, line, err)
			}
		})
	}
	r := a.Report()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteMarkdown(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "audit: write report: %v\n", err)
		return 1
	}
	return 0
}

// WriteMarkdown writes the report as Markdown tables.
func (r AuditReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Data audit: %s\n\n", r.Source)
	fmt.Fprintf(&b, "%d records", r.Records)
	if r.Rejected > 0 {
		fmt.Fprintf(&b, ", %d rejected (not a JSON object)", r.Rejected)
	}
	b.WriteString(".\n\n| Field | Fill rate | Invalid rate | Formats seen | Findings |\n|---|---|---|---|---|\n")
	for _, f := range r.Fields {
		if !f.Mapped {
			fmt.Fprintf(&b, "| %s | not mapped | | | |\n", f.Field)
			continue
		}
		var formats, findings []string
		for _, fc := range f.Formats {
			formats = append(formats, fmt.Sprintf("%s ×%d", fc.Format, fc.Count))
		}
		for _, code := range findingCodes {
			if n := f.Findings[code]; n > 0 {
				findings = append(findings, fmt.Sprintf("%s ×%d", code, n))
			}
		}
		invalid := "—"
		if f.Filled > 0 {
			invalid = fmt.Sprintf("%.1f%% (%d/%d)", 100*f.InvalidRate, f.Invalid, f.Filled)
		}
		fmt.Fprintf(&b, "| %s | %.1f%% (%d/%d) | %s | %s | %s |\n", f.Field, 100*f.FillRate, f.Filled, r.Records,
			invalid, mdCell(strings.Join(formats, ", ")), strings.Join(findings, ", "))
	}
	b.WriteString("\n## Status values\n\n")
	if len(r.Statuses) == 0 {
		b.WriteString("No status values seen.\n")
	} else {
		b.WriteString("| Raw value | Count | Mapping |\n|---|---|---|\n")
		for _, s := range r.Statuses {
			mapping := "unmapped"
			if s.Mapped {
				mapping = "→ " + s.Key
			}
			fmt.Fprintf(&b, "| %s | %d | %s |\n", mdCell(s.Raw), s.Count, mapping)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell escapes a value for a Markdown table cell.
func mdCell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return " "
	}
	return s
}
