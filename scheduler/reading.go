package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sesame-email/sesame/models/tasks"
)

// planOf is a valid task's plan: first is its first run, s its schedule.
func planOf(t *tasks.Task, s cron.Schedule, first time.Time) tasks.Plan {
	p := tasks.Plan{Reading: readSchedule(t), Runs: []time.Time{first}}
	if t.Kind != tasks.TaskRecurring {
		return p
	}
	for len(p.Runs) < tasks.PlanRuns {
		next := nextAfter(t, s, p.Runs[len(p.Runs)-1], len(p.Runs)-1)
		if next == nil {
			break
		}
		p.Runs = append(p.Runs, *next)
	}
	return p
}

// readSchedule says in words when a task runs, in its time zone.
func readSchedule(t *tasks.Task) string {
	loc := t.Location()
	zone := ", " + loc.String()
	switch {
	case t.Kind == tasks.TaskBatch:
		return "once, at once"
	case t.Kind == tasks.TaskScheduled:
		return "once, " + t.StartAt.In(loc).Format("Mon 2 Jan 2006 at 15:04") + zone
	case t.CronExpr != "":
		return readCron(t.CronExpr) + zone
	}
	at := t.StartAt.In(loc)
	every := fmt.Sprintf("every %d %s", t.IntervalCount, t.IntervalUnit)
	if t.IntervalCount == 1 {
		every = "every " + strings.TrimSuffix(t.IntervalUnit, "s")
	}
	if t.IntervalUnit == "days" {
		return every + " at " + at.Format("15:04") + " from " + at.Format("Mon 2 Jan 2006") + zone
	}
	return every + " from " + at.Format("Mon 2 Jan 2006 at 15:04") + zone
}

// readCron reads the cron expressions people write most (a time of day
// on every day, some weekdays or one day of the month, and the
// descriptors) in words; any other is quoted as it is.
func readCron(expr string) string {
	switch strings.TrimSpace(expr) {
	case "@daily", "@midnight":
		return "every day at 00:00"
	case "@weekly":
		return "every Sunday at 00:00"
	case "@monthly":
		return "on day 1 of every month at 00:00"
	case "@yearly", "@annually":
		return "every 1 January at 00:00"
	case "@hourly":
		return "every hour"
	}
	quoted := "when “" + expr + "” matches"
	f := strings.Fields(expr)
	if len(f) != 5 || f[3] != "*" {
		return quoted
	}
	minute, err1 := strconv.Atoi(f[0])
	hours, err2 := numbers(f[1], 0, 23)
	if err1 != nil || minute < 0 || minute > 59 || err2 != nil {
		return quoted
	}
	var at []string
	for _, h := range hours {
		at = append(at, fmt.Sprintf("%02d:%02d", h, minute))
	}
	when := " at " + list(at)
	switch {
	case f[2] == "*" && (f[4] == "*" || f[4] == "0-6" || f[4] == "0-7"):
		return "every day" + when
	case f[2] == "*" && f[4] == "1-5":
		return "every weekday (Monday to Friday)" + when
	case f[2] == "*":
		days, err := numbers(f[4], 0, 7)
		if err != nil {
			return quoted
		}
		var names []string
		for _, d := range days {
			names = append(names, time.Weekday(d%7).String())
		}
		return "every " + list(names) + when
	case f[4] == "*":
		days, err := numbers(f[2], 1, 31)
		if err != nil {
			return quoted
		}
		var names []string
		for _, d := range days {
			names = append(names, strconv.Itoa(d))
		}
		day := "day "
		if len(days) > 1 {
			day = "days "
		}
		return "on " + day + list(names) + " of every month" + when
	}
	return quoted
}

// numbers reads a comma-separated list of numbers from lo to hi.
func numbers(field string, lo, hi int) ([]int, error) {
	var out []int
	for _, s := range strings.Split(field, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("not a number from %d to %d: %q", lo, hi, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// list joins words as a sentence does: "a", "a and b", "a, b and c".
func list(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
