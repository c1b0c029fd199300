package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/tasks"
)

// BatchSendEmail creates a task, exactly as the console's task form does
// (through the scheduler), and ListSendTasks lists tasks with Tencent's
// TaskStatus.

// Tencent's TaskType.
const (
	taskImmediate = 1
	taskTimed     = 2
	taskCycle     = 3
)

var taskTypes = map[tasks.TaskKind]uint64{tasks.TaskBatch: taskImmediate, tasks.TaskScheduled: taskTimed, tasks.TaskRecurring: taskCycle}

// maxCycleHours caps IntervalTime (the console's limit of 10,000 hours).
const maxCycleHours = 10_000

func (h *taskActions) beginTime(field, raw string) (time.Time, error) {
	if strings.TrimSpace(raw) == "" {
		return time.Time{}, errf(wire.CodeMissingParameter, "%s is required: YYYY-MM-DD HH:MM:SS in %s.", field, h.loc)
	}
	t, ok := h.parseTime(raw)
	if !ok {
		return time.Time{}, errf(wire.CodeWrongDate, "%s must be YYYY-MM-DD HH:MM:SS (in %s) or an RFC 3339 time.", field, h.loc)
	}
	if t.Before(h.clock.Now().Add(-time.Minute)) {
		return time.Time{}, errf(wire.CodeBeginTimeBeforeNow, "%s %s is in the past.", field, h.formatTime(t))
	}
	return t, nil
}

func (h *taskActions) batchSendEmail(ctx context.Context, c *Caller, req *wire.BatchSendEmailRequest) (*wire.BatchSendEmailResponse, error) {
	if strings.TrimSpace(req.FromEmailAddress) == "" || req.ReceiverId == 0 || req.Template == nil || req.Template.TemplateID == 0 {
		if req.Simple != nil && req.Template == nil {
			return nil, errf(wire.CodeWithOutPermission, "A batch sends a template: give Template.TemplateID (Simple content is for SendEmail).")
		}
		return nil, errf(wire.CodeSendParamNecessary, "FromEmailAddress, ReceiverId and Template.TemplateID are required.")
	}
	if req.Simple != nil {
		return nil, errf(wire.CodeWithOutPermission, "A batch sends a template: give Template.TemplateID, not Simple content.")
	}
	sender, fromName, err := sendingAddress(ctx, h.senders, req.FromEmailAddress)
	if err != nil {
		return nil, err
	}
	// The task's checks (the sender may send, the template is approved,
	// the group is ready) are the sending rules; here only what the API
	// itself reads.
	if err := h.send.CheckSender(sender, fromName); err != nil {
		return nil, err
	}
	if _, err := h.send.Group(ctx, req.ReceiverId); err != nil {
		return nil, err
	}
	t, err := h.send.Template(ctx, req.Template.TemplateID)
	if err != nil {
		return nil, err
	}
	// TemplateData of a batch are defaults for variables a recipient lacks.
	defaults, err := templateData(req.Template.TemplateData)
	if err != nil {
		return nil, err
	}
	subject := strings.TrimSpace(req.Subject)
	if subject == "" && t.Subject == "" {
		return nil, errf(wire.CodeSubjectLengthError, "Subject is required (the template has none).")
	}
	atts, _, err := attachments(req.Attachments)
	if err != nil {
		return nil, err
	}
	unsubscribe, err := unsubscribeCode(req.Unsubscribe)
	if err != nil {
		return nil, err
	}
	reply, err := models.ReplyTo(req.ReplyToAddresses)
	if err != nil {
		return nil, err
	}
	if req.ADLocation > tasks.AdAfter {
		return nil, errf(wire.CodeInvalidParameterValue, "ADLocation is 0 (no ad marker), 1 (before the subject) or 2 (after it).")
	}
	uid := c.User.ID
	in := tasks.TaskInput{
		Name:    truncate(t.Name+" · API "+h.formatTime(h.clock.Now()), 190),
		Subject: subject, SenderID: sender.ID, TemplateID: t.ID, GroupID: req.ReceiverId, Unsubscribe: unsubscribe,
		AdLocation: int(req.ADLocation), TrackOpens: true, TrackClicks: true, VariableDefaults: defaults,
		FromName: fromName, ReplyTo: reply, Attachments: outgoing.EncodeAttachments(atts),
		TimeZone: h.loc.String(), CreatedBy: &uid,
	}
	switch req.TaskType {
	case taskImmediate:
		in.Kind = tasks.TaskBatch
	case taskTimed:
		if req.TimedParam == nil {
			return nil, errf(wire.CodeTimedParamNecessary, "A timed task (TaskType 2) needs TimedParam.BeginTime.")
		}
		in.Kind = tasks.TaskScheduled
		if in.StartAt, err = h.beginTime("TimedParam.BeginTime", req.TimedParam.BeginTime); err != nil {
			return nil, err
		}
	case taskCycle:
		if req.CycleParam == nil || req.CycleParam.IntervalTime == 0 {
			return nil, errf(wire.CodeCycleParamNecessary, "A cycle task (TaskType 3) needs CycleParam.BeginTime and CycleParam.IntervalTime (hours).")
		}
		if req.CycleParam.IntervalTime > maxCycleHours {
			return nil, errf(wire.CodeInvalidParameterValue, "CycleParam.IntervalTime is 1 to %d hours.", maxCycleHours)
		}
		in.Kind = tasks.TaskRecurring
		if in.StartAt, err = h.beginTime("CycleParam.BeginTime", req.CycleParam.BeginTime); err != nil {
			return nil, err
		}
		in.IntervalUnit, in.IntervalCount = "hours", int(req.CycleParam.IntervalTime)
		if req.CycleParam.TermCycle == 1 {
			in.MaxRuns = 1 // a cycle stopped at creation runs once
		}
	case 0:
		return nil, errf(wire.CodeMissingParameter, "TaskType is required: 1 immediate, 2 timed, 3 cycle.")
	default:
		return nil, errf(wire.CodeInvalidParameterValue, "TaskType is 1 (immediate), 2 (timed) or 3 (cycle).")
	}
	task, err := h.creator.Create(ctx, in)
	if err != nil {
		return nil, err
	}
	return &wire.BatchSendEmailResponse{TaskId: task.ID}, nil
}

