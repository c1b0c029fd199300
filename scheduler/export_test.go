package scheduler

import "context"

// FireAndQueue is the part of Tick that BenchmarkMaterialise1M measures:
// firing due runs and queueing their messages.
func (r *TaskRunner) FireAndQueue(ctx context.Context) error {
	if err := r.fireDue(ctx); err != nil {
		return err
	}
	return r.materialise(ctx)
}
