package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
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
}

// parseSeedFlags takes seed's own flags out of args and leaves the rest
// (the configuration flags) for config.Load.
func parseSeedFlags(args []string) (seedOptions, []string, error) {
	opts := seedOptions{patients: 1000, seed: 1}
	fs := flag.NewFlagSet("sharedcare seed", flag.ContinueOnError)
	fs.IntVar(&opts.patients, "patients", opts.patients, "patients to generate (about 21 resources each; 48000 make a million)")
	fs.Uint64Var(&opts.seed, "seed", opts.seed, "generator seed: the same seed makes the same population")
	var own, rest []string
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(strings.SplitN(args[i], "=", 2)[0], "-")
		if fs.Lookup(name) == nil {
			rest = append(rest, args[i])
			continue
		}
		own = append(own, args[i])
		if !strings.Contains(args[i], "=") && i+1 < len(args) {
			own = append(own, args[i+1])
			i++
		}
	}
	if err := fs.Parse(own); err != nil {
		return opts, nil, err
	}
	if opts.patients < 1 {
		return opts, nil, fmt.Errorf("-patients must be at least 1")
	}
	return opts, rest, nil
}

// seedPopulation loads a generated population into the configured database.
func seedPopulation(ctx context.Context, cfg *config.Config, log *slog.Logger, opts seedOptions) error {
	reg, st, err := openAll(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The generated responses answer the HNA the server ships: store it
	// now, as serving would, so the seeded database is whole without a start.
	if err := workflow.New(rest.New(st, reg), workflow.DefaultConfig).LoadContent(ctx, api.FS); err != nil {
		return err
	}
	loader := &seed.Loader{Store: st, Params: reg.Params(), Batch: 500}
	n, err := seed.Population(ctx, loader, seed.NewGenerator(opts.seed), opts.patients, func(done int, elapsed time.Duration) {
		log.Info("seeding", "resources", done, "per_second", int(float64(done)/elapsed.Seconds()))
	})
	if err != nil {
		return err
	}
	log.Info("seeded", "patients", opts.patients, "resources", n)
	return nil
}
