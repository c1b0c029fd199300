package scheduler_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/scheduler"
)

var ctx = context.Background()

type taskFixture struct {
	t      testing.TB
	st     *store.Store
	clock  *clocktest.Clock
	runner *scheduler.TaskRunner
	base   tasks.TaskInput
}

func newTaskFixture(t *testing.T, start time.Time, recipients int) *taskFixture {
	t.Helper()
	cfg := testdb.Config(t)
	return newTaskFixtureWith(t, cfg, clocktest.New(start), recipients)
}

func newTaskFixtureWith(t testing.TB, cfg store.Config, clock *clocktest.Clock, recipients int) *taskFixture {
	t.Helper()
	cfg.Clock = clock
	st := testdb.OpenConfig(t, cfg)
	dns := dnstest.Start(t)
	sender := fixtures.Sender(t, st, dns, "news@example.test", "News")
	tpl := fixtures.Template(t, st, "Weekly")
	g := fixtures.Group(t, st, "Readers", recipients)
	f := &taskFixture{t: t, st: st, clock: clock,
		runner: scheduler.NewTaskRunner(st.Tasks, clock, slog.New(slog.DiscardHandler), "test-holder", time.Hour),
		base:   tasks.TaskInput{Name: "Newsletter", SenderID: sender.ID, TemplateID: tpl.ID, GroupID: g.ID, TimeZone: "UTC"}}
	return f
}

func (f *taskFixture) create(mod func(*tasks.TaskInput)) *tasks.Task {
	f.t.Helper()
	in := f.base
	mod(&in)
	task, err := scheduler.Tasks{Store: f.st.Tasks}.Create(ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return task
}

func (f *taskFixture) tick() {
	f.t.Helper()
	if err := f.runner.Tick(ctx); err != nil {
		f.t.Fatal(err)
	}
}

// deliver sends every due message through the sandbox transport.
func (f *taskFixture) deliver() {
	f.t.Helper()
	e := mailer.NewEngine(compose.Engine(f.st), mailer.Sandbox{}, outgoing.NewBuilder(outgoing.NewLinks("https://s.test", []byte("k"))), f.clock,
		slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "test"})
	if err := e.RunUntilIdle(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func (f *taskFixture) runs(task *tasks.Task) []tasks.TaskRun {
	f.t.Helper()
	runs, err := f.st.Tasks.TaskRuns(ctx, task.ID, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return runs
}

func (f *taskFixture) task(id uint64) *tasks.Task {
	f.t.Helper()
	task, err := f.st.Tasks.GetTask(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return task
}

func TestScheduledTaskFiresOnceAtItsTime(t *testing.T) {
	start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	f := newTaskFixture(t, start, 30)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskScheduled; in.StartAt = start.Add(time.Hour) })
	f.tick()
	if len(f.runs(task)) != 0 {
		t.Fatal("fired early")
	}
	f.clock.Advance(time.Hour)
	f.tick()
	f.tick()
	runs := f.runs(task)
	if len(runs) != 1 || runs[0].Status != tasks.RunSending || runs[0].Requested != 30 {
		t.Fatalf("runs: %+v", runs)
	}
	if got := f.task(task.ID); got.Status != tasks.TaskRunning || got.NextRunAt != nil {
		t.Fatalf("task while sending: %s next %v", got.Status, got.NextRunAt)
	}
	f.deliver()
	f.tick()
	if got := f.task(task.ID); got.Status != tasks.TaskCompleted {
		t.Errorf("task after delivery: %s", got.Status)
	}
	counts, _ := f.st.Tasks.CountRun(ctx, runs[0].ID)
	if counts[models.StatusDelivered] != 30 || counts.Total() != 30 {
		t.Errorf("counts %v", counts)
	}
	if runs := f.runs(task); runs[0].Status != tasks.RunCompleted {
		t.Errorf("run %s", runs[0].Status)
	}
}

func TestBatchTaskFiresAtOnceWithSuppressedSkipped(t *testing.T) {
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), 10)
	if _, _, err := f.st.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "r3@dest.test", Reason: audience.ReasonManual}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "r4@dest.test", Reason: audience.ReasonUnsubscribe, ScopeDomain: "other.test"}); err != nil {
		t.Fatal(err)
	}
	task := f.create(func(in *tasks.TaskInput) {
		in.Kind = tasks.TaskBatch
		in.AdLocation = tasks.AdBefore
		in.Subject = "Big news"
	})
	f.tick()
	f.deliver()
	runs := f.runs(task)
	counts, _ := f.st.Tasks.CountRun(ctx, runs[0].ID)
	if counts[models.StatusDelivered] != 9 || counts[models.StatusSuppressed] != 1 {
		t.Fatalf("counts %v", counts)
	}
	box, _ := f.st.Sandbox.SandboxPage(ctx, 0, 1)
	if box[0].Subject != "(AD) Big news" {
		t.Errorf("subject %q", box[0].Subject)
	}
}

