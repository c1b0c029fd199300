package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/tasks"
)

// TaskStore is what task scheduling needs from the store.
type TaskStore interface {
	Now() time.Time
	CreateTask(ctx context.Context, in tasks.TaskInput, firstRun time.Time) (*tasks.Task, error)
	ValidateTask(ctx context.Context, in tasks.TaskInput) error
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	TasksDue(ctx context.Context) ([]tasks.Task, error)
	FireRun(ctx context.Context, task *tasks.Task, scheduledFor time.Time, next *time.Time) (*tasks.TaskRun, bool, error)
	SkipRun(ctx context.Context, task *tasks.Task, scheduledFor time.Time, reason string, next *time.Time) error
	RunsToMaterialise(ctx context.Context) ([]tasks.TaskRun, error)
	MaterialiseRun(ctx context.Context, runID uint64, batch int) (bool, error)
	FinishRuns(ctx context.Context) (int, error)
	RunsSending(ctx context.Context) ([]tasks.TaskRun, error)
	ReputationOfRun(ctx context.Context, runID uint64) (tasks.RunReputation, error)
	GuardPause(ctx context.Context, taskID uint64, reason string) error
}

// Guard is the reputation guard: a task pauses itself when its run's
// hard-bounce rate exceeds BounceRate (once MinSent messages went out) or
// its complaint rate exceeds ComplaintRate.
type Guard struct {
	BounceRate    float64
	ComplaintRate float64
	MinSent       int64
}

// DefaultGuard pauses at 10% hard bounces after 200 sends, or 0.5% complaints.
var DefaultGuard = Guard{BounceRate: 0.10, ComplaintRate: 0.005, MinSent: 200}

// verdict explains why a run must pause, or is "".
func (g Guard) verdict(r tasks.RunReputation) string {
	if r.Sent == 0 {
		return ""
	}
	bounce, complaint := float64(r.Bounced)/float64(r.Sent), float64(r.Complained)/float64(r.Sent)
	switch {
	case r.Sent >= g.MinSent && bounce > g.BounceRate:
		return fmt.Sprintf("Paused by the reputation guard: %.1f%% of %d sent messages hard-bounced (limit %.1f%%). Clean the group before resuming.", 100*bounce, r.Sent, 100*g.BounceRate)
	case complaint > g.ComplaintRate:
		return fmt.Sprintf("Paused by the reputation guard: %.2f%% of %d sent messages drew spam complaints (limit %.2f%%).", 100*complaint, r.Sent, 100*g.ComplaintRate)
	}
	return ""
}

// Tasks creates tasks: the store checks what a task sends, the scheduler
// its schedule. The console and the API create tasks through it.
type Tasks struct{ Store TaskStore }

// Create checks a task's schedule, computes its first run and stores it.
func (t Tasks) Create(ctx context.Context, in tasks.TaskInput) (*tasks.Task, error) {
	in.DefaultStart(t.Store.Now())
	plan, err := checkSchedule(in)
	if err != nil {
		return nil, err
	}
	return t.Store.CreateTask(ctx, in, plan.First())
}

// Check validates a task as Create would, without storing it, and tells
// its plan: the schedule in words and its first runs, for the pre-flight
// step. Every invalid field is reported at once, the schedule's and the
// rest.
func (t Tasks) Check(ctx context.Context, in tasks.TaskInput) (tasks.Plan, error) {
	in.DefaultStart(t.Store.Now())
	verr := &models.ValidationError{}
	plan, err := checkSchedule(in)
	if err = verr.Join(err); err != nil {
		return tasks.Plan{}, err
	}
	if err = verr.Join(t.Store.ValidateTask(ctx, in)); err != nil {
		return tasks.Plan{}, err
	}
	return plan, verr.OrNil()
}

// checkSchedule checks what only the scheduler knows: a cron expression's
// syntax and that it runs at most once an hour; and tells the plan.
func checkSchedule(in tasks.TaskInput) (tasks.Plan, error) {
	draft := &tasks.Task{Kind: in.Kind, StartAt: in.StartAt, IntervalUnit: in.IntervalUnit, IntervalCount: in.IntervalCount,
		CronExpr: in.CronExpr, TimeZone: in.TimeZone, EndAt: in.EndAt, MaxRuns: in.MaxRuns}
	s, err := scheduleOf(draft)
	if err != nil {
		return tasks.Plan{}, models.Invalid("cron_expr", "This is not a valid cron expression (minute hour day-of-month month day-of-week, e.g. 0 9 * * 1).")
	}
	first := firstRun(draft, s)
	if in.Kind == tasks.TaskRecurring && in.CronExpr != "" {
		// A date that never comes (30 February) leaves no first run, and a
		// zero first run would make the task fire at its start.
		if first.IsZero() {
			return tasks.Plan{}, models.Invalid("cron_expr", "This never runs: no date matches it.")
		}
		if gap := minimumGap(s, first); gap < tasks.MinRecurrence {
			return tasks.Plan{}, models.Invalid("cron_expr", fmt.Sprintf("This runs every %v; a recurring task may run at most once an hour.", gap))
		}
	}
	if in.Kind == tasks.TaskRecurring && in.CronExpr == "" && tasks.IntervalProblem(in.IntervalUnit, in.IntervalCount) != nil {
		// The store reports the interval; there are no runs to list.
		return tasks.Plan{Runs: []time.Time{first}}, nil
	}
	return planOf(draft, s, first), nil
}

