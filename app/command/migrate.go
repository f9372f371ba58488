package command

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/app/store"
)

func runMigrate(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("migrate", "migrate up|down|status|reset\n\nApplies (up), rolls back one (down), lists (status) or rolls back every (reset) migration embedded from migrations/ against HERALD_DATABASE_URL.", pio.Stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
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
