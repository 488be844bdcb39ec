package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/config"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/seed"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

type seedOptions struct {
	patients int
	seed     uint64
	force    bool
}

// parseSeedFlags takes seed's own flags out of args and leaves the rest
// (the configuration flags) for config.Load. -h prints seed's own flags to
// out and returns flag.ErrHelp.
func parseSeedFlags(args []string, out io.Writer) (seedOptions, []string, error) {
	opts := seedOptions{patients: 1000, seed: 1}
	fs := flag.NewFlagSet("sharedcare seed", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&opts.patients, "patients", opts.patients, "patients to generate (about 21 resources each; 48000 make a million)")
	fs.Uint64Var(&opts.seed, "seed", opts.seed, "generator seed: the same seed makes the same population")
	fs.BoolVar(&opts.force, "force", false, "write even into a database that already holds resources")
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: sharedcare seed [-patients N] [-seed S] [-force] [configuration flags]")
		fmt.Fprintln(out, "\nLoads a generated shared-care population, for scale tests and demonstrations.")
		fmt.Fprintln(out, "It refuses a database that already holds resources unless -force is given.")
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(out, "\nThe configuration flags (e.g. -database-url) are those of `sharedcare -h`.")
	}
	rest, err := splitFlags(fs, args)
	if err != nil {
		return opts, nil, err
	}
	if opts.patients < 1 {
		return opts, nil, fmt.Errorf("-patients must be at least 1")
	}
	return opts, rest, nil
}

// errNotEmpty is seed's refusal of a database that holds resources.
var errNotEmpty = errors.New("the database already holds resources")

// seedPopulation loads a generated population into the configured database.
func seedPopulation(ctx context.Context, cfg *config.Config, log *slog.Logger, opts seedOptions) error {
	return seedWith(ctx, cfg, log, opts, stderrIsTerminal(), os.Stderr, 5*time.Second)
}

// seedWith seeds, showing progress as a bar on out when terminal and as log
// lines every interval otherwise.
func seedWith(ctx context.Context, cfg *config.Config, log *slog.Logger, opts seedOptions, terminal bool, out io.Writer, interval time.Duration) error {
	reg, st, err := openAll(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// A population written over a real record would mix made-up patients
	// into it, and over an earlier population collides on its ids.
	if n, err := st.CountCurrent(ctx); err != nil {
		return err
	} else if n > 0 && !opts.force {
		return fmt.Errorf("seed: %w (%d); seed an empty database, or give -force to add to it", errNotEmpty, n)
	}
	// The generated responses answer the HNA the server ships: store it
	// now, as serving would, so the seeded database is whole without a start.
	if err := workflow.New(rest.New(st, reg), workflow.DefaultConfig).LoadContent(ctx, api.FS); err != nil {
		return err
	}
	loader := &seed.Loader{Store: st, Params: reg.Params(), Batch: 500}
	p := newProgress("seeding", "patients", int64(opts.patients), terminal, out, log, interval)
	n, err := seed.Population(ctx, loader, seed.NewGenerator(opts.seed), opts.patients, func(patients, _ int) { p.set(int64(patients)) })
	p.finish()
	if err != nil {
		return err
	}
	log.Info("seeded", "patients", opts.patients, "resources", n)
	return nil
}
