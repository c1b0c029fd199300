package audience

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// RemoveSuppressionsOf deletes the entries of values (addresses or
// domains, any case) that have one of reasons, and says how many went.
func (s *Suppressions) RemoveSuppressionsOf(ctx context.Context, values []string, reasons []SuppressionReason) (int64, error) {
	keys := make([]string, 0, len(values))
	for _, v := range values {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			keys = append(keys, strings.TrimPrefix(v, "@"))
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	var n int64
	for start := 0; start < len(keys); start += suppressionLookupChunk {
		chunk := keys[start:min(start+suppressionLookupChunk, len(keys))]
		res := s.Gorm.WithContext(ctx).Where("value IN ? AND reason IN ?", chunk, reasons).Delete(&Suppression{})
		if res.Error != nil {
			return n, res.Error
		}
		n += res.RowsAffected
	}
	return n, nil
}

// UpdateManualSuppression changes an entry added by hand: what it covers
// and when it expires (nil: never; an expired entry may be revived by a
// future time). Entries of other reasons are ErrNotFound: they record what
// a mail system said, which is not edited.
func (s *Suppressions) UpdateManualSuppression(ctx context.Context, id uint64, value string, expiresAt *time.Time) (*Suppression, error) {
	in := SuppressionInput{Value: value, Reason: ReasonManual, ExpiresAt: expiresAt}
	kind, err := in.normalize(s.Now())
	if err != nil {
		return nil, err
	}
	var out Suppression
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("reason = ?", ReasonManual).Take(&out, id).Error; err != nil {
			return db.NotFound(err)
		}
		out.Kind, out.Value, out.ExpiresAt = kind, in.Value, in.ExpiresAt
		err := tx.Model(&Suppression{ID: id}).Select("kind", "value", "expires_at").Updates(&out).Error
		if db.IsUniqueViolation(err) {
			return models.Invalid("value", in.Value+" is already on the list.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
