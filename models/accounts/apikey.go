package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
)

// APIKey signs requests to the Tencent-compatible API. The SecretID names
// the key in every request; the secret key is shown once when the key is
// made and kept sealed, since checking an HMAC signature needs it in plain.
// A key acts with its user's role.
type APIKey struct {
	ID         uint64
	UserID     uint64
	Name       string
	SecretID   string
	SecretKey  []byte `json:"-"` // sealed
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time

	User *User `gorm:"foreignKey:UserID"`
}

// Revoked reports whether the key no longer works.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

const (
	secretIDPrefix  = "AKID"
	secretIDLength  = 32 // random characters after the prefix, as Tencent's ids
	secretKeyLength = 40
	maxKeyName      = 100
	// apiKeyTouchEvery is how often a key's last use is written: at most
	// once a minute, so a busy key costs no write per request.
	apiKeyTouchEvery = time.Minute
)

// randomAlnum returns n random letters and digits.
func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// sealPurpose binds a sealed secret key to its row's SecretID, so a sealed
// value copied into another row does not open.
func apiKeyPurpose(secretID string) string { return "api_keys.secret_key " + secretID }

// CreateAPIKey makes a key for a user and returns it with its secret key,
// which is never readable again.
func (s *Accounts) CreateAPIKey(ctx context.Context, userID uint64, name string) (*APIKey, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return nil, "", models.Invalid("name", "Use letters, digits and punctuation.")
	case utf8.RuneCountInString(name) > maxKeyName:
		return nil, "", models.Invalid("name", "Use at most 100 characters.")
	}
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	if u.Disabled {
		return nil, "", models.Invalid("user", u.Email+" is disabled.")
	}
	secret := randomAlnum(secretKeyLength)
	k := &APIKey{UserID: userID, Name: name, SecretID: secretIDPrefix + randomAlnum(secretIDLength), CreatedAt: s.Now()}
	k.SecretKey = s.Sealer.Seal(apiKeyPurpose(k.SecretID), []byte(secret))
	if err := s.Gorm.WithContext(ctx).Omit("User").Create(k).Error; err != nil {
		return nil, "", err
	}
	k.User = u
	return k, secret, nil
}

// ListAPIKeys returns the keys of one user (userID > 0) or of everyone,
// newest first, with their users.
func (s *Accounts) ListAPIKeys(ctx context.Context, userID uint64) ([]APIKey, error) {
	db := s.Gorm.WithContext(ctx).Preload("User").Order("id DESC")
	if userID != 0 {
		db = db.Where("user_id = ?", userID)
	}
	var out []APIKey
	err := db.Find(&out).Error
	return out, err
}

// GetAPIKey loads one key with its user.
func (s *Accounts) GetAPIKey(ctx context.Context, id uint64) (*APIKey, error) {
	var k APIKey
	if err := s.Gorm.WithContext(ctx).Preload("User").Take(&k, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &k, nil
}

// GetAPIKeyBySecretID loads one key with its user, in one query: every API
// request makes it.
func (s *Accounts) GetAPIKeyBySecretID(ctx context.Context, secretID string) (*APIKey, error) {
	var k APIKey
	if err := s.Gorm.WithContext(ctx).Joins("User").Where("api_keys.secret_id = ?", strings.TrimSpace(secretID)).Take(&k).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &k, nil
}

// RevokeAPIKey stops a key at once. Revoking a revoked key changes nothing.
func (s *Accounts) RevokeAPIKey(ctx context.Context, id uint64) error {
	res := s.Gorm.WithContext(ctx).Model(&APIKey{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.Now())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetAPIKey(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// ErrKeyDisabled is a key whose user is disabled: it works again if the
// user is enabled again, unlike a revoked key.
var ErrKeyDisabled = errors.New("the key's user is disabled")

// APIKeyAuth is what checking a request's signature needs: the key, its
// user and its secret key in plain.
type APIKeyAuth struct {
	Key       *APIKey
	User      *User
	SecretKey string
}

// AuthenticateAPIKey looks up an active key by its SecretID and unseals its
// secret key: ErrNotFound for an unknown or revoked key, ErrKeyDisabled
// when its user is disabled. It notes the key's use, at most once a minute.
// Every API request makes it, so it is one short query.
func (s *Accounts) AuthenticateAPIKey(ctx context.Context, secretID string) (*APIKeyAuth, error) {
	var row struct {
		ID         uint64
		UserID     uint64
		SecretKey  []byte
		LastUsedAt *time.Time
		RevokedAt  *time.Time
		Email      string
		Role       Role
		Disabled   bool
		TimeZone   string
	}
	res := s.Gorm.WithContext(ctx).Raw(`SELECT k.id, k.user_id, k.secret_key, k.last_used_at, k.revoked_at, u.email, u.role, u.disabled, u.time_zone
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.secret_id = ?`, strings.TrimSpace(secretID)).Scan(&row)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 || row.RevokedAt != nil {
		return nil, models.ErrNotFound
	}
	if row.Disabled {
		return nil, ErrKeyDisabled
	}
	secretID = strings.TrimSpace(secretID)
	plain, err := s.Sealer.Open(apiKeyPurpose(secretID), row.SecretKey)
	if err != nil {
		return nil, err
	}
	u := &User{ID: row.UserID, Email: row.Email, Role: row.Role, TimeZone: row.TimeZone}
	k := &APIKey{ID: row.ID, UserID: row.UserID, SecretID: secretID, LastUsedAt: row.LastUsedAt, User: u}
	s.touchAPIKey(ctx, k)
	return &APIKeyAuth{Key: k, User: u, SecretKey: string(plain)}, nil
}

func (s *Accounts) touchAPIKey(ctx context.Context, k *APIKey) {
	now := s.Now()
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < apiKeyTouchEvery {
		return
	}
	if last, ok := s.apiKeyTouches.Load(k.ID); ok && now.Sub(last.(time.Time)) < apiKeyTouchEvery {
		return
	}
	s.apiKeyTouches.Store(k.ID, now)
	// The row may have been touched by another process a moment ago: the
	// condition keeps this a no-op then.
	err := s.Gorm.WithContext(ctx).Model(&APIKey{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", k.ID, now.Add(-apiKeyTouchEvery)).
		Update("last_used_at", now).Error
	if err != nil {
		s.Log.WarnContext(ctx, "note API key use", "key_id", k.ID, "err", err)
		return
	}
	k.LastUsedAt = &now
}
