package tasks

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/sending"
	"gorm.io/gorm"
)

// TaskKind is how a task fires: once now, once at a time, or repeatedly.
type TaskKind string

const (
	TaskBatch     TaskKind = "batch"
	TaskScheduled TaskKind = "scheduled"
	TaskRecurring TaskKind = "recurring"
)

// TaskStatus is where a task is in its life.
type TaskStatus string

const (
	TaskWaiting   TaskStatus = "scheduled" // waiting for its next run
	TaskRunning   TaskStatus = "running"   // a run is sending
	TaskPaused    TaskStatus = "paused"
	TaskCompleted TaskStatus = "completed"
	TaskCancelled TaskStatus = "cancelled"
	TaskFailed    TaskStatus = "failed"
)

// Statuses lists every task status, in the order of a task's life.
var Statuses = []TaskStatus{TaskWaiting, TaskRunning, TaskPaused, TaskCompleted, TaskCancelled, TaskFailed}

// Finished reports a task that will not send again.
func (s TaskStatus) Finished() bool {
	return s == TaskCompleted || s == TaskCancelled || s == TaskFailed
}

// RunStatus is where one run of a task is.
type RunStatus string

const (
	RunMaterialising RunStatus = "materialising" // its messages are being queued
	RunSending       RunStatus = "sending"
	RunPaused        RunStatus = "paused"
	RunCompleted     RunStatus = "completed"
	RunCancelled     RunStatus = "cancelled"
	RunFailed        RunStatus = "failed"
	RunSkipped       RunStatus = "skipped" // missed while Sesame was down
)

// Ad marker positions, as Tencent's ADLocation.
const (
	AdNone   = 0
	AdBefore = 1
	AdAfter  = 2
)

// AdMarker is put before or after the subject of advertising mail.
const AdMarker = "(AD)"

