package scheduler_test

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
)

// newQueueFixture has a group of n recipients whose runs are queued batch
// recipients per statement.
func newQueueFixture(t *testing.T, n, batch int) *taskFixture {
	t.Helper()
	f := newTaskFixture(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), n)
	f.runner.Batch = batch
	return f
}

// fire starts the task's run without queueing any of it.
func (f *taskFixture) fire(task *tasks.Task) *tasks.TaskRun {
	f.t.Helper()
	run, _, err := f.st.Tasks.FireRun(ctx, task, task.StartAt, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return run
}

// expectQueuedOnce checks that the run has one message for each of the n
// recipients of the group.
func (f *taskFixture) expectQueuedOnce(run *tasks.TaskRun, n int) {
	f.t.Helper()
	seen := map[string]bool{}
	for more, offset := true, 0; more; offset += 100 {
		var msgs []queue.MessageRow
		var err error
		if msgs, more, err = f.st.Queue.FindMessages(ctx, queue.MessageQuery{Day: f.clock.Now(), Offset: offset, Limit: 100}); err != nil {
			f.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.RunID == nil || *m.RunID != run.ID || seen[m.Recipient] {
				f.t.Errorf("%s queued twice or for another run", m.Recipient)
			}
			seen[m.Recipient] = true
		}
	}
	if len(seen) != n {
		f.t.Errorf("%d recipients queued, want %d", len(seen), n)
	}
}

// A task paused while its run is being queued queues no more and sends
// nothing; resumed, it queues the rest and mails everyone once.
func TestPauseWhileQueueingHoldsTheRest(t *testing.T) {
	f := newQueueFixture(t, 40, 5)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	run := f.fire(task)
	if more, err := f.st.Tasks.MaterialiseRun(ctx, run.ID, 5); !more || err != nil {
		t.Fatalf("first batch: more %v, %v", more, err)
	}
	if err := f.st.Tasks.PauseTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if more, err := f.st.Tasks.MaterialiseRun(ctx, run.ID, 5); more || err != nil {
		t.Fatalf("a paused run queued: more %v, %v", more, err)
	}
	f.tick()
	f.deliver()
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c.Total() != 5 || c[models.StatusDelivered] != 0 {
		t.Fatalf("while paused: %v", c)
	}
	if err := f.st.Tasks.ResumeTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.deliver()
	f.tick()
	f.expectQueuedOnce(run, 40)
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusDelivered] != 40 {
		t.Errorf("after resume: %v", c)
	}
	if got := f.task(task.ID); got.Status != tasks.TaskCompleted {
		t.Errorf("task %s", got.Status)
	}
}

// A task cancelled while its run is being queued queues no more, and what
// was queued is cancelled.
func TestCancelWhileQueueingStopsIt(t *testing.T) {
	f := newQueueFixture(t, 40, 5)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	run := f.fire(task)
	if _, err := f.st.Tasks.MaterialiseRun(ctx, run.ID, 5); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Tasks.CancelTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.deliver()
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c.Total() != 5 || c[models.StatusCancelled] != 5 {
		t.Errorf("after cancel: %v", c)
	}
	if got := f.runs(task)[0]; got.Status != tasks.RunCancelled {
		t.Errorf("run %s", got.Status)
	}
}

// Pausing while a run is being queued, at whatever moment it lands, leaves
// no message of the run due: a batch in flight commits before the messages
// are parked, and no batch follows.
func TestPauseDuringQueueingLeavesNothingDue(t *testing.T) {
	const n = 480 // within the first warm-up day's quota of 500
	f := newQueueFixture(t, n, 10)
	task := f.create(func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch })
	ticked := make(chan error, 1)
	go func() { ticked <- f.runner.Tick(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if runs, _ := f.st.Tasks.TaskRuns(ctx, task.ID, 1); len(runs) > 0 && runs[0].Requested > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing queued in 30s")
		}
		time.Sleep(time.Millisecond)
	}
	if err := f.st.Tasks.PauseTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if err := <-ticked; err != nil {
		t.Fatal(err)
	}
	paused := f.runs(task)[0]
	t.Logf("the pause landed with %d of %d queued", paused.Requested, n)
	if due, err := f.st.Queue.ClaimMessages(ctx, "test", n, time.Minute); err != nil || len(due) != 0 {
		t.Fatalf("%d messages due while paused (%v)", len(due), err)
	}
	if err := f.st.Tasks.ResumeTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.deliver()
	f.tick()
	run := f.runs(task)[0]
	f.expectQueuedOnce(&run, n)
	if c, _ := f.st.Tasks.CountRun(ctx, run.ID); c[models.StatusDelivered] != n {
		t.Errorf("after resume: %v", c)
	}
}
