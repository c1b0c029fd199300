package tasks

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/queue"
	"gorm.io/gorm"
)

// farFuture parks a paused run's queued messages out of the claims' reach.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// waitingCondition matches messages not yet attempted or waiting to be.
var waitingCondition = "status IN " + models.SqlStatusList([]models.MessageStatus{models.StatusQueued, models.StatusDeferred, models.StatusQuotaWait})

// PauseTask stops a task: no new runs fire, and the unsent messages of its
// runs wait (messages already handed to a connection finish). Resume picks
// up exactly where it stopped.
func (s *Tasks) PauseTask(ctx context.Context, id uint64) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Task
		if err := tx.Take(&t, id).Error; err != nil {
			return db.NotFound(err)
		}
		if t.Status.Finished() || t.Status == TaskPaused {
			return taskStateError("the task is %s", t.Status)
		}
		runIDs, err := s.lockActiveRuns(tx, id)
		if err != nil {
			return err
		}
		if len(runIDs) > 0 {
			// A run still being queued stays materialising; the next batch
			// sees the task paused (MaterialiseRun).
			if err := tx.Model(&TaskRun{}).Where("id IN ? AND status = ?", runIDs, RunSending).Update("status", RunPaused).Error; err != nil {
				return err
			}
			if err := tx.Model(&queue.Message{}).Where("run_id IN ? AND "+waitingCondition, runIDs).Update("next_attempt_at", farFuture).Error; err != nil {
				return err
			}
		}
		return s.taskUpdate(tx, id, map[string]any{"status": TaskPaused, "status_reason": ""})
	})
}

// ResumeTask undoes PauseTask: paused messages are due again, and a next
// run missed during the pause follows the usual grace rule.
func (s *Tasks) ResumeTask(ctx context.Context, id uint64) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Task
		if err := tx.Take(&t, id).Error; err != nil {
			return db.NotFound(err)
		}
		if t.Status != TaskPaused {
			return taskStateError("the task is not paused")
		}
		var runIDs []uint64
		if err := tx.Model(&TaskRun{}).Where("task_id = ? AND status IN ?", id, []RunStatus{RunPaused, RunMaterialising}).Pluck("id", &runIDs).Error; err != nil {
			return err
		}
		if len(runIDs) > 0 {
			if err := tx.Model(&queue.Message{}).Where("run_id IN ? AND "+waitingCondition+" AND next_attempt_at = ?", runIDs, farFuture).
				Update("next_attempt_at", now).Error; err != nil {
				return err
			}
			if err := tx.Model(&TaskRun{}).Where("id IN ? AND status = ?", runIDs, RunPaused).Update("status", RunSending).Error; err != nil {
				return err
			}
		}
		if err := s.taskUpdate(tx, id, map[string]any{"status": TaskWaiting}); err != nil {
			return err
		}
		return settleTask(tx, id, now)
	})
}

// CancelTask ends a task for good: no more runs, and its unsent messages
// are cancelled.
func (s *Tasks) CancelTask(ctx context.Context, id uint64) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Task
		if err := tx.Take(&t, id).Error; err != nil {
			return db.NotFound(err)
		}
		if t.Status.Finished() {
			return taskStateError("the task is already %s", t.Status)
		}
		runIDs, err := s.lockActiveRuns(tx, id)
		if err != nil {
			return err
		}
		if len(runIDs) > 0 {
			if err := tx.Model(&TaskRun{}).Where("id IN ?", runIDs).Updates(map[string]any{"status": RunCancelled, "finished_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Model(&queue.Message{}).Where("run_id IN ? AND "+waitingCondition, runIDs).
				Updates(map[string]any{"status": models.StatusCancelled, "last_reply": "cancelled with the task", "updated_at": now}).Error; err != nil {
				return err
			}
		}
		return s.taskUpdate(tx, id, map[string]any{"status": TaskCancelled, "next_run_at": nil})
	})
}

// lockActiveRuns finds a task's runs still materialising, sending or
// paused, and locks them until tx ends before their messages are touched:
// a batch being queued (MaterialiseRun holds its run) commits first, so its
// messages are paused or cancelled with the rest.
func (s *Tasks) lockActiveRuns(tx *gorm.DB, taskID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.LockForUpdate(tx.Model(&TaskRun{})).Where("task_id = ? AND status IN ?", taskID, []RunStatus{RunMaterialising, RunSending, RunPaused}).Pluck("id", &ids).Error
	return ids, err
}

