package audience

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

// ClaimWithoutRunning takes the next job as a process that then dies would.
func (im *Importer) ClaimWithoutRunning(ctx context.Context) (*ImportJob, error) {
	node, err := im.store.nodeID()
	if err != nil {
		return nil, err
	}
	return im.store.claimImportJob(ctx, node)
}
