package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FireRun starts the occurrence of task due at scheduledFor: it snapshots
// the template into the run's content and moves the task on to next (nil:
// no further runs). It is idempotent: firing an occurrence that already has
// a run (another process, or a retry) returns that run and created=false.
func (s *Store) FireRun(ctx context.Context, task *Task, scheduledFor time.Time, next *time.Time) (*TaskRun, bool, error) {
	now := s.now()
	var run TaskRun
	created := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("task_id = ? AND scheduled_for = ?", task.ID, scheduledFor.UTC()).Take(&run).Error; err == nil {
			return nil
		} else if notFound(err) != ErrNotFound {
			return err
		}
		content, reason, err := s.runContent(tx, task)
		if err != nil {
			return err
		}
		run = TaskRun{TaskID: task.ID, ScheduledFor: scheduledFor.UTC(), Status: RunMaterialising, StartedAt: &now, CreatedAt: now}
		if reason != "" {
			run.Status, run.Reason, run.FinishedAt = RunFailed, reason, &now
		} else {
			if err := tx.Create(content).Error; err != nil {
				return err
			}
			run.ContentID = &content.ID
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&run)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // another process fired it a moment ago
			return tx.Where("task_id = ? AND scheduled_for = ?", task.ID, scheduledFor.UTC()).Take(&run).Error
		}
		created = true
		cols := map[string]any{"next_run_at": next, "runs_started": gorm.Expr("runs_started + 1"), "status": TaskRunning, "status_reason": ""}
		if run.Status == RunFailed {
			cols["status_reason"] = reason
			if next == nil {
				cols["status"] = TaskFailed
			} else {
				cols["status"] = TaskWaiting
			}
		}
		return s.taskUpdate(tx, task.ID, cols)
	})
	return &run, created, err
}

// SkipRun records an occurrence missed while Sesame was down, and moves the
// task on to next.
func (s *Store) SkipRun(ctx context.Context, task *Task, scheduledFor time.Time, reason string, next *time.Time) error {
	now := s.now()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		run := TaskRun{TaskID: task.ID, ScheduledFor: scheduledFor.UTC(), Status: RunSkipped, Reason: reason, FinishedAt: &now, CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&run).Error; err != nil {
			return err
		}
		cols := map[string]any{"next_run_at": next}
		if next == nil && task.Status == TaskWaiting {
			cols["status"] = TaskCompleted
		}
		return s.taskUpdate(tx, task.ID, cols)
	})
}

// runContent snapshots what a run sends, or says why it cannot run.
func (s *Store) runContent(tx *gorm.DB, task *Task) (*MessageContent, string, error) {
	if task.TemplateID == nil || task.SenderID == nil || task.GroupID == nil {
		return nil, "The task's sender address, template or group was deleted.", nil
	}
	var t Template
	if err := tx.Take(&t, *task.TemplateID).Error; err != nil {
		if notFound(err) == ErrNotFound {
			return nil, "The task's template was deleted.", nil
		}
		return nil, "", err
	}
	if t.Status != TemplateApproved {
		return nil, "The template " + t.Name + " is not approved.", nil
	}
	unsubscribe := task.Unsubscribe
	if unsubscribe == "" {
		var sender SenderAddress
		if err := tx.Select("unsubscribe_config", "unsubscribe_enabled").Take(&sender, *task.SenderID).Error; err != nil && notFound(err) != ErrNotFound {
			return nil, "", err
		}
		unsubscribe = sender.DefaultUnsubscribe()
	}
	c := ContentFromTemplate(&t, unsubscribe)
	c.TrackOpens, c.TrackClicks = task.TrackOpens, task.TrackClicks
	c.ReplyTo, c.Attachments = task.ReplyTo, task.Attachments
	if task.Subject != "" {
		c.Subject = task.Subject
	}
	switch task.AdLocation {
	case AdBefore:
		c.Subject = AdMarker + " " + c.Subject
	case AdAfter:
		c.Subject = c.Subject + " " + AdMarker
	}
	if task.VariableDefaults != "{}" {
		c.VariableDefaults = task.VariableDefaults
	}
	c.CreatedAt = s.now()
	return &c, "", nil
}

// RunsToMaterialise lists runs whose messages are still being queued.
func (s *Store) RunsToMaterialise(ctx context.Context) ([]TaskRun, error) {
	var out []TaskRun
	err := s.db.WithContext(ctx).Where("status = ?", RunMaterialising).Order("id").Find(&out).Error
	return out, err
}