var tencentTaskStatuses = map[uint64]bool{1: true, 5: true, 6: true, 7: true, 10: true}

func (h *taskActions) listSendTasks(ctx context.Context, _ *Caller, req *wire.ListSendTasksRequest) (*wire.ListSendTasksResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	f := tasks.TaskFilter{GroupID: req.ReceiverId}
	switch req.TaskType {
	case 0:
	case taskImmediate:
		f.Kind = tasks.TaskBatch
	case taskTimed:
		f.Kind = tasks.TaskScheduled
	case taskCycle:
		f.Kind = tasks.TaskRecurring
	default:
		return nil, errf(wire.CodeInvalidParameterValue, "TaskType is 1 (immediate), 2 (timed) or 3 (cycle).")
	}
	if req.Status != 0 && !tencentTaskStatuses[req.Status] {
		return nil, errf(wire.CodeInvalidParameterValue, "Status is 1 (pending), 5 (sending), 6 (paused for today), 7 (error) or 10 (done).")
	}
	offset, pageSize := int(min(req.Offset, 1<<31)), int(limit)
	if req.Status != 0 {
		// The status is worked out from each task's latest run, so the
		// filter is applied here over every task the rest selects.
		offset, pageSize = 0, 0
	}
	progress, total, err := h.tasks.ListTaskProgressWhere(ctx, f, offset, pageSize)
	if err != nil {
		return nil, err
	}
	if req.Status != 0 {
		var kept []tasks.TaskProgress
		for _, p := range progress {
			if p.State().TencentStatus() == req.Status {
				kept = append(kept, p)
			}
		}
		total = int64(len(kept))
		start := min(int(min(req.Offset, 1<<31)), len(kept))
		progress = kept[start:min(start+int(limit), len(kept))]
	}
	out := &wire.ListSendTasksResponse{TotalCount: uint64(total), Data: []wire.SendTaskData{}}
	senders, groups, templates := map[uint64]string{}, map[uint64]string{}, map[uint64]string{}
	for _, p := range progress {
		d, err := h.taskData(ctx, &p, senders, groups, templates)
		if err != nil {
			return nil, err
		}
		out.Data = append(out.Data, d)
	}
	return out, nil
}

