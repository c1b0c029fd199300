package tracking

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
)

// TaskReport is what one task achieved over all its runs: the rollup's
// funnel and timeline, the links people clicked, and why messages bounced.
type TaskReport struct {
	Task     tasks.Task
	Totals   queue.StatsRow
	Hourly   bool           // the timeline's periods are hours, else calendar days
	Timeline []queue.Volume // from the task's first counted hour to its last
	Links    []LinkCount
	Bounces  []BounceReason // most frequent first
}

// BounceReason is a receiver's reason for refusing messages, with how many
// it refused for it.
type BounceReason struct {
	Reason string
	Count  int64
}

const (
	// taskHourlySpan: a task whose counts span at most this long is charted
	// per hour, a longer one per day.
	taskHourlySpan  = 72 * time.Hour
	taskReportLinks = 100
)

// TaskReport reads a task's report, its days in loc. The funnel and
// timeline come from the rollup, the bounces from the bounced messages of
// the task's runs.
func (s *Tracking) TaskReport(ctx context.Context, taskID uint64, loc *time.Location) (*TaskReport, error) {
	t, err := s.tasks.GetTask(ctx, taskID)
	if err != nil {
		return nil, err
	}
	rep := &TaskReport{Task: *t}
	db := s.Gorm.WithContext(ctx)
	// The first and last hours, read as rows (not MIN and MAX, which SQLite
	// returns as untyped text) through the (task_id, hour) index.
	var first, last []queue.StatsRow
	if err := db.Select("hour").Where("task_id = ?", taskID).Order("hour").Limit(1).Find(&first).Error; err != nil {
		return nil, err
	}
	if err := db.Select("hour").Where("task_id = ?", taskID).Order("hour DESC").Limit(1).Find(&last).Error; err != nil {
		return nil, err
	}
	if len(first) > 0 {
		from, to := first[0].Hour, last[0].Hour
		var bounds []time.Time
		if rep.Hourly = to.Sub(from) < taskHourlySpan; rep.Hourly {
			for h := from; !h.After(to.Add(time.Hour)); h = h.Add(time.Hour) {
				bounds = append(bounds, h.In(loc))
			}
		} else {
			bounds = queue.CalendarDays(from, to, loc)
		}
		hours, err := s.queue.SumStats(ctx, bounds[0], bounds[len(bounds)-1], queue.StatsFilter{TaskID: taskID}, "hour")
		if err != nil {
			return nil, err
		}
		rep.Timeline = queue.Periods(hours, bounds)
		rep.Totals = queue.Totals(rep.Timeline)
	}
	if err := db.Model(&linkClicks{}).Select("url, SUM(clicks) AS clicks").Where("task_id = ?", taskID).
		Group("url").Order("clicks DESC, url").Limit(taskReportLinks).Scan(&rep.Links).Error; err != nil {
		return nil, err
	}
	rep.Bounces, err = s.taskBounces(ctx, taskID)
	return rep, err
}

// taskBounces groups the bounced messages of a task's runs by reason,
// through the (run_id, status) index.
func (s *Tracking) taskBounces(ctx context.Context, taskID uint64) ([]BounceReason, error) {
	db := s.Gorm.WithContext(ctx)
	var replies []struct {
		LastReply string
		N         int64
	}
	runs := db.Model(&tasks.TaskRun{}).Select("id").Where("task_id = ?", taskID)
	if err := db.Model(&queue.Message{}).Select("last_reply, COUNT(*) AS n").Where("run_id IN (?) AND status = ?", runs, models.StatusBounced).
		Group("last_reply").Scan(&replies).Error; err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, r := range replies {
		counts[BounceReasonOf(r.LastReply)] += r.N
	}
	out := make([]BounceReason, 0, len(counts))
	for reason, n := range counts {
		out = append(out, BounceReason{Reason: reason, Count: n})
	}
	slices.SortFunc(out, func(a, b BounceReason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Reason, b.Reason))
	})
	return out, nil
}

// addressInReply is an email address as receivers quote it in replies.
var addressInReply = regexp.MustCompile(`<?[^\s<>()\[\]{};:,"']+@[^\s<>()\[\]{};:,"']+>?`)

// BounceReasonOf is a bounce reply with what differs from one recipient to
// the next taken out (the address becomes "<address>"), so replies that
// say the same group together.
func BounceReasonOf(reply string) string {
	reason := strings.Join(strings.Fields(addressInReply.ReplaceAllString(reply, "<address>")), " ")
	if reason == "" {
		return "(no reply recorded)"
	}
	return reason
}
