package tasks

import "context"

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

// StateLabel words the task's state for people: a "send now" batch that
// has not started yet is starting, not scheduled.
func (p *TaskProgress) StateLabel() string {
	if s := p.State(); s != StatePending || p.Task.Kind != TaskBatch {
		return s.Label()
	}
	return "Starting"
}

// Unsent is how many messages of the latest run have not been sent yet:
// what cancelling the task stops.
func (p *TaskProgress) Unsent() int64 {
	return p.Progress.Queued + p.Progress.WaitingForQuota + p.Progress.Deferred
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

// TaskProgress is a task with its latest run and that run's progress.
type TaskProgress struct {
	Task     Task
	Latest   *TaskRun // nil before the first run
	Progress Progress // of the latest run
	Owner    string   // the email of the user who created it; empty for the API's or a deleted user's
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
	if pr := p.Progress; pr.WaitingForQuota > 0 && pr.Queued+pr.Deferred == 0 && p.Latest.Status == RunSending {
		return StateQuotaPaused
	}
	return StateSending
}

// RunProgress is a run with its progress.
type RunProgress struct {
	Run      TaskRun
	Progress Progress
}

// TaskDetail is what a task's page shows: its progress, and its most
// recent runs' too, newest first.
type TaskDetail struct {
	TaskProgress
	Runs []RunProgress
}

// GetTaskDetail loads a task with its latest run's progress and that of
// its runs most recent runs, in a constant number of queries.
func (s *Tasks) GetTaskDetail(ctx context.Context, id uint64, runs int) (*TaskDetail, error) {
	t, err := s.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	latest, err := s.latestRuns(ctx, []uint64{id})
	if err != nil {
		return nil, err
	}
	recent, err := s.TaskRuns(ctx, id, runs)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, 0, len(recent)+1)
	for _, r := range recent {
		ids = append(ids, r.ID)
	}
	if r, ok := latest[id]; ok {
		ids = append(ids, r.ID)
	}
	progress, err := s.runsProgress(ctx, ids)
	if err != nil {
		return nil, err
	}
	d := &TaskDetail{TaskProgress: TaskProgress{Task: *t}}
	if r, ok := latest[id]; ok {
		d.Latest, d.Progress = &r, progress[r.ID]
	}
	for _, r := range recent {
		d.Runs = append(d.Runs, RunProgress{Run: r, Progress: progress[r.ID]})
	}
	return d, nil
}

// withProgress gives each task its latest run and that run's progress, in
// a constant number of queries however many tasks there are.
func (s *Tasks) withProgress(ctx context.Context, tasks []Task) ([]TaskProgress, error) {
	ids := make([]uint64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	latest, err := s.latestRuns(ctx, ids)
	if err != nil {
		return nil, err
	}
	runIDs := make([]uint64, 0, len(latest))
	for _, r := range latest {
		runIDs = append(runIDs, r.ID)
	}
	progress, err := s.runsProgress(ctx, runIDs)
	if err != nil {
		return nil, err
	}
	owners, err := s.ownerEmails(ctx, tasks)
	if err != nil {
		return nil, err
	}
	out := make([]TaskProgress, len(tasks))
	for i, t := range tasks {
		out[i] = TaskProgress{Task: t}
		if t.CreatedBy != nil {
			out[i].Owner = owners[*t.CreatedBy]
		}
		if r, ok := latest[t.ID]; ok {
			out[i].Latest, out[i].Progress = &r, progress[r.ID]
		}
	}
	return out, nil
}

// ownerEmails maps the creators of tasks to their emails, in one query.
func (s *Tasks) ownerEmails(ctx context.Context, tasks []Task) (map[uint64]string, error) {
	var ids []uint64
	for _, t := range tasks {
		if t.CreatedBy != nil {
			ids = append(ids, *t.CreatedBy)
		}
	}
	out := map[uint64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []struct {
		ID    uint64
		Email string
	}
	if err := s.Gorm.WithContext(ctx).Table("users").Select("id", "email").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, err
	}
	for _, u := range users {
		out[u.ID] = u.Email
	}
	return out, nil
}

// latestRuns finds each task's latest run that is not a skipped one, by
// task, in one query: for each task, the newest of its runs by the index
// on (task_id, scheduled_for).
func (s *Tasks) latestRuns(ctx context.Context, taskIDs []uint64) (map[uint64]TaskRun, error) {
	out := make(map[uint64]TaskRun, len(taskIDs))
	if len(taskIDs) == 0 {
		return out, nil
	}
	var runs []TaskRun
	in, list := s.IDsIn("t.id", taskIDs)
	err := s.Gorm.WithContext(ctx).Where(`id IN (SELECT (SELECT r.id FROM task_runs r WHERE r.task_id = t.id AND r.status <> ?
		ORDER BY r.scheduled_for DESC LIMIT 1) FROM tasks t WHERE `+in+`)`, RunSkipped, list).Find(&runs).Error
	for _, r := range runs {
		out[r.TaskID] = r
	}
	return out, err
}