// MaterialiseRun queues the next batch of a run's messages: one per
// recipient of the group after the last one done, suppressed recipients
// already marked suppressed. It returns true once every recipient has its
// message; the run then starts sending. It is idempotent per (run,
// recipient), so a crash between batches neither skips nor duplicates
// anyone.
func (s *Store) MaterialiseRun(ctx context.Context, runID uint64, batch int) (bool, error) {
	done := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var run TaskRun
		if err := tx.Take(&run, runID).Error; err != nil {
			return notFound(err)
		}
		if run.Status != RunMaterialising {
			done = true
			return nil
		}
		var task Task
		if err := tx.Take(&task, run.TaskID).Error; err != nil {
			return err
		}
		now := s.now()
		var sender SenderAddress
		var err error
		if task.SenderID != nil && task.GroupID != nil {
			err = tx.Preload("Domain").Take(&sender, *task.SenderID).Error
		}
		if task.SenderID == nil || task.GroupID == nil || notFound(err) == ErrNotFound {
			done = true
			return failRun(tx, &run, &task, "The task's sender address or group was deleted.", now)
		}
		if err != nil {
			return err
		}
		var last uint64
		if err := tx.Model(&Recipient{}).Select("id").Where("group_id = ? AND id > ?", *task.GroupID, run.MaterialisedThrough).
			Order("id").Offset(batch - 1).Limit(1).Scan(&last).Error; err != nil {
			return err
		}
		upTo := last
		if last == 0 { // fewer than batch left: take the rest
			done = true
			upTo = ^uint64(0) >> 1
		}
		var before uint64
		if err := tx.Model(&Message{}).Select("COALESCE(MAX(id), 0)").Scan(&before).Error; err != nil {
			return err
		}
		res := tx.Exec(s.materialiseSQL(), s.materialiseArgs(&run, &task, &sender, upTo, now)...)
		if res.Error != nil {
			return res.Error
		}
		// The batch's rows are this run's messages after before: count them
		// as requested in the rollups, per provider.
		for _, t := range statsTables {
			key := map[string]string{"hour": "?", "domain_id": strconv.FormatUint(sender.DomainID, 10), "provider": "provider", "task_id": strconv.FormatUint(task.ID, 10)}
			if err := tx.Exec(t.upsertSQL(key, map[string]string{"requested": "COUNT(*)"}, "FROM messages WHERE id > ? AND run_id = ?", "provider"),
				now.Truncate(time.Hour), before, run.ID).Error; err != nil {
				return err
			}
		}
		through := upTo
		if done {
			if err := tx.Model(&Recipient{}).Select("COALESCE(MAX(id), 0)").Where("group_id = ?", *task.GroupID).Scan(&through).Error; err != nil {
				return err
			}
			through = max(through, run.MaterialisedThrough)
		}
		cols := map[string]any{"materialised_through": through, "requested": gorm.Expr("requested + ?", res.RowsAffected)}
		if done {
			cols["status"] = RunSending
			if err := markSuppressed(tx, run.ID, now, sender.Domain.Name); err != nil {
				return err
			}
		}
		return tx.Model(&TaskRun{ID: run.ID}).Updates(cols).Error
	})
	return done, err
}

func failRun(tx *gorm.DB, run *TaskRun, task *Task, reason string, now time.Time) error {
	if err := tx.Model(&TaskRun{ID: run.ID}).Updates(map[string]any{"status": RunFailed, "reason": reason, "finished_at": now}).Error; err != nil {
		return err
	}
	return tx.Model(&Task{ID: task.ID}).Updates(map[string]any{"status_reason": reason, "updated_at": now}).Error
}

// materialiseSQL copies a slice of the group into the queue in one
// statement, so a million recipients never pass through Go.
func (s *Store) materialiseSQL() string {
	// Uids have the length and alphabet of NewMessageUID's (hex digits are
	// in it), or bounces and complaints, which check that form, could not
	// name these messages.
	uid := "substr(lower(hex(randomblob(13))), 1, 26)"
	if s.dialect == Postgres {
		uid = "substr(replace(gen_random_uuid()::text, '-', ''), 1, 26)"
	}
	return `INSERT INTO messages (uid, content_id, variables, domain_id, from_email, from_name, recipient, recipient_domain, provider, task_id, run_id,
		transactional, status, attempts, next_attempt_at, lease_owner, last_reply, source_ip, sent_on, created_at, updated_at)
	SELECT ` + uid + `, ?, r.variables, ?, ?, ?, r.email, ` + s.recipientDomainSQL() + `, ` + providerSQL(s.recipientDomainSQL()) + `, ?, ?, FALSE, 'queued', 0, ?, '', '', '', '', ?, ?
	FROM recipients r WHERE r.group_id = ? AND r.id > ? AND r.id <= ?
	ON CONFLICT (run_id, recipient) WHERE run_id IS NOT NULL DO NOTHING`
}

