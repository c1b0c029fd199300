package tasks

import "context"

// TaskFilter narrows a list of tasks.
type TaskFilter struct {
	GroupID uint64   // 0: any group
	Kind    TaskKind // "": any kind
}

// ListTaskProgressWhere is ListTaskProgress for the tasks f selects,
// newest first; limit 0 means all of them.
func (s *Tasks) ListTaskProgressWhere(ctx context.Context, f TaskFilter, offset, limit int) ([]TaskProgress, int64, error) {
	db := s.Gorm.WithContext(ctx).Model(&Task{})
	if f.GroupID != 0 {
		db = db.Where("group_id = ?", f.GroupID)
	}
	if f.Kind != "" {
		db = db.Where("kind = ?", f.Kind)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	db = db.Order("id DESC").Offset(offset)
	if limit > 0 {
		db = db.Limit(limit)
	}
	var tasks []Task
	if err := db.Find(&tasks).Error; err != nil {
		return nil, 0, err
	}
	out, err := s.withProgress(ctx, tasks)
	return out, total, err
}
