package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sesame-email/sesame/models/seed"
	"github.com/sesame-email/sesame/models/tracking"
)

const devUsage = `usage:
  sesame dev seed-events --count N [--days 30]`

// devCommand helps develop and measure Sesame; it is no part of running it.
func devCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "seed-events" {
		return usageError(devUsage)
	}
	fs := flag.NewFlagSet("dev seed-events", flag.ContinueOnError)
	count := fs.Int("count", 0, "about how many message events to write")
	days := fs.Int("days", 30, "over how many days before now")
	if err := parseFlags(fs, args[1:], devUsage); err != nil {
		return err
	}
	if *count < 1 || *days < 1 || *days > tracking.MaxPeriodDays {
		return usageError(fmt.Sprintf("--count must be at least 1 and --days 1 to %d\n%s", tracking.MaxPeriodDays, devUsage))
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	start := time.Now()
	res, err := st.Seeder.SeedEvents(ctx, seed.SeedOptions{Events: *count, Days: *days})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d messages, %d events and %d rollup rows over %d days in %s, from seed-a.example to seed-d.example and in \"Seed campaign 1\" to \"Seed campaign %d\"\n",
		res.Messages, res.Events, res.StatsRows, *days, time.Since(start).Round(time.Millisecond), len(res.Tasks))
	return nil
}
