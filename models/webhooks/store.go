package webhooks

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"gorm.io/gorm"
)

// Store is the webhooks aggregate's store.
type Store struct {
	*db.DB
	senders *identity.Senders
}

// New builds the store; senders are checked when an endpoint names one.
func New(core *db.DB, senders *identity.Senders) *Store {
	return &Store{DB: core, senders: senders}
}

// Sealing purposes of the two secret columns.
const (
	secretPurpose         = "webhook_endpoints.secret"
	previousSecretPurpose = "webhook_endpoints.previous_secret"
)

// CreateEndpoint adds an endpoint and returns it with its secret, shown
// this once. It hears events from now on: its cursor starts at the head of
// the feed.
func (s *Store) CreateEndpoint(ctx context.Context, in EndpointInput) (*Endpoint, string, error) {
	u, events, err := in.normalize()
	if err != nil {
		return nil, "", err
	}
	sender := strings.TrimSpace(in.SenderEmail)
	if sender != "" {
		a, err := s.senders.GetSenderByEmail(ctx, sender)
		if errors.Is(err, models.ErrNotFound) {
			return nil, "", models.Invalid("sender", "No sender address "+sender+": add it under Sender addresses first, or leave this empty for every address.")
		}
		if err != nil {
			return nil, "", err
		}
		sender = a.Email
	}
	secret := in.Secret
	if secret == "" {
		secret = NewSecret()
	}
	now := s.Now()
	ep := &Endpoint{SenderEmail: sender, URL: u.String(), EventList: joinEvents(events), CustomValue: in.CustomValue, Enabled: true,
		Secret: s.Sealer.Seal(secretPurpose, []byte(secret)), CreatedAt: now, UpdatedAt: now}
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		head, err := s.horizon(tx)
		if err != nil {
			return err
		}
		ep.CursorTxid, ep.CursorID = head.Txid, head.ID
		return tx.Create(ep).Error
	})
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// ListEndpoints returns every endpoint, account-wide ones first.
func (s *Store) ListEndpoints(ctx context.Context) ([]Endpoint, error) {
	var out []Endpoint
	err := s.Gorm.WithContext(ctx).Order("sender_email, id").Find(&out).Error
	return out, err
}

// GetEndpoint loads one endpoint.
func (s *Store) GetEndpoint(ctx context.Context, id uint64) (*Endpoint, error) {
	var ep Endpoint
	if err := s.Gorm.WithContext(ctx).Take(&ep, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &ep, nil
}

// UpdateEndpoint changes an endpoint's URL, events and custom value; its
// sender address and secret stay.
func (s *Store) UpdateEndpoint(ctx context.Context, id uint64, in EndpointInput) (*Endpoint, error) {
	in.Secret = ""
	u, events, err := in.normalize()
	if err != nil {
		return nil, err
	}
	res := s.Gorm.WithContext(ctx).Model(&Endpoint{}).Where("id = ?", id).Updates(map[string]any{
		"url": u.String(), "events": joinEvents(events), "custom_value": in.CustomValue, "updated_at": s.Now()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return s.GetEndpoint(ctx, id)
}

// SetEnabled switches an endpoint on or off. Switched on again, it starts
// afresh (no longer failing) from where its cursor stopped: the events
// since are posted, as long as retention keeps them.
func (s *Store) SetEnabled(ctx context.Context, id uint64, enabled bool) error {
	cols := map[string]any{"enabled": enabled, "updated_at": s.Now()}
	if enabled {
		cols["disabled_reason"], cols["failing_since"] = "", nil
	}
	res := s.Gorm.WithContext(ctx).Model(&Endpoint{}).Where("id = ?", id).Updates(cols)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// DeleteEndpoint removes an endpoint with its delivery log.
func (s *Store) DeleteEndpoint(ctx context.Context, id uint64) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Delete(&Endpoint{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		if err := tx.Exec("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)", id).Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM webhook_deliveries WHERE endpoint_id = ?", id).Error
	})
}

// RotateSecret gives an endpoint a new secret, returned this once; the
// old one signs beside it for RotationGrace.
func (s *Store) RotateSecret(ctx context.Context, id uint64) (string, error) {
	ep, err := s.GetEndpoint(ctx, id)
	if err != nil {
		return "", err
	}
	old, err := s.Sealer.Open(secretPurpose, ep.Secret)
	if err != nil {
		return "", err
	}
	secret := NewSecret()
	now := s.Now()
	err = s.Gorm.WithContext(ctx).Model(&Endpoint{}).Where("id = ?", id).Updates(map[string]any{
		"secret": s.Sealer.Seal(secretPurpose, []byte(secret)), "previous_secret": s.Sealer.Seal(previousSecretPurpose, old),
		"previous_secret_until": now.Add(RotationGrace), "updated_at": now}).Error
	return secret, err
}

// SigningSecrets are the secrets that sign an endpoint's requests now: its
// own, then during a rotation's grace the one before.
func (s *Store) SigningSecrets(ep *Endpoint) ([][]byte, error) {
	cur, err := s.Sealer.Open(secretPurpose, ep.Secret)
	if err != nil {
		return nil, err
	}
	out := [][]byte{cur}
	if ep.PreviousSecret != nil && ep.PreviousSecretUntil != nil && s.Now().Before(*ep.PreviousSecretUntil) {
		prev, err := s.Sealer.Open(previousSecretPurpose, ep.PreviousSecret)
		if err != nil {
			return nil, err
		}
		out = append(out, prev)
	}
	return out, nil
}

// ClaimEndpoints renews owner's leases on the enabled endpoints it posts
// for, takes up to maxNew more whose lease ran out (their process died or
// never was), and returns all it holds. Taking a few at a time spreads the
// endpoints over the processes sharing a database.
func (s *Store) ClaimEndpoints(ctx context.Context, owner string, lease time.Duration, maxNew int) ([]Endpoint, error) {
	now := s.Now()
	var out []Endpoint
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Endpoint{}).Where("lease_owner = ? AND enabled = ?", owner, true).Update("lease_until", now.Add(lease)).Error; err != nil {
			return err
		}
		var free []uint64
		if err := s.SkipLocked(tx.Model(&Endpoint{}).Select("id").Where("enabled = ? AND lease_owner <> ? AND (lease_until IS NULL OR lease_until < ?)", true, owner, now).
			Order("id").Limit(maxNew)).Pluck("id", &free).Error; err != nil {
			return err
		}
		if len(free) > 0 {
			if err := tx.Model(&Endpoint{}).Where("id IN ?", free).Updates(map[string]any{"lease_owner": owner, "lease_until": now.Add(lease)}).Error; err != nil {
				return err
			}
		}
		return tx.Where("lease_owner = ? AND enabled = ?", owner, true).Order("id").Find(&out).Error
	})
	return out, err
}

// RenewEndpoints extends owner's leases, while a round outlasts a third
// of its lease (a slow receiver).
func (s *Store) RenewEndpoints(ctx context.Context, owner string, lease time.Duration) error {
	return s.Gorm.WithContext(ctx).Model(&Endpoint{}).Where("lease_owner = ? AND enabled = ?", owner, true).
		Update("lease_until", s.Now().Add(lease)).Error
}

// ReleaseEndpoints gives owner's endpoints up, so that another process
// takes them at once rather than after the lease.
func (s *Store) ReleaseEndpoints(ctx context.Context, owner string) error {
	return s.Gorm.WithContext(ctx).Model(&Endpoint{}).Where("lease_owner = ?", owner).
		Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
}
