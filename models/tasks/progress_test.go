package tasks_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/tasks"
)

var ctx = context.Background()

// allStatuses are the statuses a message can have, as the CHECK
// constraint on messages.status lists them.
var allStatuses = []models.MessageStatus{models.StatusQueued, models.StatusSending, models.StatusDelivered, models.StatusDeferred,
	models.StatusQuotaWait, models.StatusBounced, models.StatusFailed, models.StatusSuppressed, models.StatusCancelled}

// counted lists a progress's counts in the order the task page shows them.
func counted(p tasks.Progress) []int64 {
	return []int64{p.Queued, p.WaitingForQuota, p.Delivered, p.Deferred, p.Bounced, p.Suppressed, p.Failed, p.Cancelled}
}

// describe writes a progress's counts and its forecast's days.
func describe(p tasks.Progress) string {
	return fmt.Sprintf("requested %d, counts %v, forecast %s", p.Requested, counted(p), days(p.Warmup))
}

// days writes a forecast as "03-02:1000 03-03:2000 …", "+N" for what is
// left beyond its horizon.
func days(f queue.Forecast) string {
	var parts []string
	for _, d := range f.Days {
		parts = append(parts, d.Date.Format("01-02")+":"+strconv.Itoa(d.Count))
	}
	if f.Later > 0 {
		parts = append(parts, "+"+strconv.Itoa(f.Later))
	}
	return strings.Join(parts, " ")
}

func TestProgressAddsUpToRequested(t *testing.T) {
	today := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	usedUp := queue.QuotaOutlook{Day: 1, Plan: queue.StandardWarmupPlan}
	someLeft := queue.QuotaOutlook{Day: 1, LeftToday: 40, Plan: queue.StandardWarmupPlan}
	// Every mix of statuses, each with its forecasts: none, one that lets
	// everything go today, one that lets some go, one that lets none go, and
	// one read after more messages were claimed than the counts show.
	for mix := range 1 << len(allStatuses) {
		c := tasks.RunCounts{}
		for i, st := range allStatuses {
			if mix&(1<<i) != 0 {
				c[st] = int64(17*i + mix%23 + 1)
			}
		}
		unsent := int(c[models.StatusQueued] + c[models.StatusQuotaWait])
		for _, f := range []queue.Forecast{
			{},
			queue.ForecastSending(unsent, today),
			queue.ForecastSending(unsent, today, someLeft),
			queue.ForecastSending(unsent, today, usedUp),
			queue.ForecastSending(unsent+1_000, today, usedUp),
		} {
			p := tasks.NewProgress(c, f)
			var sum int64
			for _, n := range counted(p) {
				if n < 0 {
					t.Errorf("mix %v: a negative count: %s", c, describe(p))
				}
				sum += n
			}
			if sum != p.Requested || p.Requested != c.Total() {
				t.Errorf("mix %v: %d counted of %d requested (%d messages): %s", c, sum, p.Requested, c.Total(), describe(p))
			}
			if p.Done()+p.Cancelled+p.Queued+p.WaitingForQuota+p.Deferred != p.Requested {
				t.Errorf("mix %v: the bar's done %d does not leave the rest: %s", c, p.Done(), describe(p))
			}
			if p.WaitingForQuota > int64(unsent) || p.Queued < c[models.StatusSending] {
				t.Errorf("mix %v: %s", c, describe(p))
			}
		}
	}

	// The cases: a big task whose queued mail today's quota cannot
	// send waits for quota, however far the claims have got; a cancelled
	// task's bar is not full.
	held := tasks.RunCounts{models.StatusDelivered: 494, models.StatusSending: 6, models.StatusQuotaWait: 2_306, models.StatusQueued: 597_194}
	p := tasks.NewProgress(held, queue.ForecastSending(599_500, today, usedUp))
	if p.Requested != 600_000 || p.Queued != 6 || p.WaitingForQuota != 599_500 || p.Done() != 494 {
		t.Errorf("held by warm-up: %s", describe(p))
	}
	cancelled := tasks.NewProgress(tasks.RunCounts{models.StatusDelivered: 494, models.StatusCancelled: 599_506}, queue.Forecast{})
	if cancelled.Done() != 494 || cancelled.Cancelled != 599_506 || cancelled.Requested != 600_000 {
		t.Errorf("cancelled: done %d: %s", cancelled.Done(), describe(cancelled))
	}
}

