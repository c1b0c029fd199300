package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// TaskCreator checks and creates tasks (the scheduler: it knows schedules).
type TaskCreator interface {
	Create(ctx context.Context, in tasks.TaskInput) (*tasks.Task, error)
	// Check also tells the task's plan: its schedule in words and its
	// first runs.
	Check(ctx context.Context, in tasks.TaskInput) (tasks.Plan, error)
}

// TaskService is the task life cycle: what the task pages show and do.
type TaskService interface {
	GetTask(ctx context.Context, id uint64) (*tasks.Task, error)
	PreflightTask(ctx context.Context, in tasks.TaskInput) (*tasks.Preflight, error)
	ListTaskProgressWhere(ctx context.Context, f tasks.TaskFilter, offset, limit int) ([]tasks.TaskProgress, int64, error)
	GetTaskDetail(ctx context.Context, id uint64, runs int) (*tasks.TaskDetail, error)
	PauseTask(ctx context.Context, id uint64) error
	ResumeTask(ctx context.Context, id uint64) error
	CancelTask(ctx context.Context, id uint64) error
	EndRecurrence(ctx context.Context, id uint64) error
	ResendFailed(ctx context.Context, runID uint64) (int64, error)
	GetTaskRun(ctx context.Context, id uint64) (*tasks.TaskRun, error)
}

// TaskReporter reports what became of a task's mail.
type TaskReporter interface {
	TaskReport(ctx context.Context, taskID uint64, loc *time.Location) (*tracking.TaskReport, error)
}

// SenderChoices are the sender addresses forms that send may choose.
type SenderChoices interface {
	ListSendableSenders(ctx context.Context) ([]identity.SenderAddress, error)
	GetSender(ctx context.Context, id uint64) (*identity.SenderAddress, error)
}

// TemplateChoices are the templates forms that send may choose.
type TemplateChoices interface {
	ListTemplates(ctx context.Context, offset, limit int) (*content.TemplatePage, error)
	GetTemplate(ctx context.Context, id uint64) (*content.Template, error)
}

// GroupChoices are the recipient groups a task may send to.
type GroupChoices interface {
	ListGroups(ctx context.Context, f audience.GroupFilter) ([]audience.RecipientGroup, int64, error)
	GetGroup(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
}

// Tasks serves sending tasks.
type Tasks struct {
	svc       TaskService
	senders   SenderChoices
	templates TemplateChoices
	groups    GroupChoices
	reports   TaskReporter
	creator   TaskCreator
}

// NewTasks builds the task handlers.
func NewTasks(svc TaskService, senders SenderChoices, templates TemplateChoices, groups GroupChoices, reports TaskReporter, creator TaskCreator) *Tasks {
	return &Tasks{svc: svc, senders: senders, templates: templates, groups: groups, reports: reports, creator: creator}
}

func (h *Tasks) List(c echo.Context) error {
	p := views.TaskListPage{Status: c.QueryParam("status"), Query: strings.TrimSpace(c.QueryParam("q"))}
	if !slices.Contains(tasks.Statuses, tasks.TaskStatus(p.Status)) {
		p.Status = "" // an unknown status filters nothing
	}
	var err error
	p.Tasks, p.Total, err = h.svc.ListTaskProgressWhere(c.Request().Context(), tasks.TaskFilter{Status: tasks.TaskStatus(p.Status), Name: p.Query}, 0, 200)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskList(p))
}

// withChoices fills the form's drop-downs: senders of verified domains,
// approved templates, groups.
func (h *Tasks) withChoices(ctx context.Context, f views.TaskForm) (views.TaskForm, error) {
	var err error
	if f.Senders, err = h.senders.ListSendableSenders(ctx); err != nil {
		return f, err
	}
	page, err := h.templates.ListTemplates(ctx, 0, 500)
	if err != nil {
		return f, err
	}
	for _, t := range page.Templates {
		if t.Status == content.TemplateApproved {
			f.Templates = append(f.Templates, t)
		}
	}
	f.Groups, _, err = h.groups.ListGroups(ctx, audience.GroupFilter{Limit: 500})
	return f, err
}

