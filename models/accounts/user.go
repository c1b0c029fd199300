package accounts

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Role decides what a user may see and do; the web layer enforces it on
// every route.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleMarketer Role = "marketer"
)

// Roles lists every role, for forms.
var Roles = []Role{RoleAdmin, RoleMarketer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleMarketer }

// Label is the role's name for people.
func (r Role) Label() string {
	if r == RoleAdmin {
		return "Admin"
	}
	return "Marketer"
}

const (
	// DefaultPasswordCost is bcrypt's cost for console passwords: one step
	// above the library default, about 100 ms a login on a small machine.
	DefaultPasswordCost = 11
	MinPasswordLength   = 10
	// MaxPasswordBytes is bcrypt's input limit; longer input would be cut
	// silently, so it is refused.
	MaxPasswordBytes = 72
)

// User is a console account.
type User struct {
	ID           uint64
	Email        string
	PasswordHash string
	Role         Role
	Disabled     bool
	TimeZone     string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Location is the user's time zone, UTC when unset or unknown.
func (u *User) Location() *time.Location {
	if loc, err := time.LoadLocation(u.TimeZone); err == nil && u.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// IsAdmin is shorthand for the admin role.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// NewUser is the input to CreateUser.
type NewUser struct {
	Email    string
	Password string
	Role     Role
	TimeZone string
}

func validatePassword(field, password string, verr *models.ValidationError) {
	switch {
	case password == "":
		verr.Add(field, "Enter a password.")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		verr.Add(field, "Use at least 10 characters.")
	case len(password) > MaxPasswordBytes:
		verr.Add(field, "Use at most 72 bytes (about 72 letters).")
	}
}

func ValidateTimeZone(field, tz string, verr *models.ValidationError) {
	if tz == "" || len(tz) > 64 {
		verr.Add(field, "Choose a time zone.")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		verr.Add(field, "Unknown time zone; use a name such as Europe/Berlin or UTC.")
	}
}

func normalizeUserEmail(raw string, verr *models.ValidationError) string {
	email, err := models.NormalizeEmail(raw)
	if err != nil {
		if err == models.ErrEmailEmpty {
			verr.Add("email", "Enter an email address.")
		} else {
			verr.Add("email", "The email address "+err.Error()+".")
		}
		return ""
	}
	// Logins are case-insensitive.
	return strings.ToLower(email)
}

func (s *Accounts) HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	return string(h), err
}

// CreateUser validates and stores a new account.
func (s *Accounts) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	verr := &models.ValidationError{}
	email := normalizeUserEmail(in.Email, verr)
	validatePassword("password", in.Password, verr)
	if !in.Role.Valid() {
		verr.Add("role", "Choose admin or marketer.")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	ValidateTimeZone("time_zone", in.TimeZone, verr)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	hash, err := s.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Email: email, PasswordHash: hash, Role: in.Role, TimeZone: in.TimeZone}
	if err := s.Gorm.WithContext(ctx).Create(u).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, models.Invalid("email", "A user with this email address already exists.")
		}
		return nil, err
	}
	return u, nil
}

// Authenticate returns the active user with this email and password, or
// ErrInvalidCredentials whatever the reason (unknown, wrong, disabled).
func (s *Accounts) Authenticate(ctx context.Context, email, password string) (*User, error) {
	var u User
	err := s.Gorm.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error
	if err != nil {
		if err = db.NotFound(err); err == models.ErrNotFound {
			s.EqualiseTiming(password)
			return nil, models.ErrInvalidCredentials
		}
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return nil, models.ErrInvalidCredentials
	}
	return &u, nil
}

// GetUser loads one user by id.
func (s *Accounts) GetUser(ctx context.Context, id uint64) (*User, error) {
	var u User
	if err := s.Gorm.WithContext(ctx).Take(&u, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &u, nil
}

// GetUserByEmail loads one user by email address.
func (s *Accounts) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.Gorm.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &u, nil
}

// ListUsers returns every account, admins first.
func (s *Accounts) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := s.Gorm.WithContext(ctx).Order("role ASC, email ASC").Find(&users).Error
	return users, err
}

