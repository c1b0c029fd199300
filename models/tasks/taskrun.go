package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FireRun starts the occurrence of task due at scheduledFor: it snapshots
// the template into the run's content and moves the task on to next (nil:
// no further runs). It is idempotent: firing an occurrence that already has
// a run (another process, or a retry) returns that run and created=false.
func (s *Tasks) FireRun(ctx context.Context, task *Task, scheduledFor time.Time, next *time.Time) (*TaskRun, bool, error) {
	now := s.Now()
	var run TaskRun
	created := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("task_id = ? AND scheduled_for = ?", task.ID, scheduledFor.UTC()).Take(&run).Error; err == nil {
			return nil
		} else if db.NotFound(err) != models.ErrNotFound {
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
			if err := tx.Model(&audience.Recipient{}).Select("COALESCE(MAX(id), 0)").Where("group_id = ?", *task.GroupID).Scan(&run.LastRecipientID).Error; err != nil {
				return err
			}
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
func (s *Tasks) SkipRun(ctx context.Context, task *Task, scheduledFor time.Time, reason string, next *time.Time) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
func (s *Tasks) runContent(tx *gorm.DB, task *Task) (*queue.MessageContent, string, error) {
	if task.TemplateID == nil || task.SenderID == nil || task.GroupID == nil {
		return nil, "The task's sender address, template or group was deleted.", nil
	}
	var t content.Template
	if err := tx.Take(&t, *task.TemplateID).Error; err != nil {
		if db.NotFound(err) == models.ErrNotFound {
			return nil, "The task's template was deleted.", nil
		}
		return nil, "", err
	}
	if t.Status != content.TemplateApproved {
		return nil, "The template " + t.Name + " is not approved.", nil
	}
	unsubscribe := task.Unsubscribe
	if unsubscribe == "" {
		var sender identity.SenderAddress
		if err := tx.Select("unsubscribe_config", "unsubscribe_enabled").Take(&sender, *task.SenderID).Error; err != nil && db.NotFound(err) != models.ErrNotFound {
			return nil, "", err
		}
		unsubscribe = sender.DefaultUnsubscribe()
	}
	c := queue.ContentFromTemplate(&t, unsubscribe)
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
	c.CreatedAt = s.Now()
	return &c, "", nil
}

// RunsToMaterialise lists runs whose messages are still being queued, of
// tasks that are not paused.
func (s *Tasks) RunsToMaterialise(ctx context.Context) ([]TaskRun, error) {
	var out []TaskRun
	err := s.Gorm.WithContext(ctx).Where("status = ? AND task_id NOT IN (SELECT id FROM tasks WHERE status = ?)", RunMaterialising, TaskPaused).
		Order("id").Find(&out).Error
	return out, err
}

// MaterialiseRun queues the next batch of a run's messages: one per
// recipient of the group (as it was when the run fired) after the last one
// done, those on the suppression list already marked suppressed. It returns
// whether there is more to queue; once there is not, the run starts sending.
//
// Each recipient gets exactly one message, also across a crash and with
// several processes: recipients are taken in address order, which a group
// holds once each, after the run's last address; a batch and that progress
// commit together; and the run's row is locked while a batch is queued (on
// SQLite the write lock does that). PauseTask and CancelTask lock the run's
// row before they touch its messages, so a batch in flight commits before
// they do, and the next one sees the task paused or the run cancelled.
func (s *Tasks) MaterialiseRun(ctx context.Context, runID uint64, batch int) (bool, error) {
	more := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var run TaskRun
		if err := s.LockForUpdate(tx).Take(&run, runID).Error; err != nil {
			return db.NotFound(err)
		}
		if run.Status != RunMaterialising {
			return nil
		}
		var task Task
		if err := tx.Take(&task, run.TaskID).Error; err != nil {
			return err
		}
		if task.Status == TaskPaused {
			return nil
		}
		now := s.Now()
		var sender identity.SenderAddress
		var err error
		if task.SenderID != nil && task.GroupID != nil {
			if err = tx.Preload("Domain").Take(&sender, *task.SenderID).Error; err == nil {
				err = s.domains.HoldDomain(tx, sender.DomainID)
			}
		}
		if task.SenderID == nil || task.GroupID == nil || db.NotFound(err) == models.ErrNotFound {
			return failRun(tx, &run, &task, "The task's sender address or group was deleted.", now)
		}
		if err != nil {
			return err
		}
		m := materialisation{run: &run, task: &task, sender: &sender, limit: batch, now: now}
		if err := s.readSuppressionScope(tx, &m); err != nil {
			return err
		}
		end, hasMore, err := s.batchEnd(tx, &m)
		if err != nil {
			return err
		}
		queued, err := s.queueBatch(tx, &m, end)
		if err != nil {
			return err
		}
		stats := queue.StatsBatch{}
		var requested int64
		hour := now.Truncate(time.Hour)
		for provider, n := range queued {
			stats[queue.StatsKey{Hour: hour, DomainID: sender.DomainID, Provider: provider, TaskID: task.ID}] =
				&queue.StatsRow{Hour: hour, DomainID: sender.DomainID, Provider: provider, TaskID: task.ID, Requested: n}
			requested += n
		}
		if err := stats.Write(tx); err != nil {
			return err
		}
		more = hasMore
		cols := map[string]any{"requested": gorm.Expr("requested + ?", requested)}
		if more {
			cols["materialised_through"] = end
		} else {
			cols["status"] = RunSending
		}
		return tx.Model(&TaskRun{ID: run.ID}).Updates(cols).Error
	})
	return more, err
}