const datetimeLocal = "2006-01-02T15:04"

// New shows the form, blank or copied from the task named by ?from=.
func (h *Tasks) New(c echo.Context) error {
	ctx := c.Request().Context()
	f := views.TaskForm{Kind: string(tasks.TaskBatch), Unsubscribe: "2", AdLocation: "0", TrackOpens: true, TrackClicks: true, IntervalUnit: "days"}
	if from, err := models.ParseID(c.QueryParam("from")); err == nil {
		t, err := h.svc.GetTask(ctx, from)
		if err != nil {
			return err
		}
		f = copyTask(t, web.CurrentUser(c).Location())
	}
	f, err := h.withChoices(ctx, f)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskNew(f))
}

// Back re-shows the form with what the pre-flight page carried.
func (h *Tasks) Back(c echo.Context) error {
	f, err := h.withChoices(c.Request().Context(), readTaskForm(c))
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskNew(f))
}

func copyTask(t *tasks.Task, loc *time.Location) views.TaskForm {
	id := func(p *uint64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(*p, 10)
	}
	f := views.TaskForm{Name: t.Name + " (copy)", SenderID: id(t.SenderID), TemplateID: id(t.TemplateID), GroupID: id(t.GroupID),
		Subject: t.Subject, Unsubscribe: t.Unsubscribe, AdLocation: strconv.Itoa(t.AdLocation), TrackOpens: t.TrackOpens, TrackClicks: t.TrackClicks,
		Kind: string(t.Kind), IntervalUnit: t.IntervalUnit, CronExpr: t.CronExpr, TimeZone: t.TimeZone}
	if t.Kind != tasks.TaskBatch {
		if tl, err := time.LoadLocation(t.TimeZone); err == nil {
			loc = tl // the start as the task's own zone reads it
		}
		f.StartAt = t.StartAt.In(loc).Format(datetimeLocal)
	}
	if t.IntervalCount > 0 {
		f.IntervalCount = strconv.Itoa(t.IntervalCount)
	}
	if t.MaxRuns > 1 {
		f.MaxRuns = strconv.Itoa(t.MaxRuns)
	}
	f.Defaults, _ = models.ParseVariables(t.VariableDefaults)
	return f
}

func readTaskForm(c echo.Context) views.TaskForm {
	f := views.TaskForm{
		Name: c.FormValue("name"), SenderID: c.FormValue("sender_id"), TemplateID: c.FormValue("template_id"), GroupID: c.FormValue("group_id"),
		Subject: c.FormValue("subject"), Unsubscribe: c.FormValue("unsubscribe"), AdLocation: c.FormValue("ad_location"),
		TrackOpens: c.FormValue("track_opens") == "1", TrackClicks: c.FormValue("track_clicks") == "1",
		Kind: c.FormValue("kind"), StartAt: c.FormValue("start_at"), IntervalCount: c.FormValue("interval_count"),
		IntervalUnit: c.FormValue("interval_unit"), CronExpr: c.FormValue("cron_expr"), EndAt: c.FormValue("end_at"),
		MaxRuns: c.FormValue("max_runs"), TimeZone: strings.TrimSpace(c.FormValue("time_zone")), AllowEmpty: c.FormValue("allow_empty") == "1", Defaults: map[string]string{},
	}
	params, _ := c.FormParams()
	for k, v := range params {
		if name, ok := strings.CutPrefix(k, "default."); ok && len(v) > 0 {
			f.Defaults[name] = v[0]
		}
	}
	return f
}

