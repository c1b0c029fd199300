package identity

import (
	"context"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// DefaultUnsubscribe is the unsubscribe link of mail from the address
// when the send itself does not choose one: its configured language while
// the setting is on, else none ("").
func (a *SenderAddress) DefaultUnsubscribe() string {
	if a.UnsubscribeEnabled {
		return a.UnsubscribeConfig
	}
	return ""
}

// HasUnsubscribeConfig reports whether the address has a setting, on or off.
func (a *SenderAddress) HasUnsubscribeConfig() bool { return a.UnsubscribeConfig != "" }

// UnsubscribeConfigWrite says how SetUnsubscribeConfig treats an existing
// setting: Tencent's Create refuses to replace one, its Update needs one.
type UnsubscribeConfigWrite int

const (
	UnsubscribeConfigUpsert UnsubscribeConfigWrite = iota
	UnsubscribeConfigCreate
	UnsubscribeConfigUpdate
)

// ErrUnsubscribeConfigExists is a create for an address that has a setting.
var ErrUnsubscribeConfigExists = &models.ConflictError{Message: "This address already has an unsubscribe setting; update it instead."}

// SetUnsubscribeConfig gives a sender address its default unsubscribe
// link: code is Tencent's language code ("0": no link), enabled switches
// it on. An empty code removes the setting.
func (s *Senders) SetUnsubscribeConfig(ctx context.Context, senderID uint64, code string, enabled bool, mode UnsubscribeConfigWrite) error {
	if code != "" && !ValidUnsubscribeCode(code) {
		return models.Invalid("unsubscribe_config", "Choose a language for the unsubscribe link (1 to 10), or 0 for none.")
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a SenderAddress
		if err := tx.Select("id", "unsubscribe_config").Take(&a, senderID).Error; err != nil {
			return db.NotFound(err)
		}
		switch {
		case mode == UnsubscribeConfigCreate && a.HasUnsubscribeConfig():
			return ErrUnsubscribeConfigExists
		case mode == UnsubscribeConfigUpdate && !a.HasUnsubscribeConfig():
			return models.ErrNotFound
		}
		if code == "" {
			enabled = false
		}
		return tx.Model(&SenderAddress{ID: senderID}).
			Updates(map[string]any{"unsubscribe_config": code, "unsubscribe_enabled": enabled}).Error
	})
}

// DeleteUnsubscribeConfig removes an address's setting: ErrNotFound when it
// has none.
func (s *Senders) DeleteUnsubscribeConfig(ctx context.Context, senderID uint64) error {
	res := s.Gorm.WithContext(ctx).Model(&SenderAddress{}).Where("id = ? AND unsubscribe_config <> ''", senderID).
		Updates(map[string]any{"unsubscribe_config": "", "unsubscribe_enabled": false})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// ListUnsubscribeConfigs returns the addresses that have a setting, by
// address, and how many there are.
func (s *Senders) ListUnsubscribeConfigs(ctx context.Context, offset, limit int) ([]SenderAddress, int64, error) {
	db := s.Gorm.WithContext(ctx).Model(&SenderAddress{}).Where("unsubscribe_config <> ''")
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []SenderAddress
	err := db.Order("email").Offset(offset).Limit(limit).Find(&out).Error
	return out, total, err
}

// ValidUnsubscribeCode reports "", "0" or one of Tencent's language codes 1–10.
func ValidUnsubscribeCode(code string) bool {
	switch code {
	case "", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10":
		return true
	}
	return false
}
