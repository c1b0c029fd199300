package api_test

import (
	"encoding/base64"
	"log/slog"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/scheduler"
)

func TestBatchSendEmailAndListSendTasks(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	e.verifiedSender("news@example.com", "Example News")
	tplID := e.template(t, "Newsletter", "<p>Hi {{name}}, news for {{city}}.</p>")
	groupID := e.receiver(t, "Readers")
	data := ses.NewCreateReceiverDetailWithDataRequest()
	data.ReceiverId = common.Uint64Ptr(groupID)
	data.Datas = []*ses.ReceiverInputData{
		{Email: common.StringPtr("ann@dest.example.net"), TemplateData: common.StringPtr(`{"name":"Ann","city":"Lisbon"}`)},
		{Email: common.StringPtr("bob@dest.example.net"), TemplateData: common.StringPtr(`{"name":"Bob"}`)},
	}
	_, err := c.CreateReceiverDetailWithData(data)
	must(t, err)

	now := batch(tplID, groupID, 1)
	now.FromEmailAddress = common.StringPtr("The Editors <news@example.com>")
	now.Template.TemplateData = common.StringPtr(`{"city":"somewhere"}`) // a default for recipients without one
	now.ReplyToAddresses = common.StringPtr("editors@example.com")
	now.Attachments = []*ses.Attachment{{FileName: common.StringPtr("issue.txt"), Content: common.StringPtr(base64.StdEncoding.EncodeToString([]byte("Issue 7")))}}
	now.ADLocation = common.Uint64Ptr(1)
	now.Unsubscribe = common.StringPtr("2")
	resp, err := c.BatchSendEmail(now)
	must(t, err)
	batchID := *resp.Response.TaskId
	task, err := e.Store.Tasks.GetTask(ctx, batchID)
	must(t, err)
	if task.Kind != tasks.TaskBatch || *task.GroupID != groupID || *task.TemplateID != tplID || task.FromName != "The Editors" ||
		task.ReplyTo != "<editors@example.com>" || task.AdLocation != 1 || task.CreatedBy == nil || *task.CreatedBy != e.Marketer.ID {
		t.Fatalf("task: %+v", task)
	}

	// It runs as any console task: the scheduler fires it and the engine
	// delivers it.
	runner := scheduler.NewTaskRunner(e.Store.Tasks, models.SystemClock{}, slog.New(slog.DiscardHandler), "test", time.Hour)
	must(t, runner.Tick(ctx))
	e.deliver()
	must(t, runner.Tick(ctx))
	raw := e.sandboxRaw(t, "bob@dest.example.net")
	m, err := mail.ReadMessage(strings.NewReader(raw))
	must(t, err)
	if from := m.Header.Get("From"); from != `"The Editors" <news@example.com>` || m.Header.Get("Reply-To") != "<editors@example.com>" ||
		m.Header.Get("Subject") != "(AD) Weekly news" {
		t.Errorf("headers: From %q Reply-To %q Subject %q", from, m.Header.Get("Reply-To"), m.Header.Get("Subject"))
	}
	if body := decodeMIME(t, raw); !containsAll(body, "Hi Bob, news for somewhere.", "issue.txt", "Issue 7", "Unsubscribe") {
		t.Errorf("body:\n%s", body)
	}
	if body := decodeMIME(t, e.sandboxRaw(t, "ann@dest.example.net")); !strings.Contains(body, "Hi Ann, news for Lisbon.") {
		t.Errorf("Ann's body:\n%s", body)
	}

	timed := batch(tplID, groupID, 2)
	begin := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	timed.TimedParam = &ses.TimedEmailParam{BeginTime: common.StringPtr(begin.Format(time.DateTime))}
	timedResp, err := c.BatchSendEmail(timed)
	must(t, err)
	task, err = e.Store.Tasks.GetTask(ctx, *timedResp.Response.TaskId)
	must(t, err)
	if task.Kind != tasks.TaskScheduled || !task.StartAt.Equal(begin) {
		t.Errorf("timed task: %+v", task)
	}

	cycle := batch(tplID, groupID, 3)
	cycle.CycleParam = &ses.CycleEmailParam{BeginTime: common.StringPtr(begin.Format(time.RFC3339)), IntervalTime: common.Uint64Ptr(36)}
	cycleResp, err := c.BatchSendEmail(cycle)
	must(t, err)
	task, err = e.Store.Tasks.GetTask(ctx, *cycleResp.Response.TaskId)
	must(t, err)
	if task.Kind != tasks.TaskRecurring || task.IntervalUnit != "hours" || task.IntervalCount != 36 || !task.StartAt.Equal(begin) {
		t.Errorf("cycle task: %+v", task)
	}

	list, err := c.ListSendTasks(ses.NewListSendTasksRequest())
	must(t, err)
	if *list.Response.TotalCount != 3 || len(list.Response.Data) != 3 {
		t.Fatalf("tasks: %s", list.ToJsonString())
	}
	byID := map[uint64]*ses.SendTaskData{}
	for _, d := range list.Response.Data {
		byID[*d.TaskId] = d
	}
	done := byID[batchID]
	if *done.TaskStatus != 10 || *done.TaskType != 1 || *done.RequestCount != 2 || *done.SendCount != 2 || *done.CacheCount != 0 ||
		*done.ReceiverId != groupID || *done.ReceiversName != "Readers" || *done.FromEmailAddress != "The Editors <news@example.com>" ||
		*done.Template.TemplateID != tplID || *done.Subject != "Weekly news" {
		t.Errorf("the sent batch: %s", list.ToJsonString())
	}
	if d := byID[*timedResp.Response.TaskId]; *d.TaskStatus != 1 || *d.TaskType != 2 || d.TimedParam == nil || *d.TimedParam.BeginTime != begin.Format(time.DateTime) {
		t.Errorf("the timed task: %s", list.ToJsonString())
	}
	if d := byID[*cycleResp.Response.TaskId]; *d.TaskType != 3 || d.CycleParam == nil || *d.CycleParam.IntervalTime != 36 {
		t.Errorf("the cycle task: %s", list.ToJsonString())
	}
	for _, f := range []struct {
		req  func(*ses.ListSendTasksRequest)
		want int
	}{
		{func(r *ses.ListSendTasksRequest) { r.TaskType = common.Uint64Ptr(2) }, 1},
		{func(r *ses.ListSendTasksRequest) { r.Status = common.Uint64Ptr(1) }, 2},
		{func(r *ses.ListSendTasksRequest) { r.Status = common.Uint64Ptr(10) }, 1},
		{func(r *ses.ListSendTasksRequest) { r.ReceiverId = common.Uint64Ptr(groupID + 1) }, 0},
		{func(r *ses.ListSendTasksRequest) { r.Limit, r.Offset = common.Uint64Ptr(2), common.Uint64Ptr(2) }, 1},
	} {
		req := ses.NewListSendTasksRequest()
		f.req(req)
		got, err := c.ListSendTasks(req)
		must(t, err)
		if len(got.Response.Data) != f.want {
			t.Errorf("%s: %s", req.ToJsonString(), got.ToJsonString())
		}
	}
	bad := ses.NewListSendTasksRequest()
	bad.Status = common.Uint64Ptr(3)
	_, err = c.ListSendTasks(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad.Status, bad.Limit = nil, common.Uint64Ptr(1000)
	_, err = c.ListSendTasks(bad)
	wantCode(t, err, "FailedOperation.InvalidLimit")
}

func batch(tplID, groupID, taskType uint64) *ses.BatchSendEmailRequest {
	req := ses.NewBatchSendEmailRequest()
	req.FromEmailAddress = common.StringPtr("news@example.com")
	req.ReceiverId = common.Uint64Ptr(groupID)
	req.Subject = common.StringPtr("Weekly news")
	req.TaskType = common.Uint64Ptr(taskType)
	req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID)}
	return req
}

func TestBatchSendEmailRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	e.verifiedSender("news@example.com", "Example News")
	tplID := e.template(t, "Newsletter", "<p>Hi {{name}}</p>")
	groupID := e.receiver(t, "Readers")
	emptyID := e.receiver(t, "Empty")
	add := ses.NewCreateReceiverDetailRequest()
	add.ReceiverId, add.Emails = common.Uint64Ptr(groupID), common.StringPtrs([]string{"ann@dest.example.net"})
	_, err := c.CreateReceiverDetail(add)
	must(t, err)
	past := time.Now().Add(-time.Hour).UTC().Format(time.DateTime)

	for _, tc := range []struct {
		name string
		edit func(*ses.BatchSendEmailRequest)
		code string
	}{
		{"no template", func(r *ses.BatchSendEmailRequest) { r.Template = nil }, "MissingParameter.SendParamNecessary"},
		{"no receiver", func(r *ses.BatchSendEmailRequest) { r.ReceiverId = nil }, "MissingParameter.SendParamNecessary"},
		{"simple content", func(r *ses.BatchSendEmailRequest) { r.Template, r.Simple = nil, &ses.Simple{Html: b64("<p>x</p>")} }, "FailedOperation.WithOutPermission"},
		{"no task type", func(r *ses.BatchSendEmailRequest) { r.TaskType = nil }, "MissingParameter"},
		{"task type 4", func(r *ses.BatchSendEmailRequest) { r.TaskType = common.Uint64Ptr(4) }, "InvalidParameterValue"},
		{"timed without time", func(r *ses.BatchSendEmailRequest) { r.TaskType = common.Uint64Ptr(2) }, "MissingParameter.TimedParamNecessary"},
		{"cycle without cycle", func(r *ses.BatchSendEmailRequest) { r.TaskType = common.Uint64Ptr(3) }, "MissingParameter.CycleParamNecessary"},
		{"timed in the past", func(r *ses.BatchSendEmailRequest) {
			r.TaskType, r.TimedParam = common.Uint64Ptr(2), &ses.TimedEmailParam{BeginTime: common.StringPtr(past)}
		}, "InvalidParameterValue.BeginTimeBeforeNow"},
		{"cycle time unreadable", func(r *ses.BatchSendEmailRequest) {
			r.TaskType = common.Uint64Ptr(3)
			r.CycleParam = &ses.CycleEmailParam{BeginTime: common.StringPtr("tomorrow"), IntervalTime: common.Uint64Ptr(24)}
		}, "InvalidParameterValue.WrongDate"},
		{"unknown receiver", func(r *ses.BatchSendEmailRequest) { r.ReceiverId = common.Uint64Ptr(groupID + 99) }, "OperationDenied.ReceiverNotExist"},
		{"empty receiver", func(r *ses.BatchSendEmailRequest) { r.ReceiverId = common.Uint64Ptr(emptyID) }, "OperationDenied.ReceiverStatusError"},
		{"unknown template", func(r *ses.BatchSendEmailRequest) { r.Template.TemplateID = common.Uint64Ptr(tplID + 99) }, "OperationDenied.TemplateStatusError"},
		{"unknown sender", func(r *ses.BatchSendEmailRequest) { r.FromEmailAddress = common.StringPtr("ghost@example.com") }, "OperationDenied.SendAddressStatusError"},
		{"ad location", func(r *ses.BatchSendEmailRequest) { r.ADLocation = common.Uint64Ptr(3) }, "InvalidParameterValue"},
		{"defaults not JSON", func(r *ses.BatchSendEmailRequest) { r.Template.TemplateData = common.StringPtr("x") }, "InvalidParameterValue.TemplateDataError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := batch(tplID, groupID, 1)
			tc.edit(req)
			_, err := c.BatchSendEmail(req)
			wantCode(t, err, tc.code)
		})
	}
	tasks, total, err := e.Store.Tasks.ListTasks(ctx, 0, 10)
	must(t, err)
	if total != 0 {
		t.Errorf("refused batches made tasks: %+v", tasks)
	}
}
