package scheduler

import (
	"errors"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sesame-email/sesame/models/tasks"
)

// everySchedule repeats every n hours, or every n days at the same wall
// clock time in loc, across daylight-saving changes.
type everySchedule struct {
	start time.Time
	unit  string
	n     int
	loc   *time.Location
}

// Next is the first occurrence strictly after t.
func (e everySchedule) Next(t time.Time) time.Time {
	if t.Before(e.start) {
		return e.start
	}
	if e.unit == "hours" {
		step := time.Duration(e.n) * time.Hour
		k := t.Sub(e.start)/step + 1
		return e.start.Add(k * step)
	}
	s := e.start.In(e.loc)
	k := int(t.Sub(s).Hours()/24) / e.n // a lower estimate: DST days are 23 or 25 hours
	for k > 0 && s.AddDate(0, 0, k*e.n).After(t) {
		k--
	}
	for !s.AddDate(0, 0, k*e.n).After(t) {
		k++
	}
	return s.AddDate(0, 0, k*e.n).UTC()
}

// once fires a single time.
type once struct{ at time.Time }

func (o once) Next(t time.Time) time.Time {
	if t.Before(o.at) {
		return o.at
	}
	return time.Time{}
}

// cronParser reads the five-field expressions power users write, and
// descriptors such as @daily.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ErrBadCron is a cron expression that does not parse.
var ErrBadCron = errors.New("not a valid cron expression")

// scheduleOf is a task's schedule, in its time zone.
func scheduleOf(t *tasks.Task) (cron.Schedule, error) {
	loc := t.Location()
	switch {
	case t.Kind != tasks.TaskRecurring:
		return once{at: t.StartAt}, nil
	case t.CronExpr != "":
		s, err := cronParser.Parse(t.CronExpr)
		if err != nil {
			return nil, ErrBadCron
		}
		if spec, ok := s.(*cron.SpecSchedule); ok {
			spec.Location = loc
		}
		return s, nil
	default:
		return everySchedule{start: t.StartAt, unit: t.IntervalUnit, n: t.IntervalCount, loc: loc}, nil
	}
}

// firstRun is a task's first occurrence: its start, or for a cron
// schedule the first matching time from its start on.
func firstRun(t *tasks.Task, s cron.Schedule) time.Time {
	if t.Kind == tasks.TaskRecurring && t.CronExpr != "" {
		return s.Next(t.StartAt.Add(-time.Second)).UTC()
	}
	return t.StartAt
}

// nextAfter is the occurrence after at, or nil when the task ends first:
// past its end date, or when the run at at is its last allowed one
// (runsBefore runs came earlier).
func nextAfter(t *tasks.Task, s cron.Schedule, at time.Time, runsBefore int) *time.Time {
	if t.MaxRuns > 0 && runsBefore+1 >= t.MaxRuns {
		return nil
	}
	n := s.Next(at)
	if n.IsZero() || t.EndAt != nil && n.After(*t.EndAt) {
		return nil
	}
	n = n.UTC()
	return &n
}