// taskInput turns the form into the models' input; values that do not
// parse become field errors.
func taskInput(f views.TaskForm, u *accounts.User) (tasks.TaskInput, *models.ValidationError) {
	verr := &models.ValidationError{}
	num := func(field, raw string) uint64 {
		n, err := models.ParseID(raw)
		if err != nil && raw != "" {
			verr.Add(field, "Choose one.")
		}
		return n
	}
	// Times are read in the zone the form names (the browser's, unless the
	// user chose another), else in the user's own.
	loc := u.Location()
	if f.TimeZone != "" {
		if tl, err := time.LoadLocation(f.TimeZone); err == nil && f.TimeZone != "Local" {
			loc = tl
		} else {
			verr.Add("time_zone", "Choose a time zone from the list, such as Asia/Jakarta.")
		}
	}
	when := func(field, raw string) *time.Time {
		if strings.TrimSpace(raw) == "" {
			return nil
		}
		t, err := time.ParseInLocation(datetimeLocal, raw, loc)
		if err != nil { // browsers send seconds when the input's step asks for them
			t, err = time.ParseInLocation(datetimeLocal+":05", raw, loc)
		}
		if err != nil {
			verr.Add(field, "Enter a date and time.")
			return nil
		}
		return &t
	}
	in := tasks.TaskInput{
		Name: f.Name, SenderID: num("sender_id", f.SenderID), TemplateID: num("template_id", f.TemplateID), GroupID: num("group_id", f.GroupID),
		Subject: f.Subject, Unsubscribe: f.Unsubscribe, TrackOpens: f.TrackOpens, TrackClicks: f.TrackClicks,
		Kind: tasks.TaskKind(f.Kind), IntervalUnit: f.IntervalUnit, CronExpr: f.CronExpr, TimeZone: loc.String(),
		VariableDefaults: f.Defaults, EndAt: when("end_at", f.EndAt), CreatedBy: &u.ID,
	}
	in.AdLocation, _ = strconv.Atoi(f.AdLocation)
	if start := when("start_at", f.StartAt); start != nil {
		in.StartAt = *start
	}
	if f.IntervalCount != "" {
		n, err := strconv.Atoi(f.IntervalCount)
		if err != nil {
			verr.Add("interval_count", "Enter a whole number.")
		}
		in.IntervalCount = n
	}
	if f.MaxRuns != "" {
		n, err := strconv.Atoi(f.MaxRuns)
		if err != nil {
			verr.Add("max_runs", "Enter a whole number.")
		}
		in.MaxRuns = n
	}
	return in, verr
}

// check validates the form, rendering it with errors when it is wrong,
// and tells the task's plan.
func (h *Tasks) check(c echo.Context, f views.TaskForm) (tasks.TaskInput, tasks.Plan, bool, error) {
	ctx := c.Request().Context()
	// What does not parse and what is invalid are reported together.
	in, verr := taskInput(f, web.CurrentUser(c))
	plan, err := h.creator.Check(ctx, in)
	if err = verr.Join(err); err == nil {
		err = verr.OrNil()
	}
	if errors.As(err, &f.Errors) {
		f, ferr := h.withChoices(ctx, f)
		if ferr != nil {
			return in, plan, false, ferr
		}
		return in, plan, false, web.Render(c, http.StatusUnprocessableEntity, views.TaskNew(f))
	}
	return in, plan, err == nil, err
}

// Preflight shows the confirmation step.
func (h *Tasks) Preflight(c echo.Context) error {
	f := readTaskForm(c)
	in, plan, ok, err := h.check(c, f)
	if !ok {
		return err
	}
	return h.renderPreflight(c, f, in, plan, http.StatusOK)
}

