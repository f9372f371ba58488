package command

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/app/auth"
)

func runToken(ctx context.Context, args []string, pio IO) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintln(pio.Stdout, "Usage: herald token create --name NAME --role admin|attorney|paralegal|ops\n\nCreates a bearer token for the JSON API. Only its SHA-256 hash is stored; the token is printed once.")
			return nil
		}
		fmt.Fprintln(pio.Stderr, "Usage: herald token create --name NAME --role ROLE")
		return errUsage
	}
	fs := newFlags("token create", "token create --name NAME --role ROLE", pio.Stdout)
	name := fs.String("name", "", "what the token is for, e.g. clio-sync (required)")
	role := fs.String("role", "", "admin, attorney, paralegal or ops (required)")
	if err := parse(fs, args[1:]); err != nil {
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
	secret, tok, err := auth.NewTokens(db).Create(ctx, *name, *role)
	if err != nil {
		return err
	}
	fmt.Fprintf(pio.Stderr, "created token %d %q with role %s; it is shown once, store it now:\n", tok.ID, tok.Name, tok.Role)
	fmt.Fprintln(pio.Stdout, secret)
	return nil
}