func failRun(tx *gorm.DB, run *TaskRun, task *Task, reason string, now time.Time) error {
	if err := tx.Model(&TaskRun{ID: run.ID}).Updates(map[string]any{"status": RunFailed, "reason": reason, "finished_at": now}).Error; err != nil {
		return err
	}
	return tx.Model(&Task{ID: task.ID}).Updates(map[string]any{"status_reason": reason, "updated_at": now}).Error
}

// materialisation is one batch of a run being queued.
type materialisation struct {
	run    *TaskRun
	task   *Task
	sender *identity.SenderAddress
	limit  int
	now    time.Time
	// domainSuppressions: some whole domain is suppressed for this sender,
	// so recipients' domains are checked too.
	domainSuppressions bool
}

// fromName is the display name of the batch's From: the task's, or else
// the sender address's.
func (m *materialisation) fromName() string {
	if m.task.FromName != "" {
		return m.task.FromName
	}
	return m.sender.DisplayName
}

// readSuppressionScope finds whether recipients' domains need checking
// against the suppression list, which is rare: most lists hold addresses.
func (s *Tasks) readSuppressionScope(tx *gorm.DB, m *materialisation) error {
	var err error
	m.domainSuppressions, err = db.AnyRow(tx.Table("suppressions x").Where("x.kind = 'domain' AND "+audience.SuppressionActiveSQL,
		map[string]any{"now": m.now, "sender_domain": m.sender.Domain.Name}))
	return err
}

// batchEnd finds the last address of the run's next batch: the limit-th
// after the run's progress by the group's address index, or "" (to the
// end) when fewer are left, and then more is false. Bounding the batch by
// address first keeps the statement that queues it to the batch's rows.
//
// Both statements of the batch must walk the address index. Just after an
// import, before PostgreSQL has gathered the table's statistics, it guesses
// that a range of a group's addresses holds a hundred rows, reads them all
// through a bitmap and sorts them instead: every batch of a new
// million-recipient group read and sorted all the addresses left. Bitmap
// scans are off for the rest of the batch's transaction.
func (s *Tasks) batchEnd(tx *gorm.DB, m *materialisation) (end string, more bool, err error) {
	if s.Dialect() == db.Postgres {
		if err := tx.Exec("SET LOCAL enable_bitmapscan = off").Error; err != nil {
			return "", false, err
		}
	}
	var ends []string
	err = tx.Model(&audience.Recipient{}).Where("group_id = ? AND email > ?", *m.task.GroupID, m.run.MaterialisedThrough).
		Order("email").Offset(m.limit-1).Limit(1).Pluck("email", &ends).Error
	if err != nil || len(ends) == 0 {
		return "", false, err
	}
	return ends[0], true, nil
}