// Task is a sending task: a template sent from a sender address to a
// recipient group, once or on a schedule.
type Task struct {
	ID               uint64
	Name             string
	SenderID         *uint64
	TemplateID       *uint64
	GroupID          *uint64
	Subject          string
	Unsubscribe      string
	AdLocation       int
	TrackOpens       bool
	TrackClicks      bool
	VariableDefaults string // JSON object
	FromName         string // the From display name; "": the sender address's
	ReplyTo          string // a Reply-To header
	Attachments      string // JSON array, as MessageContent.Attachments
	Kind             TaskKind
	StartAt          time.Time
	IntervalUnit     string // "hours" or "days" for a recurring task without cron
	IntervalCount    int
	CronExpr         string
	TimeZone         string
	EndAt            *time.Time
	MaxRuns          int
	Status           TaskStatus
	StatusReason     string
	NextRunAt        *time.Time
	RunsStarted      int
	CreatedBy        *uint64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// UpcomingRun is when the task runs next, if it will: a batch runs once,
// at once, and a finished task not again.
func (t *Task) UpcomingRun() *time.Time {
	if t.Kind == TaskBatch || t.Status.Finished() {
		return nil
	}
	return t.NextRunAt
}

// Location is the time zone the task's schedule is written in.
func (t *Task) Location() *time.Location {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// TaskRun is one occurrence of a task.
type TaskRun struct {
	ID           uint64
	TaskID       uint64
	ScheduledFor time.Time
	Status       RunStatus
	Reason       string
	ContentID    *uint64
	Requested    int64
	// MaterialisedThrough is the last address queued so far: recipients
	// are queued in address order, up to LastRecipientID, the group's
	// newest recipient when the run fired.
	MaterialisedThrough string
	LastRecipientID     uint64
	StartedAt           *time.Time
	FinishedAt          *time.Time
	CreatedAt           time.Time
}

// TaskInput is what a user or API client asks for.
type TaskInput struct {
	Name             string
	SenderID         uint64
	TemplateID       uint64
	GroupID          uint64
	Subject          string // empty: the template's
	Unsubscribe      string // Tencent's language code; "0": none; "": the sender's default
	AdLocation       int
	TrackOpens       bool
	TrackClicks      bool
	VariableDefaults map[string]string
	FromName         string // "": the sender address's display name
	ReplyTo          string
	Attachments      string // JSON array, as MessageContent.Attachments
	Kind             TaskKind
	StartAt          time.Time // scheduled and recurring
	IntervalUnit     string
	IntervalCount    int
	CronExpr         string
	TimeZone         string
	EndAt            *time.Time
	MaxRuns          int
	CreatedBy        *uint64
}

// MinRecurrence is the shortest interval of a recurring task.
const MinRecurrence = time.Hour

// IntervalProblem is what is wrong with repeating every count units, or
// nil: a recurring task without a cron expression repeats every 1 to
// 10,000 hours or days.
func IntervalProblem(unit string, count int) error {
	switch {
	case unit != "hours" && unit != "days":
		return models.Invalid("interval_unit", "Repeat every so many hours or days, or give a cron expression.")
	case count < 1 || count > 10_000:
		return models.Invalid("interval_count", "Repeat every 1 to 10,000 hours or days.")
	}
	return nil
}

// DefaultStart fills in the start a task may leave out: a batch starts
// now, and so does a cron schedule given none (the expression says when
// it runs; an interval needs its start to count from).
func (in *TaskInput) DefaultStart(now time.Time) {
	switch {
	case in.Kind == TaskBatch:
		in.StartAt = now
	case in.Kind == TaskRecurring && strings.TrimSpace(in.CronExpr) != "" && in.StartAt.IsZero():
		in.StartAt = now
	}
}

// validate checks what needs no database; the schedule's own rules
// (cron syntax, first occurrence) are the scheduler's.
func (in *TaskInput) validate(now time.Time, verr *models.ValidationError) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		verr.Add("name", "Enter a name of at most 200 characters.")
	}
	in.Subject = strings.TrimSpace(in.Subject)
	content.ValidateSubject(in.Subject, verr)
	if !identity.ValidUnsubscribeCode(in.Unsubscribe) {
		verr.Add("unsubscribe", "Choose a language for the unsubscribe link, or none.")
	}
	if in.FromName != "" {
		in.FromName = models.ValidateDisplayName(in.FromName, "", verr) // checked against the sender in checkTaskParts
	}
	if strings.ContainsAny(in.ReplyTo, "\r\n") || utf8.RuneCountInString(in.ReplyTo) > 1000 {
		verr.Add("reply_to", "Give one line of at most 1000 characters.")
	}
	if in.AdLocation < AdNone || in.AdLocation > AdAfter {
		verr.Add("ad_location", "Choose where the ad marker goes.")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	accounts.ValidateTimeZone("time_zone", in.TimeZone, verr)
	for k := range in.VariableDefaults {
		if !models.ValidVariableName(k) {
			verr.Add("variable_defaults", "Defaults must name template variables.")
			break
		}
	}
	in.DefaultStart(now)
	switch in.Kind {
	case TaskBatch:
	case TaskScheduled, TaskRecurring:
		if in.StartAt.IsZero() {
			verr.Add("start_at", "Choose when to start.")
		} else if in.StartAt.Before(now.Add(-time.Minute)) {
			verr.Add("start_at", "The start time is in the past.")
		}
	default:
		verr.Add("kind", "Choose batch, scheduled or recurring.")
	}
	if in.Kind != TaskRecurring {
		in.IntervalUnit, in.IntervalCount, in.CronExpr, in.EndAt, in.MaxRuns = "", 0, "", nil, 1
		return
	}
	in.CronExpr = strings.TrimSpace(in.CronExpr)
	if in.CronExpr == "" {
		if err := IntervalProblem(in.IntervalUnit, in.IntervalCount); err != nil {
			verr.Join(err)
		}
	} else {
		in.IntervalUnit, in.IntervalCount = "", 0
	}
	if in.EndAt != nil && !in.EndAt.After(in.StartAt) {
		verr.Add("end_at", "The end must come after the start.")
	}
	if in.MaxRuns < 0 || in.MaxRuns > 100_000 {
		verr.Add("max_runs", "The number of runs is 0 (no limit) to 100,000.")
	}
}

// CreateTask validates and stores a task whose first run is at firstRun
// (computed by the scheduler for cron schedules; zero means the task's
// start). It checks what a run needs:
// a sender of a verified domain, an approved template, a group with
// recipients.
func (s *Tasks) CreateTask(ctx context.Context, in TaskInput, firstRun time.Time) (*Task, error) {
	now := s.Now()
	verr := &models.ValidationError{}
	in.validate(now, verr)
	if err := s.checkTaskParts(ctx, in, verr); err != nil {
		return nil, err
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	if firstRun.IsZero() {
		firstRun = in.StartAt
	}
	firstRun = firstRun.UTC()
	senderID, templateID, groupID := in.SenderID, in.TemplateID, in.GroupID
	t := &Task{
		Name: in.Name, SenderID: &senderID, TemplateID: &templateID, GroupID: &groupID, Subject: in.Subject,
		Unsubscribe: in.Unsubscribe, AdLocation: in.AdLocation, TrackOpens: in.TrackOpens, TrackClicks: in.TrackClicks,
		VariableDefaults: models.EncodeVariables(in.VariableDefaults), FromName: in.FromName, ReplyTo: in.ReplyTo, Attachments: in.Attachments,
		Kind: in.Kind, StartAt: in.StartAt.UTC(),
		IntervalUnit: in.IntervalUnit, IntervalCount: in.IntervalCount, CronExpr: in.CronExpr, TimeZone: in.TimeZone,
		EndAt: in.EndAt, MaxRuns: in.MaxRuns, Status: TaskWaiting, NextRunAt: &firstRun, CreatedBy: in.CreatedBy,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Gorm.WithContext(ctx).Create(t).Error; err != nil {
		return nil, err
	}
	return t, nil
}

// checkTaskParts checks the sender, template and group a task names.
func (s *Tasks) checkTaskParts(ctx context.Context, in TaskInput, verr *models.ValidationError) error {
	// refused adds a sending rule's refusal to the form's errors; anything
	// else is an error to return.
	refused := func(err error) error {
		var r *sending.Refusal
		var fields *models.ValidationError
		switch {
		case errors.As(err, &r):
			verr.Add(r.Field, r.Message)
		case errors.As(err, &fields):
			for f, msg := range fields.Fields {
				verr.Add(f, msg)
			}
		default:
			return err
		}
		return nil
	}
	sender, err := s.sending.Sender(ctx, in.SenderID)
	if err == nil {
		err = s.sending.CheckSender(sender, in.FromName)
	}
	if err := refused(err); err != nil {
		return err
	}
	t, err := s.sending.Template(ctx, in.TemplateID)
	if err == nil {
		subject := in.Subject
		if subject == "" {
			subject = t.Subject
		}
		content.ValidateHeaderVariables("variable_defaults", subject, in.VariableDefaults, verr)
	}
	if err := refused(err); err != nil {
		return err
	}
	_, err = s.sending.Group(ctx, in.GroupID)
	return refused(err)
}

// GetTask loads a task.
func (s *Tasks) GetTask(ctx context.Context, id uint64) (*Task, error) {
	var t Task
	if err := s.Gorm.WithContext(ctx).Take(&t, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &t, nil
}

// ListTasks returns tasks newest first.
func (s *Tasks) ListTasks(ctx context.Context, offset, limit int) ([]Task, int64, error) {
	var out []Task
	var total int64
	db := s.Gorm.WithContext(ctx).Model(&Task{})
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	err := db.Order("id DESC").Offset(offset).Limit(limit).Find(&out).Error
	return out, total, err
}

// TaskRuns returns a task's runs, newest first.
func (s *Tasks) TaskRuns(ctx context.Context, taskID uint64, limit int) ([]TaskRun, error) {
	var out []TaskRun
	err := s.Gorm.WithContext(ctx).Where("task_id = ?", taskID).Order("scheduled_for DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// GetTaskRun loads a run.
func (s *Tasks) GetTaskRun(ctx context.Context, id uint64) (*TaskRun, error) {
	var r TaskRun
	if err := s.Gorm.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &r, nil
}

// TasksDue returns tasks whose next run time has come. A running recurring
// task is due too: a run still working through tomorrow's quota does not
// hold back the next occurrence.
func (s *Tasks) TasksDue(ctx context.Context) ([]Task, error) {
	var out []Task
	err := s.Gorm.WithContext(ctx).Where("status IN ('scheduled', 'running') AND next_run_at <= ?", s.Now()).Order("next_run_at").Find(&out).Error
	return out, err
}

// taskUpdate writes named columns of a task.
func (s *Tasks) taskUpdate(tx *gorm.DB, id uint64, cols map[string]any) error {
	cols["updated_at"] = s.Now()
	return tx.Model(&Task{ID: id}).Updates(cols).Error
}
