package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/scheduler"
)

const pruneUsage = `usage: sesame prune [--before YYYY-MM-DD]`

// retention is the daily prune of `sesame serve`, and what `sesame prune`
// runs at once.
func (cfg *Config) retention(st *store.Store, clock models.Clock, log *slog.Logger) *scheduler.Retention {
	return &scheduler.Retention{Pruner: st.Retention, Clock: clock, Log: log, Keep: cfg.Retention, SandboxKeep: cfg.SandboxRetention}
}

// pruneCommand runs retention now: by the settings, or for everything
// created before a day (in SESAME_TIMEZONE), whatever they say. Messages
// that are not final are kept either way.
func pruneCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	day := fs.String("before", "", "remove what was created before this day, YYYY-MM-DD")
	if err := parseCommandFlags(fs, args, 0, pruneUsage); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	r := cfg.retention(st, models.SystemClock{}, newLogger(cfg.LogFormat, os.Stderr))
	before, sandboxBefore := r.Cutoffs(r.Clock.Now())
	if *day != "" {
		t, err := time.ParseInLocation(time.DateOnly, *day, st.DB.Location())
		if err != nil {
			return usageError("--before must be a day, YYYY-MM-DD\n" + pruneUsage)
		}
		before = t
		if t.After(sandboxBefore) {
			sandboxBefore = t
		}
	}
	report, err := st.Retention.Prune(ctx, before, sandboxBefore)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, report)
	return nil
}