// queueBatch inserts the messages of the run's batch, the recipients up to
// end ("": the rest), with one statement, so a million recipients never
// pass through Go one by one, and returns how many went to each mailbox
// provider.
//
// A message's uid is a time prefix made here for the batch, then the
// recipient's place in the batch (so uids rise within it, as the index on
// them prefers) and random characters.
func (s *Tasks) queueBatch(tx *gorm.DB, m *materialisation, end string) (map[string]int64, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	args := map[string]any{
		"uid_prefix": queue.NewMessageUID()[:uidTimeChars], "uid_key": hex.EncodeToString(key),
		"group": *m.task.GroupID, "after": m.run.MaterialisedThrough, "end": end, "last": m.run.LastRecipientID,
		"content": *m.run.ContentID, "domain": m.sender.DomainID, "from": m.sender.Email, "name": m.fromName(),
		"task": m.task.ID, "run": m.run.ID, "now": m.now, "sender_domain": m.sender.Domain.Name,
		"suppressed_reply": "not sent: on the suppression list",
	}
	// ordinal is the place in 5 hexadecimal digits, random 11 random ones
	// (on PostgreSQL from a key made for the batch, whose own random
	// function costs a system call per row).
	ordinal, random := `lpad(to_hex(b.n), 5, '0')`, `left(md5(@uid_key || b.id::text), 11)`
	if s.Dialect() == db.SQLite {
		ordinal, random = `printf('%05x', b.n)`, `substr(lower(hex(randomblob(6))), 1, 11)`
	}
	domain := db.DomainOfSQL(s.Dialect(), "r.email")
	suppressed := audience.AddressSuppressedSQL("r.email")
	if m.domainSuppressions {
		suppressed = audience.SuppressedSQL(s.Dialect(), "r.email")
	}
	upTo := ""
	if end != "" {
		upTo = " AND r.email <= @end"
	}
	query := `INSERT INTO messages (uid, content_id, variables, domain_id, from_email, from_name, recipient, recipient_domain, provider,
		task_id, run_id, status, last_reply, next_attempt_at, created_at, updated_at)
	SELECT @uid_prefix || ` + ordinal + ` || ` + random + `, @content, b.variables, @domain, @from, @name, b.email, b.domain, ` + queue.ProviderSQL("b.domain") + `,
		@task, @run, CASE WHEN b.suppressed THEN 'suppressed' ELSE 'queued' END, CASE WHEN b.suppressed THEN @suppressed_reply ELSE '' END, @now, @now, @now
	FROM (SELECT r.id, r.email, r.variables, ` + domain + ` AS domain, row_number() OVER () AS n, ` + suppressed + ` AS suppressed
		FROM recipients r WHERE r.group_id = @group AND r.email > @after` + upTo + ` AND r.id <= @last) b
	RETURNING provider`
	rows, err := tx.Raw(query, args).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	queued := map[string]int64{}
	for rows.Next() {
		var provider string
		if err := rows.Scan(&provider); err != nil {
			return nil, err
		}
		queued[provider]++
	}
	return queued, rows.Err()
}

// uidTimeChars is how many leading characters of a uid encode its time.
const uidTimeChars = 10

// FinishRuns marks sending runs whose messages are all done as completed,
// and their tasks as waiting for the next run or completed. It returns how
// many runs finished.
func (s *Tasks) FinishRuns(ctx context.Context) (int, error) {
	var runs []TaskRun
	if err := s.Gorm.WithContext(ctx).Where("status = ?", RunSending).Find(&runs).Error; err != nil {
		return 0, err
	}
	finished := 0
	for _, r := range runs {
		pending, err := db.AnyRow(s.Gorm.WithContext(ctx).Model(&queue.Message{}).Where("run_id = ? AND "+models.PendingCondition, r.ID))
		if err != nil {
			return finished, err
		}
		if pending {
			continue
		}
		now := s.Now()
		err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
