package command

import (
	"context"

	"github.com/heraldhq/herald/app/normalize"
)

// exitCode carries a command's own exit status through Run.
type exitCode int

func (e exitCode) Error() string { return "exit status" }

func runNormalize(ctx context.Context, args []string, pio IO) error {
	if code := normalize.RunNormalize(ctx, args, pio.Stdin, pio.Stdout, pio.Stderr, pio.Getenv); code != 0 {
		return exitCode(code)
	}
	return nil
}