// CountUsers returns how many accounts exist.
func (s *Accounts) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// UserChange is an admin's edit of another account.
type UserChange struct {
	Role     Role
	Disabled bool
}

// UpdateUser changes a user's role and disabled flag. The last active admin
// cannot be demoted or disabled, or nobody could administer Sesame. Disabling
// ends the user's sessions in the same transaction.
func (s *Accounts) UpdateUser(ctx context.Context, id uint64, ch UserChange) (*User, error) {
	if !ch.Role.Valid() {
		return nil, models.Invalid("role", "Choose admin or marketer.")
	}
	var out User
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&out, id).Error; err != nil {
			return db.NotFound(err)
		}
		losesAdmin := out.Role == RoleAdmin && !out.Disabled && (ch.Role != RoleAdmin || ch.Disabled)
		if losesAdmin {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled = ?", RoleAdmin, false).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return models.Conflictf("%s is the last active admin: make another user an admin first.", out.Email)
			}
		}
		out.Role, out.Disabled, out.UpdatedAt = ch.Role, ch.Disabled, s.Now()
		if err := tx.Model(&User{ID: id}).Select("role", "disabled", "updated_at").Updates(&out).Error; err != nil {
			return err
		}
		if ch.Disabled {
			return tx.Where("user_id = ?", id).Delete(&Session{}).Error
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ResetPassword sets a new password chosen by an admin and ends every session
// of that user.
func (s *Accounts) ResetPassword(ctx context.Context, id uint64, password string) error {
	verr := &models.ValidationError{}
	validatePassword("password", password, verr)
	if err := verr.OrNil(); err != nil {
		return err
	}
	return s.setPassword(ctx, id, password, "")
}

// ChangePassword is a user changing their own password: the current one must
// match, and every other session of the user ends.
func (s *Accounts) ChangePassword(ctx context.Context, id uint64, current, next, confirm, keepSessionID string) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	verr := &models.ValidationError{}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		verr.Add("current_password", "This is not your current password.")
	}
	validatePassword("new_password", next, verr)
	if next != confirm {
		verr.Add("confirm_password", "The two new passwords differ.")
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	return s.setPassword(ctx, id, next, keepSessionID)
}

func (s *Accounts) setPassword(ctx context.Context, id uint64, password, keepSessionID string) error {
	hash, err := s.HashPassword(password)
	if err != nil {
		return err
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{ID: id}).Updates(map[string]any{"password_hash": hash, "updated_at": s.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		return tx.Where("user_id = ? AND id <> ?", id, keepSessionID).Delete(&Session{}).Error
	})
}

// SetTimeZone changes the zone a user's times are shown and entered in.
func (s *Accounts) SetTimeZone(ctx context.Context, id uint64, tz string) error {
	verr := &models.ValidationError{}
	ValidateTimeZone("time_zone", tz, verr)
	if err := verr.OrNil(); err != nil {
		return err
	}
	return s.Gorm.WithContext(ctx).Model(&User{ID: id}).Updates(map[string]any{"time_zone": tz, "updated_at": s.Now()}).Error
}

// EnsureAdmin creates the first admin when no user exists at all. When
// password is empty a random one is generated; the returned password is
// non-empty only when an account was created, so it can be printed once.
func (s *Accounts) EnsureAdmin(ctx context.Context, email, password string) (*User, string, error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, "", err
	}
	if password == "" {
		password = RandomPassword(16)
	}
	u, err := s.CreateUser(ctx, NewUser{Email: email, Password: password, Role: RoleAdmin})
	if err != nil {
		return nil, "", err
	}
	return u, password, nil
}

// RandomPassword returns n characters from an alphabet without look-alikes,
// always with at least one letter and one digit.
func RandomPassword(n int) string {
	const letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
	const digits = "23456789"
	const alphabet = letters + digits
	for {
		pw := make([]byte, n)
		for i := range pw {
			k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic(err) // crypto/rand never fails on supported platforms
			}
			pw[i] = alphabet[k.Int64()]
		}
		if strings.ContainsAny(string(pw), digits) && strings.ContainsAny(string(pw), letters) {
			return string(pw)
		}
	}
}