// A run is for its group as it was when it fired: a recipient added while
// it is being queued waits for the next run, and one deleted and added
// again meanwhile is not queued twice. Every message has a well-formed uid,
// the one a bounce to its VERP address is matched by.
func TestRunQueuesTheGroupAsItWasWhenFired(t *testing.T) {
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), 10)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	run, _, err := f.st.Tasks.FireRun(ctx, task, task.StartAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if more, err := f.st.Tasks.MaterialiseRun(ctx, run.ID, 3); !more || err != nil {
		t.Fatalf("first batch: more %v, %v", more, err)
	}
	if err := f.st.Audience.DeleteRecipient(ctx, *task.GroupID, "r0@dest.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Audience.AddRecipients(ctx, *task.GroupID, []audience.RecipientInput{{Email: "r0@dest.test"}, {Email: "late@dest.test"}}); err != nil {
		t.Fatal(err)
	}
	f.runner.Batch = 3
	f.tick()
	msgs, _, err := f.st.Queue.FindMessages(ctx, queue.MessageQuery{Day: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.Recipient] || m.Recipient == "late@dest.test" {
			t.Errorf("%s queued wrongly (twice, or added after the run fired)", m.Recipient)
		}
		seen[m.Recipient] = true
		if !queue.ValidMessageUID(m.UID) {
			t.Errorf("uid %q of %s is not a message uid", m.UID, m.Recipient)
		}
	}
	if len(seen) != 10 {
		t.Errorf("%d recipients queued, want the 10 of the group when the run fired", len(seen))
	}
	if runs := f.runs(task); runs[0].Requested != 10 || runs[0].Status != tasks.RunSending {
		t.Errorf("run: requested %d, status %s", runs[0].Requested, runs[0].Status)
	}
}

// A daily 09:00 task in Berlin runs at 09:00 local on both sides of the
// March change to summer time (08:00 UTC, then 07:00 UTC), written as an
// interval and as a cron expression.
func TestDailyTaskAcrossDaylightSaving(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 3, 27, 9, 0, 0, 0, berlin)
	for name, mod := range map[string]func(*tasks.TaskInput){
		"interval": func(in *tasks.TaskInput) { in.IntervalUnit, in.IntervalCount = "days", 1 },
		"cron":     func(in *tasks.TaskInput) { in.CronExpr = "0 9 * * *" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newTaskFixture(t, start.Add(-time.Hour), 3)
			task := f.create(func(in *tasks.TaskInput) {
				in.Kind, in.StartAt, in.TimeZone = tasks.TaskRecurring, start, "Europe/Berlin"
				mod(in)
			})
			var fired []string
			for day := 0; day < 4; day++ {
				next := *f.task(task.ID).NextRunAt
				f.clock.Set(next)
				f.tick()
				f.deliver()
				f.tick()
				fired = append(fired, next.In(berlin).Format("Jan 2 15:04 MST"))
			}
			want := "Mar 27 09:00 CET,Mar 28 09:00 CET,Mar 29 09:00 CEST,Mar 30 09:00 CEST"
			if strings.Join(fired, ",") != want {
				t.Errorf("fired at %v", fired)
			}
			if runs := f.runs(task); len(runs) != 4 {
				t.Errorf("%d runs", len(runs))
			}
			if got := f.task(task.ID); got.Status != tasks.TaskWaiting {
				t.Errorf("status %s", got.Status)
			}
		})
	}
}

