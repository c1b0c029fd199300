package models

import "context"

// Drain runs every job queued on this node and returns when none is left,
// so tests can import without a background loop.
func (im *Importer) Drain(ctx context.Context) error {
	node, err := im.store.nodeID()
	if err != nil {
		return err
	}
	for {
		job, err := im.store.claimImportJob(ctx, node)
		if err != nil || job == nil {
			return err
		}
		im.run(ctx, job)
	}
}

// WarmupCounts reads what one domain's or IP's warm-up day counted.
func (s *Store) WarmupCounts(ctx context.Context, subject string, id uint64, day string) (sent, hardBounced, complained int, err error) {
	var u warmupUsage
	err = s.db.WithContext(ctx).Where("subject = ? AND subject_id = ? AND day = ?", subject, id, day).Take(&u).Error
	return u.Sent, u.HardBounced, u.Complained, err
}

// ClaimWithoutRunning takes the next job as a process that then dies would.
func (im *Importer) ClaimWithoutRunning(ctx context.Context) (*ImportJob, error) {
	node, err := im.store.nodeID()
	if err != nil {
		return nil, err
	}
	return im.store.claimImportJob(ctx, node)
}
