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
	rows := make([]*preparedEnqueue, len(reqs))
	g := &s.enqueues
	g.mu.Lock()
	for i, req := range reqs {
		if rows[i], errs[i] = s.prepareEnqueue(req, s.Now()); errs[i] == nil {
			g.waiting = append(g.waiting, rows[i])
		}
	}
	g.busy = true
	g.mu.Unlock()
	g.commit(ctx, s)
	for i, r := range rows {
		if r != nil {
			<-r.done
			msgs[i], errs[i] = r.msgs, r.err
		}
	}
	return msgs, errs
}
