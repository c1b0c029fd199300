package accounts

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm/clause"
)

// Setting is one console-wide option, stored as text under a name.
type Setting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

// Names of settings. Each is read through a typed accessor below.
const settingTemplateReview = "templates.review_required"

// GetSetting returns the value stored under name, or fallback when none is.
func (s *Accounts) GetSetting(ctx context.Context, name, fallback string) (string, error) {
	var st Setting
	err := s.Gorm.WithContext(ctx).Where("name = ?", name).Take(&st).Error
	if err = db.NotFound(err); err == models.ErrNotFound {
		return fallback, nil
	}
	if err != nil {
		return "", err
	}
	return st.Value, nil
}

// SetSetting stores value under name, replacing any earlier value.
func (s *Accounts) SetSetting(ctx context.Context, name, value string) error {
	return s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&Setting{Name: name, Value: value, UpdatedAt: s.Now()}).Error
}

// TemplateReviewRequired reports whether new and changed templates wait for
// an admin's approval before tasks may use them. Off until an admin turns it on.
func (s *Accounts) TemplateReviewRequired(ctx context.Context) (bool, error) {
	v, err := s.GetSetting(ctx, settingTemplateReview, "false")
	return v == "true", err
}

// SetTemplateReviewRequired turns template review on or off. Templates
// already approved stay approved.
func (s *Accounts) SetTemplateReviewRequired(ctx context.Context, on bool) error {
	v := "false"
	if on {
		v = "true"
	}
	return s.SetSetting(ctx, settingTemplateReview, v)
}
