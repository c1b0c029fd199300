package tasks

import "time"

// Plan is when a task runs, as the task form shows it before the task is
// created: its schedule in words and its first runs.
type Plan struct {
	Reading string      // "every Monday at 09:00, Asia/Jakarta"
	Runs    []time.Time // the first runs, at most PlanRuns (one for a batch or a scheduled task)
}

// PlanRuns is how many first runs a plan lists.
const PlanRuns = 3

// First is the plan's first run.
func (p Plan) First() time.Time {
	if len(p.Runs) == 0 {
		return time.Time{}
	}
	return p.Runs[0]
}
