package command

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/demo"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

func runSeed(ctx context.Context, args []string, pio IO) error {
	fset := newFlags("seed", "seed [--demo]\n\nLoads the default message templates (templates/), rules and status map (config/) into the database. Idempotent: running it twice changes nothing. --demo adds a demo firm with messy data.", pio.Stdout)
	demo := fset.Bool("demo", false, "also add the demo firm: ~50 messy cases, staff users, messages in every state")
	if err := parse(fset, args); err != nil {
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
	for _, step := range seedSteps() {
		n, err := step.run(ctx, db)
		if err != nil {
			return fmt.Errorf("seed %s: %w", step.name, err)
		}
		fmt.Fprintf(pio.Stdout, "seed %-12s %d new\n", step.name, n)
	}
	if !*demo {
		return nil
	}
	n, err := seedDemo(ctx, cfg, pio)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	fmt.Fprintf(pio.Stdout, "seed %-12s %d new\n", "demo", n)
	return nil
}

// seedDemo drives the demo firm through the real ingest, rules and delivery
// paths. Status messages skip the settle delay so the demo shows sent,
// held, retrying and dead messages straight away.
func seedDemo(ctx context.Context, cfg config.Config, pio IO) (int, error) {
	cfg.SettleDelay = 0
	d, err := build(ctx, cfg, pio.Stderr)
	if err != nil {
		return 0, err
	}
	defer d.close()
	return demo.Seed(ctx, demo.Deps{
		DB:        d.db,
		Ingest:    d.app.ingest,
		Deliverer: d.app.delivery,
		Pauser:    d.app.pauses,
		Now:       d.clock.Now,
	})
}

type seedStep struct {
	name string
	run  func(ctx context.Context, db *store.DB) (int, error)
}

func seedSteps() []seedStep {
	steps := []seedStep{
		{"sources", seedSources},
		{"statuses", statuses.Seed},
		{"templates", content.Seed},
		{"rules", seedRules},
	}
	return steps
}

// seedSources registers every source mapping shipped in config/sources.
func seedSources(ctx context.Context, db *store.DB) (int, error) {
	entries, err := fs.ReadDir(config.SourcesFS, "sources")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		b, err := fs.ReadFile(config.SourcesFS, "sources/"+e.Name())
		if err != nil {
			return n, err
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		if err := yaml.Unmarshal(b, &head); err != nil {
			return n, fmt.Errorf("config/sources/%s: %w", e.Name(), err)
		}
		if head.Kind == "" {
			head.Kind = "webhook"
		}
		tag, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, head.Kind)
		if err != nil {
			return n, err
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// seedRules loads the default playbook (config/rules.yaml); it runs after
// statuses because rules name canonical statuses.
func seedRules(ctx context.Context, db *store.DB) (int, error) {
	return rules.Seed(ctx, db, config.RulesYAML)
}
