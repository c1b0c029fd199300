package tasks

import (
	"context"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
)

// Progress is where a run's messages are, each counted in exactly one of
// its counts, so that they add up to Requested. It is the one reckoning of
// a run's (and a task's) progress: the task page's tiles and runs table,
// the tasks list, the progress bar and the API all show it.
type Progress struct {
	Requested int64 // every message of the run
	// Queued are in the pipeline now: being sent, or queued within what
	// today's warm-up quota lets go.
	Queued int64
	// WaitingForQuota are bulk messages, queued or held back, beyond what
	// today's warm-up quota of their domain and its IPs lets go: they go on
	// the later days Warmup names.
	WaitingForQuota int64
	Delivered       int64
	Deferred        int64 // a receiver asked to try again later
	Bounced         int64
	Suppressed      int64 // not sent: on the suppression list
	Failed          int64
	Cancelled       int64
	// Warmup is when the run's unsent messages go out: its part of its
	// domain's warm-up forecast, the one IPs & warm-up shows. Zero when
	// none is unsent.
	Warmup queue.Forecast
}

// NewProgress reckons a run's progress from how many of its messages are
// in each status and its part of its domain's warm-up forecast.
func NewProgress(c RunCounts, warmup queue.Forecast) Progress {
	unsent := c[models.StatusQueued] + c[models.StatusQuotaWait]
	// The counts and the forecast are read by two statements, between
	// which claims may move messages on: what waits never exceeds what the
	// counts have unsent.
	waiting := min(unsent, int64(warmup.WaitingForQuota()))
	return Progress{
		Requested:       c.Total(),
		Queued:          unsent - waiting + c[models.StatusSending],
		WaitingForQuota: waiting,
		Delivered:       c[models.StatusDelivered],
		Deferred:        c[models.StatusDeferred],
		Bounced:         c[models.StatusBounced],
		Suppressed:      c[models.StatusSuppressed],
		Failed:          c[models.StatusFailed],
		Cancelled:       c[models.StatusCancelled],
		Warmup:          warmup,
	}
}

// Done counts the messages that reached an end other than cancellation:
// the progress bar's part of Requested. Cancelled ones are shown as such,
// never as done.
func (p Progress) Done() int64 { return p.Delivered + p.Bounced + p.Suppressed + p.Failed }

// Sent counts the messages that left: delivered, or bounced by the
// receiver.
func (p Progress) Sent() int64 { return p.Delivered + p.Bounced }

// RunCounts is how many of a run's messages are in each status.
type RunCounts map[models.MessageStatus]int64

// Total is every message of the run.
func (c RunCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// CountRun counts a run's messages by status.
func (s *Tasks) CountRun(ctx context.Context, runID uint64) (RunCounts, error) {
	counts, err := s.countRuns(ctx, []uint64{runID})
	return counts[runID], err
}

// countRuns counts the messages of runs by status, in one query; a run
// without messages has empty counts.
func (s *Tasks) countRuns(ctx context.Context, runIDs []uint64) (map[uint64]RunCounts, error) {
	out := make(map[uint64]RunCounts, len(runIDs))
	for _, id := range runIDs {
		out[id] = RunCounts{}
	}
	if len(runIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		RunID  uint64
		Status models.MessageStatus
		N      int64
	}
	in, list := s.IDsIn("run_id", runIDs)
	err := s.Gorm.WithContext(ctx).Model(&queue.Message{}).Select("run_id, status, COUNT(*) AS n").Where(in, list).
		Group("run_id, status").Scan(&rows).Error
	for _, r := range rows {
		out[r.RunID][r.Status] = r.N
	}
	return out, err
}

// runsProgress reckons the progress of runs: their counts in one query
// and, when any has unsent messages, their parts of the warm-up forecast.
func (s *Tasks) runsProgress(ctx context.Context, runIDs []uint64) (map[uint64]Progress, error) {
	counts, err := s.countRuns(ctx, runIDs)
	if err != nil {
		return nil, err
	}
	var forecasts map[uint64]queue.Forecast
	for _, c := range counts {
		if c[models.StatusQueued]+c[models.StatusQuotaWait] > 0 {
			o, err := s.queue.WarmupOutlook(ctx)
			if err != nil {
				return nil, err
			}
			forecasts = o.Runs
			break
		}
	}
	out := make(map[uint64]Progress, len(runIDs))
	for id, c := range counts {
		out[id] = NewProgress(c, forecasts[id])
	}
	return out, nil
}