// ResendFailed queues a run's failed messages once more (not its bounced or
// suppressed ones: those recipients must not be mailed again). It returns
// how many were queued.
func (s *Tasks) ResendFailed(ctx context.Context, runID uint64) (int64, error) {
	now := s.Now()
	var n int64
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var run TaskRun
		if err := tx.Take(&run, runID).Error; err != nil {
			return db.NotFound(err)
		}
		res := tx.Model(&queue.Message{}).Where("run_id = ? AND status = ?", runID, models.StatusFailed).
			Updates(map[string]any{"status": models.StatusQueued, "next_attempt_at": now, "attempts": 0, "last_reply": "", "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if n == 0 {
			return nil
		}
		if err := tx.Model(&TaskRun{ID: runID}).Updates(map[string]any{"status": RunSending, "finished_at": nil}).Error; err != nil {
			return err
		}
		var t Task
		if err := tx.Take(&t, run.TaskID).Error; err != nil {
			return err
		}
		if t.Status == TaskCompleted || t.Status == TaskWaiting {
			return s.taskUpdate(tx, t.ID, map[string]any{"status": TaskRunning})
		}
		return nil
	})
	return n, err
}

// EndRecurrence stops a recurring task from firing again; runs in progress
// finish.
func (s *Tasks) EndRecurrence(ctx context.Context, id uint64) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Task
		if err := tx.Take(&t, id).Error; err != nil {
			return db.NotFound(err)
		}
		if t.Kind != TaskRecurring || t.Status.Finished() {
			return taskStateError("only a recurring task that has not ended can be ended")
		}
		if err := s.taskUpdate(tx, id, map[string]any{"next_run_at": nil, "end_at": now}); err != nil {
			return err
		}
		if t.Status == TaskPaused {
			return nil
		}
		return settleTask(tx, id, now)
	})
}

// AcquireLease takes or renews the named lease for holder until ttl from
// now, unless another holder's lease is still running. Of several
// processes, the one holding "scheduler" fires the tasks.
func (s *Tasks) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.Now()
	db := s.Gorm.WithContext(ctx)
	res := db.Exec("UPDATE leases SET holder = ?, until = ? WHERE name = ? AND (holder = ? OR until < ?)", holder, now.Add(ttl), name, holder, now)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	res = db.Exec("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", name, holder, now.Add(ttl))
	return res.RowsAffected == 1, res.Error
}

// RunReputation is what the reputation guard weighs for a run.
type RunReputation struct {
	Sent       int64 // delivered or bounced
	Bounced    int64
	Complained int64
}

// ReputationOfRun counts a run's sent, bounced and complained messages.
func (s *Tasks) ReputationOfRun(ctx context.Context, runID uint64) (RunReputation, error) {
	var r RunReputation
	counts, err := s.CountRun(ctx, runID)
	if err != nil {
		return r, err
	}
	p := NewProgress(counts, queue.Forecast{})
	r.Sent, r.Bounced = p.Sent(), p.Bounced
	err = s.Gorm.WithContext(ctx).Model(&queue.MessageEvent{}).Joins("JOIN messages ON messages.id = message_events.message_id").
		Where("messages.run_id = ? AND message_events.type = ?", runID, queue.EventComplained).Count(&r.Complained).Error
	return r, err
}

// RunsSending lists runs that are sending, for the reputation guard.
func (s *Tasks) RunsSending(ctx context.Context) ([]TaskRun, error) {
	var out []TaskRun
	err := s.Gorm.WithContext(ctx).Where("status = ?", RunSending).Find(&out).Error
	return out, err
}

// GuardPause pauses a task because its run hurts the sender's reputation,
// saying why on the task.
func (s *Tasks) GuardPause(ctx context.Context, taskID uint64, reason string) error {
	if err := s.PauseTask(ctx, taskID); err != nil {
		return err
	}
	return s.Gorm.WithContext(ctx).Model(&Task{ID: taskID}).Updates(map[string]any{"status_reason": reason, "updated_at": s.Now()}).Error
}
