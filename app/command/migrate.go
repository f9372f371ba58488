package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/app/store"
)

func runMigrate(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("migrate", "migrate up|down|status|reset\n\nApplies (up), rolls back one (down), lists (status) or rolls back every (reset) migration embedded from migrations/ against HERALD_DATABASE_URL.", pio.Stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !validMigrateStep(fs.Arg(0)) {
		if fs.NArg() > 0 {
			fmt.Fprintf(pio.Stderr, "herald migrate: %q is not a migrate command; use up, down, status or reset\n", strings.Join(fs.Args(), " "))
		}
		fs.Usage()
		return errUsage
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
	if err := store.Migrate(ctx, db.SQL, fs.Arg(0), pio.Stdout); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}

func validMigrateStep(s string) bool {
	switch s {
	case "up", "down", "status", "reset":
		return true
	}
	return false
}
