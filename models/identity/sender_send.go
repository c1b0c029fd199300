package identity

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models"
)

// SenderForSending loads a sender address with what sending from it needs
// of its domain (id, name, status), in one short query: the API looks it
// up for every message. The Domain it carries has only those fields.
func (s *Senders) SenderForSending(ctx context.Context, raw string) (*SenderAddress, error) {
	email, err := models.NormalizeEmail(raw)
	if err != nil {
		return nil, models.ErrNotFound
	}
	var row struct {
		ID                 uint64
		DomainID           uint64
		Email              string
		DisplayName        string
		UnsubscribeConfig  string
		UnsubscribeEnabled bool
		CreatedAt          time.Time
		DomainName         string
		DomainStatus       DomainStatus
	}
	res := s.Gorm.WithContext(ctx).Raw(`SELECT s.id, s.domain_id, s.email, s.display_name, s.unsubscribe_config, s.unsubscribe_enabled, s.created_at,
		d.name AS domain_name, d.status AS domain_status
		FROM sender_addresses s JOIN domains d ON d.id = s.domain_id WHERE s.email = ?`, email).Scan(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return &SenderAddress{ID: row.ID, DomainID: row.DomainID, Email: row.Email, DisplayName: row.DisplayName,
		UnsubscribeConfig: row.UnsubscribeConfig, UnsubscribeEnabled: row.UnsubscribeEnabled, CreatedAt: row.CreatedAt,
		Domain: &Domain{ID: row.DomainID, Name: row.DomainName, Status: row.DomainStatus}}, nil
}