func TestMissedRunsFireOnceWithinGrace(t *testing.T) {
	start := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	f := newTaskFixture(t, start.Add(-time.Minute), 2)
	task := f.create(func(in *tasks.TaskInput) {
		in.Kind, in.StartAt, in.IntervalUnit, in.IntervalCount = tasks.TaskRecurring, start, "hours", 6
	})
	// Down from 08:59 until 21:30: the 09:00 and 15:00 runs are missed, and
	// 21:00 is 30 minutes late, within the hour of grace.
	f.clock.Set(start.Add(12*time.Hour + 30*time.Minute))
	f.tick()
	runs := f.runs(task)
	if len(runs) != 3 || runs[0].Status != tasks.RunSending || runs[1].Status != tasks.RunSkipped || runs[2].Status != tasks.RunSkipped {
		t.Fatalf("runs %+v", runs)
	}
	if !strings.HasPrefix(runs[1].Reason, "Skipped: Sesame was not running at 2026-06-01T15:00:00Z") {
		t.Errorf("reason %q", runs[1].Reason)
	}
	// Down again past 03:00 by 90 minutes: beyond grace, skipped, and the
	// next one is 09:00.
	f.deliver()
	f.clock.Set(start.Add(19*time.Hour + 30*time.Minute))
	f.tick()
	runs = f.runs(task)
	if runs[0].Status != tasks.RunSkipped || !strings.Contains(runs[0].Reason, "over the 1h0m0s grace period") {
		t.Fatalf("late run %+v", runs[0])
	}
	if next := f.task(task.ID).NextRunAt; !next.Equal(start.Add(24 * time.Hour)) {
		t.Errorf("next run %v", next)
	}
}

func TestPauseAndResumeSendEveryoneOnce(t *testing.T) {
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), 40)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	f.tick()
	if err := f.st.Tasks.PauseTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	run := f.runs(task)[0]
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusDelivered] != 0 || c[models.StatusQueued] != 40 {
		t.Fatalf("delivered while paused: %v", c)
	}
	if err := f.st.Tasks.PauseTask(ctx, task.ID); !errors.Is(err, tasks.ErrTaskState) {
		t.Errorf("pausing twice: %v", err)
	}
	if err := f.st.Tasks.ResumeTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	f.tick()
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusDelivered] != 40 || c.Total() != 40 {
		t.Fatalf("after resume: %v", c)
	}
	box, _ := f.st.Sandbox.SandboxPage(ctx, 0, 100)
	seen := map[string]bool{}
	for _, m := range box {
		if seen[m.Recipient] {
			t.Errorf("%s got two messages", m.Recipient)
		}
		seen[m.Recipient] = true
	}
	if len(seen) != 40 {
		t.Errorf("%d recipients mailed", len(seen))
	}
	if got := f.task(task.ID); got.Status != tasks.TaskCompleted {
		t.Errorf("status %s", got.Status)
	}
}

func TestCancelAndResendFailed(t *testing.T) {
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), 5)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	f.tick()
	if err := f.st.Tasks.CancelTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	run := f.runs(task)[0]
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusCancelled] != 5 {
		t.Fatalf("after cancel: %v", c)
	}
	if got := f.task(task.ID); got.Status != tasks.TaskCancelled {
		t.Errorf("status %s", got.Status)
	}
	if n, err := f.st.Tasks.ResendFailed(ctx, run.ID); err != nil || n != 0 {
		t.Errorf("resend with nothing failed: %d %v", n, err)
	}
}