// taskData describes a task; the maps cache names across one list.
func (h *taskActions) taskData(ctx context.Context, p *tasks.TaskProgress, senders, groups, templates map[uint64]string) (wire.SendTaskData, error) {
	t := &p.Task
	d := wire.SendTaskData{TaskId: t.ID, TaskStatus: p.State().TencentStatus(), TaskType: taskTypes[t.Kind],
		CreateTime: h.formatTime(t.CreatedAt), UpdateTime: h.formatTime(t.UpdatedAt), Subject: t.Subject,
		Template: wire.TemplateParam{TemplateData: t.VariableDefaults}, ErrMsg: t.StatusReason}
	if d.Template.TemplateData == "{}" {
		d.Template.TemplateData = ""
	}
	if p.Latest != nil && p.Latest.Reason != "" && d.ErrMsg == "" {
		d.ErrMsg = p.Latest.Reason
	}
	// Tencent's cached mail is what the daily quota holds for later days.
	d.RequestCount, d.SendCount, d.CacheCount = uint64(p.Progress.Requested), uint64(p.Progress.Sent()), uint64(p.Progress.WaitingForQuota)
	if t.SenderID != nil {
		if _, ok := senders[*t.SenderID]; !ok {
			s, err := h.senders.GetSender(ctx, *t.SenderID)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return d, err
			}
			if s != nil {
				senders[*t.SenderID] = s.Email
			}
		}
		d.FromEmailAddress = senders[*t.SenderID]
		if t.FromName != "" && d.FromEmailAddress != "" {
			d.FromEmailAddress = t.FromName + " <" + d.FromEmailAddress + ">"
		}
	}
	if t.GroupID != nil {
		d.ReceiverId = *t.GroupID
		if _, ok := groups[*t.GroupID]; !ok {
			g, err := h.audience.GetGroup(ctx, *t.GroupID)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return d, err
			}
			if g != nil {
				groups[*t.GroupID] = g.Name
			}
		}
		d.ReceiversName = groups[*t.GroupID]
	}
	if t.TemplateID != nil {
		d.Template.TemplateID = *t.TemplateID
		if d.Subject == "" {
			if _, ok := templates[*t.TemplateID]; !ok {
				tpl, err := h.templates.GetTemplate(ctx, *t.TemplateID)
				if err != nil && !errors.Is(err, models.ErrNotFound) {
					return d, err
				}
				if tpl != nil {
					templates[*t.TemplateID] = tpl.Subject
				}
			}
			d.Subject = templates[*t.TemplateID]
		}
	}
	switch t.Kind {
	case tasks.TaskScheduled:
		d.TimedParam = &wire.TimedEmailParam{BeginTime: h.formatTime(t.StartAt)}
	case tasks.TaskRecurring:
		c := &wire.CycleEmailParam{BeginTime: h.formatTime(t.StartAt)}
		switch t.IntervalUnit {
		case "hours":
			c.IntervalTime = uint64(t.IntervalCount)
		case "days":
			c.IntervalTime = uint64(t.IntervalCount) * 24
		}
		if t.Status.Finished() {
			c.TermCycle = 1
		}
		d.CycleParam = c
	}
	return d, nil
}

// taskActions serves BatchSendEmail and ListSendTasks.
type taskActions struct {
	dates
	tasks     taskLister
	creator   TaskCreator
	send      taskRules
	senders   taskSenders
	templates taskTemplates
	audience  taskGroups
}

// taskLister lists tasks with their progress.
type taskLister interface {
	ListTaskProgressWhere(ctx context.Context, f tasks.TaskFilter, offset, limit int) ([]tasks.TaskProgress, int64, error)
}

// taskRules are the sending rules a task's parts are held to.
type taskRules interface {
	CheckSender(sender *identity.SenderAddress, fromName string) error
	Template(ctx context.Context, id uint64) (*content.Template, error)
	Group(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
}

// taskSenders finds sender addresses: the one a batch names, and the
// ones tasks send from.
type taskSenders interface {
	senderFinder
	GetSender(ctx context.Context, id uint64) (*identity.SenderAddress, error)
}

// taskTemplates names the templates tasks send.
type taskTemplates interface {
	GetTemplate(ctx context.Context, id uint64) (*content.Template, error)
}

// taskGroups names the groups tasks send to.
type taskGroups interface {
	GetGroup(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
}
