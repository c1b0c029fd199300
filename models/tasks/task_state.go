package tasks

import (
	"context"
	"errors"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
)

// TaskState is what a task is doing, as people (and Tencent's TaskStatus)
// see it: its stored status refined by the counts of its latest run.
type TaskState string

const (
	StatePending     TaskState = "pending"      // waiting for its first or next run
	StateSending     TaskState = "sending"      // a run is queueing or sending
	StateQuotaPaused TaskState = "paused_quota" // today's warm-up quota is used up; the rest goes tomorrow
	StatePaused      TaskState = "paused"       // paused by a user
	StateCompleted   TaskState = "completed"    // every run is done
	StateCancelled   TaskState = "cancelled"    // cancelled by a user
	StateFailed      TaskState = "failed"       // cannot run (see the reason)
)

// Label is the state for people.
func (s TaskState) Label() string {
	switch s {
	case StatePending:
		return "Scheduled"
	case StateSending:
		return "Sending"
	case StateQuotaPaused:
		return "Paused for today (warm-up quota)"
	case StatePaused:
		return "Paused"
	case StateCompleted:
		return "Completed"
	case StateCancelled:
		return "Cancelled"
	default:
		return "Failed"
	}
}

// TencentStatus is Tencent's TaskStatus code: 1 pending, 5 sending, 6 paused
// for today, 7 error, 10 done.
func (s TaskState) TencentStatus() uint64 {
	switch s {
	case StatePending, StatePaused:
		return 1
	case StateSending:
		return 5
	case StateQuotaPaused:
		return 6
	case StateFailed:
		return 7
	default:
		return 10
	}
}

// TaskProgress is a task with its latest run and that run's counts.
type TaskProgress struct {
	Task   Task
	Latest *TaskRun  // nil before the first run
	Counts RunCounts // of the latest run
}

// State refines the task's stored status with its latest run.
func (p *TaskProgress) State() TaskState {
	switch p.Task.Status {
	case TaskPaused:
		return StatePaused
	case TaskCompleted:
		return StateCompleted
	case TaskCancelled:
		return StateCancelled
	case TaskFailed:
		return StateFailed
	}
	if p.Latest == nil || p.Task.Status == TaskWaiting {
		return StatePending
	}
	c := p.Counts
	if c[models.StatusQuotaWait] > 0 && c[models.StatusQueued]+c[models.StatusSending]+c[models.StatusDeferred] == 0 && p.Latest.Status == RunSending {
		return StateQuotaPaused
	}
	return StateSending
}

// Done is how many of the latest run's messages have reached a final
// status, for the progress bar.
func (p *TaskProgress) Done() int64 { return p.Counts.Total() - p.Counts.Pending() }

// Sent counts the messages that left (delivered or bounced by the receiver).
func (c RunCounts) Sent() int64 { return c[models.StatusDelivered] + c[models.StatusBounced] }

// GetTaskProgress loads a task with its latest run's counts.
func (s *Tasks) GetTaskProgress(ctx context.Context, id uint64) (*TaskProgress, error) {
	t, err := s.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.progressOf(ctx, t)
}

func (s *Tasks) progressOf(ctx context.Context, t *Task) (*TaskProgress, error) {
	p := &TaskProgress{Task: *t, Counts: RunCounts{}}
	var run TaskRun
	err := s.Gorm.WithContext(ctx).Where("task_id = ? AND status <> ?", t.ID, RunSkipped).Order("scheduled_for DESC, id DESC").Take(&run).Error
	if errors.Is(db.NotFound(err), models.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	p.Latest = &run
	p.Counts, err = s.CountRun(ctx, run.ID)
	return p, err
}

// ListTaskProgress is ListTasks with each task's latest run.
func (s *Tasks) ListTaskProgress(ctx context.Context, offset, limit int) ([]TaskProgress, int64, error) {
	tasks, total, err := s.ListTasks(ctx, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]TaskProgress, 0, len(tasks))
	for i := range tasks {
		p, err := s.progressOf(ctx, &tasks[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *p)
	}
	return out, total, nil
}