func TestTwoSchedulersFireEachRunOnce(t *testing.T) {
	cfg := testdb.Config(t)
	clock := clocktest.New(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	f := newTaskFixtureWith(t, cfg, clock, 20)
	other := testdb.OpenConfig(t, func() store.Config { c := cfg; c.Clock = clock; return c }())
	second := scheduler.NewTaskRunner(other.Tasks, clock, slog.New(slog.DiscardHandler), "other-holder", time.Hour)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	var wg sync.WaitGroup
	for _, r := range []*scheduler.TaskRunner{f.runner, second} {
		wg.Go(func() {
			for i := 0; i < 5; i++ {
				if err := r.Tick(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	runs := f.runs(task)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	if c, _ := f.st.Tasks.CountRun(ctx, runs[0].ID); c.Total() != 20 {
		t.Errorf("%d messages", c.Total())
	}
	// The lease passes to the other process when the first stops renewing it.
	clock.Advance(time.Minute)
	if ok, _ := other.Tasks.AcquireLease(ctx, "scheduler", "other-holder", 30*time.Second); !ok {
		t.Error("lease not taken over after it ran out")
	}
	if ok, _ := f.st.Tasks.AcquireLease(ctx, "scheduler", "test-holder", 30*time.Second); ok {
		t.Error("two holders of one lease")
	}
}

func TestTaskValidation(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	f := newTaskFixture(t, now, 1)
	empty, _ := f.st.Audience.CreateGroup(ctx, audience.GroupInput{Name: "Empty"})
	pending, _ := f.st.Domains.AddDomain(ctx, "pending.test", 1024)
	_ = pending
	for _, tc := range []struct {
		name  string
		mod   func(*tasks.TaskInput)
		field string
		want  string
	}{
		{"past start", func(in *tasks.TaskInput) { in.Kind = tasks.TaskScheduled; in.StartAt = now.Add(-time.Hour) }, "start_at", "The start time is in the past."},
		{"empty group", func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch; in.GroupID = empty.ID }, "group_id", "This group has no recipients."},
		{"no template", func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch; in.TemplateID = 999 }, "template_id", "There is no template 999."},
		{"bad cron", func(in *tasks.TaskInput) {
			in.Kind = tasks.TaskRecurring
			in.StartAt = now
			in.CronExpr = "every day"
		}, "cron_expr", "This is not a valid cron expression (minute hour day-of-month month day-of-week, e.g. 0 9 * * 1)."},
		{"too often", func(in *tasks.TaskInput) {
			in.Kind = tasks.TaskRecurring
			in.StartAt = now
			in.CronExpr = "*/10 * * * *"
		}, "cron_expr", "This runs every 10m0s; a recurring task may run at most once an hour."},
		{"never", func(in *tasks.TaskInput) {
			in.Kind = tasks.TaskRecurring
			in.StartAt = now
			in.CronExpr = "0 9 30 2 *"
		}, "cron_expr", "This never runs: no date matches it."},
		{"no interval", func(in *tasks.TaskInput) { in.Kind = tasks.TaskRecurring; in.StartAt = now }, "interval_unit", "Repeat every so many hours or days, or give a cron expression."},
		{"no kind", func(in *tasks.TaskInput) {}, "kind", "Choose batch, scheduled or recurring."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.base
			tc.mod(&in)
			_, err := scheduler.Tasks{Store: f.st.Tasks}.Create(ctx, in)
			var verr *models.ValidationError
			if !errors.As(err, &verr) || verr.Fields[tc.field] != tc.want {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestReputationGuardPausesABouncingTask(t *testing.T) {
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), 400)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	f.tick()
	sink := smtpsink.Start(t)
	sink.When("r1", smtpsink.Reply550, 0) // r1, r10–r19, r100–r199: 111 bounce
	sink.When("r3", smtpsink.Reply451, 0) // r3, r30–r39, r300–r399: 111 wait for a retry
	e := mailer.NewEngine(compose.Engine(f.st), &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(outgoing.NewLinks("https://s.test", []byte("k"))), f.clock,
		slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "test"})
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	run := f.runs(task)[0]
	rep, _ := f.st.Tasks.ReputationOfRun(ctx, run.ID)
	if rep.Sent != 289 || rep.Bounced != 111 {
		t.Fatalf("reputation %+v", rep)
	}
	f.tick()
	if got := f.task(task.ID); got.Status == tasks.TaskPaused {
		t.Fatal("the guard weighed the run again within its minute")
	}
	f.clock.Advance(time.Minute)
	f.tick()
	got := f.task(task.ID)
	if got.Status != tasks.TaskPaused || !strings.Contains(got.StatusReason, "38.4% of 289 sent messages hard-bounced (limit 10.0%)") {
		t.Fatalf("after the guard: %s %q", got.Status, got.StatusReason)
	}
	// The deferred ones wait while paused.
	f.clock.Advance(time.Hour)
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusDeferred] != 111 {
		t.Errorf("deferred messages went out while paused: %v", c)
	}
}