func (h *Tasks) renderPreflight(c echo.Context, f views.TaskForm, in tasks.TaskInput, plan tasks.Plan, status int) error {
	check, err := h.svc.PreflightTask(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return web.Render(c, status, views.TaskPreflight(views.PreflightPage{Form: f, Check: check, Plan: plan}))
}

// Create stores the confirmed task.
func (h *Tasks) Create(c echo.Context) error {
	ctx := c.Request().Context()
	f := readTaskForm(c)
	in, plan, ok, err := h.check(c, f)
	if !ok {
		return err
	}
	check, err := h.svc.PreflightTask(ctx, in)
	if err != nil {
		return err
	}
	var undecided []string
	for _, m := range check.Missing {
		if f.Defaults[m.Placeholder] == "" && !f.AllowEmpty {
			undecided = append(undecided, "{{"+m.Placeholder+"}}")
		}
	}
	if len(undecided) > 0 {
		sort.Strings(undecided)
		f.Errors = models.Invalid("defaults", "Give a default for "+strings.Join(undecided, ", ")+", or allow empty values.")
		return h.renderPreflight(c, f, in, plan, http.StatusUnprocessableEntity)
	}
	task, err := h.creator.Create(ctx, in)
	if errors.As(err, &f.Errors) {
		return h.renderPreflight(c, f, in, plan, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	msg := "Task created: it starts within a few seconds."
	if task.Kind != tasks.TaskBatch {
		msg = "Task scheduled."
	}
	return web.RedirectWithFlash(c, "/tasks/"+strconv.FormatUint(task.ID, 10), msg)
}

func (h *Tasks) page(c echo.Context) (views.TaskPage, error) {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return views.TaskPage{}, err
	}
	d, err := h.svc.GetTaskDetail(ctx, id, 50)
	if err != nil {
		return views.TaskPage{}, err
	}
	p := views.TaskPage{Progress: d.TaskProgress, Runs: d.Runs, Sender: "(deleted sender)", Template: "(deleted template)", Group: "(deleted group)"}
	if d.Task.SenderID != nil {
		if s, err := h.senders.GetSender(ctx, *d.Task.SenderID); err == nil {
			p.Sender = s.Email
		}
	}
	if d.Task.TemplateID != nil {
		if t, err := h.templates.GetTemplate(ctx, *d.Task.TemplateID); err == nil {
			p.Template = t.Name
		}
	}
	if d.Task.GroupID != nil {
		if g, err := h.groups.GetGroup(ctx, *d.Task.GroupID); err == nil {
			p.Group = g.Name
		}
	}
	return p, nil
}

func (h *Tasks) Show(c echo.Context) error {
	p, err := h.page(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskShow(p))
}

// Live is the self-refreshing part of the task page.
func (h *Tasks) Live(c echo.Context) error {
	p, err := h.page(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskLiveUpdate(p))
}

// action runs a task action and reports it.
func (h *Tasks) action(do func(ctx context.Context, id uint64) error, done string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := web.IDParam(c, "id")
		if err != nil {
			return err
		}
		path := "/tasks/" + strconv.FormatUint(id, 10)
		err = do(c.Request().Context(), id)
		if errors.Is(err, tasks.ErrTaskState) {
			return web.FlashAndRedirect(c, "error", path, "Not possible now: "+strings.TrimPrefix(err.Error(), tasks.ErrTaskState.Error()+": ")+".")
		}
		if err != nil {
			return err
		}
		return web.RedirectWithFlash(c, path, done)
	}
}

func (h *Tasks) Pause() echo.HandlerFunc { return h.action(h.svc.PauseTask, "Task paused.") }
func (h *Tasks) Resume() echo.HandlerFunc {
	return h.action(h.svc.ResumeTask, "Task resumed: nothing already sent is sent again.")
}
func (h *Tasks) Cancel() echo.HandlerFunc {
	return h.action(h.svc.CancelTask, "Task cancelled; unsent messages were cancelled.")
}
func (h *Tasks) End() echo.HandlerFunc {
	return h.action(h.svc.EndRecurrence, "The task will not run again.")
}

func (h *Tasks) ResendFailed(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	runID, err := web.IDParam(c, "run")
	if err != nil {
		return err
	}
	run, err := h.svc.GetTaskRun(ctx, runID)
	if err != nil || run.TaskID != id {
		return models.ErrNotFound
	}
	n, err := h.svc.ResendFailed(ctx, runID)
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/tasks/"+strconv.FormatUint(id, 10), models.Plural(n, "failed message", "failed messages")+" queued again.")
}
