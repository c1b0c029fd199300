package tasks

import (
	"context"
	"strings"

	"github.com/sesame-email/sesame/models/db"
)

// TaskFilter narrows a list of tasks.
type TaskFilter struct {
	GroupID uint64     // 0: any group
	Kind    TaskKind   // "": any kind
	Status  TaskStatus // "": any status
	Name    string     // part of the name, any case; "": any name
}

// ListTaskProgressWhere lists the tasks f selects, each with its latest
// run and that run's progress and its owner,
// newest first; limit 0 means all of them.
func (s *Tasks) ListTaskProgressWhere(ctx context.Context, f TaskFilter, offset, limit int) ([]TaskProgress, int64, error) {
	q := s.Gorm.WithContext(ctx).Model(&Task{})
	if f.GroupID != 0 {
		q = q.Where("group_id = ?", f.GroupID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if name := strings.TrimSpace(f.Name); name != "" {
		q = q.Where("LOWER(name) LIKE ? ESCAPE '!'", "%"+db.EscapeLike(strings.ToLower(name))+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q = q.Order("id DESC").Offset(offset)
	if limit > 0 {
		q = q.Limit(limit)
	}
	var tasks []Task
	if err := q.Find(&tasks).Error; err != nil {
		return nil, 0, err
	}
	out, err := s.withProgress(ctx, tasks)
	return out, total, err
}
