package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/scheduler"
)

// The task form's plan: the schedule in words, in the task's zone, and
// its next three runs; a cron schedule needs no start.
func TestPlanReadsTheScheduleAndListsTheNextRuns(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // a Monday
	f := newTaskFixture(t, now, 3)
	start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		mod     func(*tasks.TaskInput)
		reading string
		runs    string
	}{
		{"batch", func(in *tasks.TaskInput) { in.Kind = tasks.TaskBatch }, "once, at once", "2026-03-02 08:00"},
		{"scheduled", func(in *tasks.TaskInput) { in.Kind, in.StartAt = tasks.TaskScheduled, start },
			"once, Tue 3 Mar 2026 at 09:00, UTC", "2026-03-03 09:00"},
		{"cron without a start", func(in *tasks.TaskInput) {
			in.Kind, in.CronExpr, in.TimeZone = tasks.TaskRecurring, "0 9 * * 1", "Asia/Jakarta"
		}, "every Monday at 09:00, Asia/Jakarta", "2026-03-09 02:00 2026-03-16 02:00 2026-03-23 02:00"},
		{"weekdays, two hours", func(in *tasks.TaskInput) {
			in.Kind, in.CronExpr, in.StartAt = tasks.TaskRecurring, "30 9,17 * * 1-5", start
		}, "every weekday (Monday to Friday) at 09:30 and 17:30, UTC", "2026-03-03 09:30 2026-03-03 17:30 2026-03-04 09:30"},
		{"monthly", func(in *tasks.TaskInput) { in.Kind, in.CronExpr = tasks.TaskRecurring, "0 6 1,15 * *" },
			"on days 1 and 15 of every month at 06:00, UTC", "2026-03-15 06:00 2026-04-01 06:00 2026-04-15 06:00"},
		{"other cron", func(in *tasks.TaskInput) { in.Kind, in.CronExpr = tasks.TaskRecurring, "0 9 * 1 *" },
			"when “0 9 * 1 *” matches, UTC", "2027-01-01 09:00 2027-01-02 09:00 2027-01-03 09:00"},
		{"every 2 days", func(in *tasks.TaskInput) {
			in.Kind, in.StartAt, in.IntervalUnit, in.IntervalCount = tasks.TaskRecurring, start, "days", 2
		}, "every 2 days at 09:00 from Tue 3 Mar 2026, UTC", "2026-03-03 09:00 2026-03-05 09:00 2026-03-07 09:00"},
		{"twice, then no more", func(in *tasks.TaskInput) {
			in.Kind, in.StartAt, in.IntervalUnit, in.IntervalCount, in.MaxRuns = tasks.TaskRecurring, start, "hours", 6, 2
		}, "every 6 hours from Tue 3 Mar 2026 at 09:00, UTC", "2026-03-03 09:00 2026-03-03 15:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := f.base
			c.mod(&in)
			plan, err := scheduler.Tasks{Store: f.st.Tasks}.Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			var runs []string
			for _, r := range plan.Runs {
				runs = append(runs, r.UTC().Format("2006-01-02 15:04"))
			}
			if plan.Reading != c.reading || strings.Join(runs, " ") != c.runs {
				t.Errorf("got %q, runs %s\nwant %q, runs %s", plan.Reading, strings.Join(runs, " "), c.reading, c.runs)
			}
		})
	}
}