// newSender is a store on a manual clock (Sunday 1 March 2026, 09:00 UTC)
// with a verified domain and a sender address of it.
func newSender(t *testing.T) (*store.Store, *identity.SenderAddress) {
	t.Helper()
	st, _ := fixtures.Store(t)
	fixtures.Domain(t, st, "example.test")
	sender, err := st.Senders.CreateSender(ctx, "news@example.test", "News")
	if err != nil {
		t.Fatal(err)
	}
	return st, sender
}

// warmupOf finds a domain's or IP's line of the IPs & warm-up page.
func warmupOf(t *testing.T, st *store.Store, kind queue.WarmupSubjectKind, id uint64) queue.WarmupStatus {
	t.Helper()
	all, err := st.Queue.WarmupOverview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == kind && s.ID == id {
			return s
		}
	}
	t.Fatalf("no %s %d on IPs & warm-up", kind, id)
	return queue.WarmupStatus{}
}

// listed finds a task in the tasks list and in the API's list.
func listed(t *testing.T, st *store.Store, id uint64) (console, api tasks.TaskProgress) {
	t.Helper()
	all, _, err := st.Tasks.ListTaskProgressWhere(ctx, tasks.TaskFilter{}, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	selected, _, err := st.Tasks.ListTaskProgressWhere(ctx, tasks.TaskFilter{Kind: tasks.TaskBatch}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	find := func(list []tasks.TaskProgress) tasks.TaskProgress {
		for _, p := range list {
			if p.Task.ID == id {
				return p
			}
		}
		t.Fatalf("task %d is not listed", id)
		return tasks.TaskProgress{}
	}
	return find(all), find(selected)
}

// A 600,000-recipient task on day 1 of the standard plan: pre-flight (seen
// before the task was queued), the task page, the tasks list, the API and
// IPs & warm-up tell the same counts and the same days.
func TestTaskHeldByWarmupAgreesEverywhere(t *testing.T) {
	st, sender := newSender(t)
	n, lastDay := fixtures.HeldCase(st)
	held := fixtures.HoldByWarmup(t, st, sender, n)

	// Pre-flight: 500 today, the rest over the plan's days; for 600,000 the
	// last of them on day 12 (500 + 1,000 + … + 150,000 = 468,500 by day 11).
	pf := held.Preflight
	if pf.WillSend() != int64(n) || pf.Warmup == nil || pf.WarmupAhead != 0 {
		t.Fatalf("pre-flight: will send %d, ahead %d, forecast %v", pf.WillSend(), pf.WarmupAhead, pf.Warmup)
	}
	last := time.Date(2026, 3, lastDay, 0, 0, 0, 0, time.UTC)
	if pf.Warmup.Unsent != n || pf.Warmup.Today() != 500 || !pf.Warmup.Last().Equal(last) {
		t.Errorf("pre-flight forecast: %s", days(*pf.Warmup))
	}

	// IPs & warm-up: today's 500 went, the rest of the task is unsent and
	// all of it waits for quota, for the days pre-flight named.
	unsent := n - fixtures.HeldDelivered - fixtures.HeldBounced - fixtures.HeldDeferred
	domain := warmupOf(t, st, queue.WarmupDomain, sender.DomainID)
	if domain.Used != 500 || domain.Forecast.Unsent != unsent || domain.Forecast.WaitingForQuota() != unsent {
		t.Errorf("IPs & warm-up: used %d, %s", domain.Used, days(domain.Forecast))
	}
	if got, want := days(domain.Forecast), days(pf.Warmup.Split(500, unsent)[1]); got != want || !domain.Forecast.Last().Equal(last) {
		t.Errorf("IPs & warm-up forecasts %s\npre-flight forecast %s after today", got, want)
	}
	ips, err := st.IPs.ListSendingIPs(ctx)
	if err != nil || len(ips) != 1 || !ips[0].IsDefaultRoute() {
		t.Fatalf("sending IPs %v: %v", ips, err)
	}
	if ip := warmupOf(t, st, queue.WarmupIP, ips[0].ID); days(ip.Forecast) != days(domain.Forecast) {
		t.Errorf("the default route forecasts %s, its domain %s", days(ip.Forecast), days(domain.Forecast))
	}

	// The task page: its tiles, its runs table and its forecast.
	d, err := st.Tasks.GetTaskDetail(ctx, held.Task.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	p := d.Progress
	want := fmt.Sprintf("requested %d, counts [0 %d %d %d %d %d 0 0], forecast %s", n, unsent, fixtures.HeldDelivered, fixtures.HeldDeferred,
		fixtures.HeldBounced, 0, days(domain.Forecast))
	if got := describe(p); got != want {
		t.Errorf("task page:\n got %s\nwant %s", got, want)
	}
	if p.WaitingForQuota != int64(domain.Forecast.WaitingForQuota()) || !p.Warmup.Last().Equal(pf.Warmup.Last()) {
		t.Errorf("task page: %d waiting for quota until %v; IPs & warm-up %d, pre-flight until %v",
			p.WaitingForQuota, p.Warmup.Last(), domain.Forecast.WaitingForQuota(), pf.Warmup.Last())
	}
	if len(d.Runs) != 1 || describe(d.Runs[0].Progress) != describe(p) {
		t.Errorf("runs table: %d runs, %s", len(d.Runs), describe(d.Runs[0].Progress))
	}
	if console, api := listed(t, st, held.Task.ID); describe(console.Progress) != describe(p) || describe(api.Progress) != describe(p) {
		t.Errorf("tasks list %s\nAPI %s\ntask page %s", describe(console.Progress), describe(api.Progress), describe(p))
	}

	// The same task again would queue behind this one: its first day is
	// this one's last.
	again, err := st.Tasks.PreflightTask(ctx, tasks.TaskInput{Name: "Again", SenderID: sender.ID, TemplateID: *held.Task.TemplateID,
		GroupID: *held.Task.GroupID, Kind: tasks.TaskBatch, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	if again.WarmupAhead != unsent || again.Warmup == nil || !again.Warmup.Days[0].Date.Equal(last) || again.Warmup.Unsent != int(again.WillSend()) {
		t.Errorf("a second pre-flight: %d ahead, %d to send: %s", again.WarmupAhead, again.WillSend(), days(*again.Warmup))
	}
}

// Runs of one domain share its forecast in the order claims take their
// messages, oldest first, and what they wait for adds up to the domain's.
func TestRunsShareTheirDomainsForecastOldestFirst(t *testing.T) {
	st, sender := newSender(t)
	if _, err := st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "tiny", Quotas: "5, 10, 20, 40"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Queue.SetWarmup(ctx, queue.WarmupDomain, sender.DomainID, queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}
	// 3 bulk messages sent through the API, then two tasks of 30.
	req := queue.EnqueueRequest{Sender: sender, Content: queue.MessageContent{Subject: "Hi", Text: "Hello"}}
	for i := range 3 {
		req.To = append(req.To, queue.Addressee{Email: "api" + strconv.Itoa(i) + "@dest.test"})
	}
	if _, err := st.Queue.Enqueue(ctx, req); err != nil {
		t.Fatal(err)
	}
	recipients := func(prefix string) []string {
		out := make([]string, 30)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i) + "@dest.test"
		}
		return out
	}
	first := fixtures.QueueCampaign(t, st, sender, "First", recipients("a"))
	second := fixtures.QueueCampaign(t, st, sender, "Second", recipients("b"))

	// 63 unsent: 5 today, 10, 20, then 28 of 40.
	domain := warmupOf(t, st, queue.WarmupDomain, sender.DomainID)
	if got := days(domain.Forecast); got != "03-01:5 03-02:10 03-03:20 03-04:28" {
		t.Fatalf("domain forecast %s", got)
	}
	for _, c := range []struct {
		task *tasks.Task
		want string
	}{
		{first, "requested 30, counts [2 28 0 0 0 0 0 0], forecast 03-01:2 03-02:10 03-03:18"},
		{second, "requested 30, counts [0 30 0 0 0 0 0 0], forecast 03-03:2 03-04:28"},
	} {
		d, err := st.Tasks.GetTaskDetail(ctx, c.task.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(d.Progress); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.task.Name, got, c.want)
		}
		if console, api := listed(t, st, c.task.ID); describe(console.Progress) != c.want || describe(api.Progress) != c.want {
			t.Errorf("%s listed as %s and %s", c.task.Name, describe(console.Progress), describe(api.Progress))
		}
	}
	// The API's 3 go today, and wait for nothing: 28 + 30 wait in all.
	if domain.Forecast.WaitingForQuota() != 28+30 {
		t.Errorf("the domain has %d waiting for quota", domain.Forecast.WaitingForQuota())
	}
}

// countQueries counts the statements st reads with from now on.
func countQueries(t *testing.T, st *store.Store) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := st.DB.Gorm.Callback()
	if err := cb.Query().After("gorm:query").Register("test:count_queries", count); err != nil {
		t.Fatal(err)
	}
	if err := cb.Row().After("gorm:row").Register("test:count_queries", count); err != nil {
		t.Fatal(err)
	}
	return &n
}

// The tasks list and a task's page read a page of tasks, or of runs, with
// as many statements however many there are.
func TestTaskProgressTakesAConstantNumberOfQueries(t *testing.T) {
	st, sender := newSender(t)
	queries := countQueries(t, st)
	statements := func(read func() error) int64 {
		t.Helper()
		before := queries.Load()
		if err := read(); err != nil {
			t.Fatal(err)
		}
		return queries.Load() - before
	}
	list := func() error { _, _, err := st.Tasks.ListTaskProgressWhere(ctx, tasks.TaskFilter{}, 0, 200); return err }
	where := func() error { _, _, err := st.Tasks.ListTaskProgressWhere(ctx, tasks.TaskFilter{}, 0, 0); return err }

	task := fixtures.QueueCampaign(t, st, sender, "Task 0", []string{"a0@dest.test", "b0@dest.test"})
	page := func() error { _, err := st.Tasks.GetTaskDetail(ctx, task.ID, 50); return err }
	few := []int64{statements(list), statements(where), statements(page)}
	for i := 1; i < 6; i++ {
		fixtures.QueueCampaign(t, st, sender, "Task "+strconv.Itoa(i), []string{"a" + strconv.Itoa(i) + "@dest.test"})
		// More runs of the first task, one of them skipped.
		at := task.StartAt.Add(time.Duration(i) * time.Hour)
		if i == 3 {
			if err := st.Tasks.SkipRun(ctx, task, at, "missed", nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		run, _, err := st.Tasks.FireRun(ctx, task, at, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Tasks.MaterialiseRun(ctx, run.ID, 100); err != nil {
			t.Fatal(err)
		}
	}
	many := []int64{statements(list), statements(where), statements(page)}
	if fmt.Sprint(few) != fmt.Sprint(many) {
		t.Errorf("statements of the list, the API's list and a task page: %v with 1 task of 1 run, %v with 6 tasks and 6 runs", few, many)
	}
	// The latest run is the newest one not skipped, with its own counts.
	d, err := st.Tasks.GetTaskDetail(ctx, task.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 6 || d.Latest == nil || d.Latest.ID != d.Runs[0].Run.ID || d.Runs[0].Run.ScheduledFor.Sub(task.StartAt) != 5*time.Hour ||
		d.Progress.Requested != 2 || describe(d.Progress) != describe(d.Runs[0].Progress) {
		t.Errorf("latest run %+v of %d: %s", d.Latest, len(d.Runs), describe(d.Progress))
	}
}
