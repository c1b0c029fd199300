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