// markSuppressed marks the queued messages of a run whose recipients are on
// the suppression list, so the run's counts say who was skipped (the engine
// would skip them anyway). Each statement is driven from the suppression
// list, which is small next to a group; the domain one runs only when some
// whole domain is suppressed.
func markSuppressed(tx *gorm.DB, runID uint64, now time.Time, senderDomain string) error {
	const active = `(expires_at IS NULL OR expires_at > ?) AND (scope_domain = '' OR scope_domain = ?)`
	const set = `UPDATE messages SET status = 'suppressed', last_reply = 'not sent: on the suppression list' WHERE run_id = ? AND status = 'queued' AND `
	if err := tx.Exec(set+`recipient IN (SELECT value FROM suppressions WHERE kind = 'address' AND `+active+`)`, runID, now, senderDomain).Error; err != nil {
		return err
	}
	var domains int64
	if err := tx.Model(&Suppression{}).Where("kind = 'domain' AND "+active, now, senderDomain).Limit(1).Count(&domains).Error; err != nil || domains == 0 {
		return err
	}
	return tx.Exec(set+`recipient_domain IN (SELECT value FROM suppressions WHERE kind = 'domain' AND `+active+`)`, runID, now, senderDomain).Error
}

// recipientDomainSQL is the domain of recipient r's address.
func (s *Store) recipientDomainSQL() string {
	if s.dialect == Postgres {
		return "substr(r.email, strpos(r.email, '@') + 1)"
	}
	return "substr(r.email, instr(r.email, '@') + 1)"
}

// suppressedRecipientSQL is true when recipient r is on the suppression
// list for a sender domain: by address or domain, unexpired, for every
// sender or that one. It takes two arguments: now and the sender domain.
func (s *Store) suppressedRecipientSQL() string {
	return `EXISTS (SELECT 1 FROM suppressions x WHERE (x.expires_at IS NULL OR x.expires_at > ?) AND (x.scope_domain = '' OR x.scope_domain = ?)
		AND ((x.kind = 'address' AND x.value = r.email) OR (x.kind = 'domain' AND x.value = ` + s.recipientDomainSQL() + `)))`
}

func (s *Store) materialiseArgs(run *TaskRun, task *Task, sender *SenderAddress, upTo uint64, now time.Time) []any {
	fromName := sender.DisplayName
	if task.FromName != "" {
		fromName = task.FromName
	}
	return []any{*run.ContentID, sender.DomainID, sender.Email, fromName, task.ID, run.ID,
		now,      // next_attempt_at
		now, now, // created_at, updated_at
		*task.GroupID, run.MaterialisedThrough, upTo}
}

// RunCounts is how many of a run's messages are in each status.
type RunCounts map[MessageStatus]int64

// Total is every message of the run.
func (c RunCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Pending is what the pipeline still owes an attempt.
func (c RunCounts) Pending() int64 {
	return c[StatusQueued] + c[StatusSending] + c[StatusDeferred] + c[StatusQuotaWait]
}

// CountRun counts a run's messages by status.
func (s *Store) CountRun(ctx context.Context, runID uint64) (RunCounts, error) {
	var rows []struct {
		Status MessageStatus
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&Message{}).Select("status, COUNT(*) AS n").Where("run_id = ?", runID).Group("status").Scan(&rows).Error
	out := RunCounts{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

// FinishRuns marks sending runs whose messages are all done as completed,
// and their tasks as waiting for the next run or completed. It returns how
// many runs finished.
func (s *Store) FinishRuns(ctx context.Context) (int, error) {
	var runs []TaskRun
	if err := s.db.WithContext(ctx).Where("status = ?", RunSending).Find(&runs).Error; err != nil {
		return 0, err
	}
	finished := 0
	for _, r := range runs {
		var pending int64
		if err := s.db.WithContext(ctx).Model(&Message{}).Where("run_id = ? AND "+pendingCondition, r.ID).Limit(1).Count(&pending).Error; err != nil {
			return finished, err
		}
		if pending > 0 {
			continue
		}
		now := s.now()
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&TaskRun{}).Where("id = ? AND status = ?", r.ID, RunSending).Updates(map[string]any{"status": RunCompleted, "finished_at": now})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return settleTask(tx, r.TaskID, now)
		})
		if err != nil {
			return finished, err
		}
		finished++
	}
	return finished, nil
}

// settleTask sets a task's status from its runs once one ends: running
// while any run is in progress, else waiting for its next run, else done.
func settleTask(tx *gorm.DB, taskID uint64, now time.Time) error {
	var t Task
	if err := tx.Take(&t, taskID).Error; err != nil {
		return err
	}
	if t.Status != TaskRunning && t.Status != TaskWaiting {
		return nil // paused, cancelled or failed stay so
	}
	var active int64
	if err := tx.Model(&TaskRun{}).Where("task_id = ? AND status IN ?", taskID, []RunStatus{RunMaterialising, RunSending}).Count(&active).Error; err != nil {
		return err
	}
	status := TaskRunning
	switch {
	case active > 0:
	case t.NextRunAt != nil:
		status = TaskWaiting
	default:
		status = TaskCompleted
	}
	return tx.Model(&Task{ID: taskID}).Updates(map[string]any{"status": status, "updated_at": now}).Error
}

// ErrTaskState is an action that does not fit the task's state.
var ErrTaskState = errors.New("not possible in the task's current state")

func taskStateError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrTaskState}, args...)...)
}
