package queue

import "context"

// WarmupCounts reads what one domain's or IP's warm-up day counted.
func (s *Queue) WarmupCounts(ctx context.Context, subject string, id uint64, day string) (sent, hardBounced, complained int, err error) {
	var u WarmupUsage
	err = s.Gorm.WithContext(ctx).Where("subject = ? AND subject_id = ? AND day = ?", subject, id, day).Take(&u).Error
	return u.Sent, u.HardBounced, u.Complained, err
}

// EnqueueTogether commits reqs as one group, as Enqueue calls that arrive
// during another commit are, and returns each one's messages and error.
func (s *Queue) EnqueueTogether(ctx context.Context, reqs []EnqueueRequest) ([][]Message, []error) {
	msgs, errs := make([][]Message, len(reqs)), make([]error, len(reqs))
	var rows []*preparedEnqueue
	var at []int
	for i, req := range reqs {
		p, err := s.prepareEnqueue(req, s.Now())
		if errs[i] = err; err == nil {
			rows, at = append(rows, p), append(at, i)
		}
	}
	for j, err := range s.enqueues.DoTogether(ctx, rows) {
		if errs[at[j]] = err; err == nil {
			msgs[at[j]] = rows[j].msgs
		}
	}
	return msgs, errs
}
