package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/retention"
)

// Retention prunes what is past its keeping time once a day and, on
// PostgreSQL, creates the coming days' partitions.
type Retention struct {
	Pruner *retention.Pruner
	Clock  models.Clock
	Log    *slog.Logger
	// Keep is SESAME_RETENTION; SandboxKeep SESAME_SANDBOX_RETENTION.
	Keep, SandboxKeep time.Duration
}

// Cutoffs are the times before which messages and sandbox messages go at
// now: messages by whole days of the database's time zone, so that the
// oldest day kept is complete.
func (r *Retention) Cutoffs(now time.Time) (before, sandboxBefore time.Time) {
	return r.Pruner.StartOfDay(now.Add(-r.Keep)), now.Add(-r.SandboxKeep)
}

// Run prunes a minute after start, then every 24 hours, until ctx ends.
// Several processes on one database may prune at once: each batch removes
// what is still there.
func (r *Retention) Run(ctx context.Context) error {
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Clock.After(wait):
		}
		wait = 24 * time.Hour
		// The coming days' partitions on PostgreSQL, made ahead each day.
		if err := r.Pruner.EnsurePartitions(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("retention: could not create day partitions", "component", "retention", "err", err)
		}
		before, sandboxBefore := r.Cutoffs(r.Clock.Now())
		report, err := r.Pruner.Prune(ctx, before, sandboxBefore)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Error("retention: prune failed", "component", "retention", "err", err)
			}
			continue
		}
		r.Log.Info("retention: "+report.String(), "component", "retention")
	}
}