// minimumGap is the shortest time between the next few occurrences.
func minimumGap(s cron.Schedule, from time.Time) time.Duration {
	gap := time.Duration(1<<63 - 1)
	prev := from
	for i := 0; i < 48; i++ {
		n := s.Next(prev)
		if n.IsZero() {
			break
		}
		gap = min(gap, n.Sub(prev))
		prev = n
	}
	return gap
}

// TaskRunner fires due runs, queues their messages and closes finished
// runs. Of several processes, only the holder of the scheduler lease acts,
// and each occurrence has at most one run whoever fires it.
type TaskRunner struct {
	store  TaskStore
	clock  models.Clock
	log    *slog.Logger
	holder string
	// Grace is how late a run may start: a run missed while Sesame was down
	// fires once at start when it is late by less, and is recorded as
	// skipped otherwise. Never is a backlog fired.
	Grace time.Duration
	// Batch is how many recipients one materialising statement queues.
	Batch int
	// Lease is how long the scheduler lease lasts without renewal.
	Lease time.Duration
	Guard Guard
	// GuardEvery is how often the reputation guard weighs the sending
	// runs: it counts each run's messages, about a second of database time
	// for a run of a million.
	GuardEvery time.Duration
	lastGuard  time.Time
}

// NewTaskRunner builds the runner; holder names this process.
func NewTaskRunner(store TaskStore, clock models.Clock, log *slog.Logger, holder string, grace time.Duration) *TaskRunner {
	if grace <= 0 {
		grace = time.Hour
	}
	return &TaskRunner{store: store, clock: clock, log: log.With("component", "tasks"), holder: holder, Grace: grace, Batch: 10_000, Lease: 30 * time.Second, Guard: DefaultGuard, GuardEvery: time.Minute}
}

// Tick does one round: fire, materialise, finish. It is what the cron
// runner calls every few seconds, and what tests call with a manual clock.
func (r *TaskRunner) Tick(ctx context.Context) error {
	leader, err := r.store.AcquireLease(ctx, "scheduler", r.holder, r.Lease)
	if err != nil || !leader {
		return err
	}
	if err := r.fireDue(ctx); err != nil {
		return err
	}
	if err := r.materialise(ctx); err != nil {
		return err
	}
	if now := r.clock.Now(); now.Sub(r.lastGuard) >= r.GuardEvery {
		if err := r.guard(ctx); err != nil {
			return err
		}
		r.lastGuard = now
	}
	_, err = r.store.FinishRuns(ctx)
	return err
}

// guard pauses the tasks whose sending runs bounce or draw complaints too
// much.
func (r *TaskRunner) guard(ctx context.Context) error {
	runs, err := r.store.RunsSending(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		rep, err := r.store.ReputationOfRun(ctx, run.ID)
		if err != nil {
			return err
		}
		if reason := r.Guard.verdict(rep); reason != "" {
			if err := r.store.GuardPause(ctx, run.TaskID, reason); err != nil && !errors.Is(err, tasks.ErrTaskState) {
				return err
			}
			r.log.WarnContext(ctx, "task paused by the reputation guard", "task", run.TaskID, "reason", reason)
		}
	}
	return nil
}

// maxSkippedRecorded bounds the runs recorded as skipped for one task at
// once: an hourly task down for a month gets the last ones, not 720 rows.
const maxSkippedRecorded = 24

func (r *TaskRunner) fireDue(ctx context.Context) error {
	tasks, err := r.store.TasksDue(ctx)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	for i := range tasks {
		t := &tasks[i]
		s, err := scheduleOf(t)
		if err != nil {
			r.log.ErrorContext(ctx, "task schedule", "task", t.ID, "err", err)
			continue
		}
		// The latest occurrence that has come; the earlier ones were missed.
		latest, runs := *t.NextRunAt, t.RunsStarted
		var missed []time.Time
		for {
			n := nextAfter(t, s, latest, runs)
			if n == nil || n.After(now) {
				break
			}
			missed = append(missed, latest)
			latest = *n
		}
		next := nextAfter(t, s, latest, runs)
		if len(missed) > maxSkippedRecorded {
			missed = missed[len(missed)-maxSkippedRecorded:]
		}
		for _, m := range missed {
			if err := r.store.SkipRun(ctx, t, m, "Skipped: Sesame was not running at "+m.Format(time.RFC3339)+".", &latest); err != nil {
				return err
			}
		}
		if late := now.Sub(latest); late > r.Grace {
			reason := fmt.Sprintf("Skipped: Sesame was not running; this run was %v late, over the %v grace period.", late.Round(time.Minute), r.Grace)
			if err := r.store.SkipRun(ctx, t, latest, reason, next); err != nil {
				return err
			}
			continue
		}
		run, created, err := r.store.FireRun(ctx, t, latest, next)
		if err != nil {
			return err
		}
		if created {
			r.log.InfoContext(ctx, "task run fired", "task", t.ID, "run", run.ID, "scheduled_for", latest)
		}
	}
	return nil
}

func (r *TaskRunner) materialise(ctx context.Context) error {
	runs, err := r.store.RunsToMaterialise(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		for {
			more, err := r.store.MaterialiseRun(ctx, run.ID, r.Batch)
			if err != nil {
				return err
			}
			if !more || ctx.Err() != nil {
				break
			}
		}
	}
	return ctx.Err()
}

// Run ticks every few seconds until ctx ends, driven by robfig/cron with
// panics recovered and a tick skipped while the previous one still runs
// (materialising a large group can take a while).
func (r *TaskRunner) Run(ctx context.Context, every time.Duration) error {
	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(r.log.Handler(), slog.LevelWarn))
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	c.Schedule(cron.ConstantDelaySchedule{Delay: every}, cron.FuncJob(func() {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "task scheduler", "err", err)
		}
	}))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
