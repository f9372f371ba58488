package command

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/config"
)

// runAudit audits files through package normalize, or with --from-db the
// raw events Herald has stored.
func runAudit(ctx context.Context, args []string, pio IO) error {
	for _, a := range args {
		if a == "--from-db" || a == "-from-db" {
			return auditFromDB(ctx, args, pio)
		}
	}
	if code := normalize.RunAudit(ctx, args, pio.Stdin, pio.Stdout, pio.Stderr, pio.Getenv); code != 0 {
		return exitCode(code)
	}
	return nil
}

// auditFromDB feeds every stored inbound event body of each source (or the
// one named by --source) to an Auditor and prints one report per source.
func auditFromDB(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("audit", "audit --from-db [--source NAME] [--json]", pio.Stdout)
	fs.Bool("from-db", true, "audit the raw events stored in inbound_events")
	only := fs.String("source", "", "audit only this source")
	asJSON := fs.Bool("json", false, "write the reports as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(pio.Getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	statusMap, err := loadStatusMap(ctx, db)
	if err != nil {
		return err
	}
	rows, err := db.Pool.Query(ctx, `SELECT source, body FROM inbound_events
		WHERE ($1 = '' OR source = $1) ORDER BY source, id`, *only)
	if err != nil {
		return fmt.Errorf("read inbound events: %w", err)
	}
	defer rows.Close()
	auditors := map[string]*normalize.Auditor{}
	skipped := map[string]int{}
	var order []string
	for rows.Next() {
		var source string
		var body []byte
		if err := rows.Scan(&source, &body); err != nil {
			return err
		}
		if _, ok := skipped[source]; ok {
			skipped[source]++
			continue
		}
		a, ok := auditors[source]
		if !ok {
			src, err := normalize.LoadSource(config.SourcesFS, source)
			if err != nil {
				return fmt.Errorf("source %s: %w", source, err)
			}
			if src.Kind == normalize.KindClio {
				// A stored Clio event is the webhook ("matter N changed"), not
				// the matter; auditing it would report every field empty.
				skipped[source] = 1
				continue
			}
			n, err := normalize.NewNormalizer(src, statusMap, cfg.DefaultRegion, cfg.Location(), "")
			if err != nil {
				return err
			}
			a = normalize.NewAuditor(n)
			auditors[source] = a
			order = append(order, source)
		}
		_ = a.Add(body) // a bad body is counted as rejected in the report
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for source, n := range skipped {
		fmt.Fprintf(pio.Stderr, "audit: skipped %d stored %s event(s): they hold Clio's webhook, not the matter; "+
			"audit Clio data from an export instead: herald audit --source %s FILE\n", n, source, source)
	}
	if len(order) == 0 {
		fmt.Fprintln(pio.Stderr, "audit: no stored inbound events to audit")
	}
	reports := make([]normalize.AuditReport, 0, len(order))
	for _, s := range order {
		reports = append(reports, auditors[s].Report())
	}
	if *asJSON {
		enc := json.NewEncoder(pio.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	for _, r := range reports {
		if err := r.WriteMarkdown(pio.Stdout); err != nil {
			return err
		}
		fmt.Fprintln(pio.Stdout)
	}
	return nil
}
