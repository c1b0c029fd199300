package models

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

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

func validatePassword(field, password string, verr *ValidationError) {
	switch {
	case password == "":
		verr.Add(field, "Enter a password.")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		verr.Add(field, "Use at least 10 characters.")
	case len(password) > MaxPasswordBytes:
		verr.Add(field, "Use at most 72 bytes (about 72 letters).")
	}
}

func validateTimeZone(field, tz string, verr *ValidationError) {
	if tz == "" || len(tz) > 64 {
		verr.Add(field, "Choose a time zone.")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		verr.Add(field, "Unknown time zone; use a name such as Europe/Berlin or UTC.")
	}
}

func normalizeUserEmail(raw string, verr *ValidationError) string {
	email, err := NormalizeEmail(raw)
	if err != nil {
		if err == errEmailEmpty {
			verr.Add("email", "Enter an email address.")
		} else {
			verr.Add("email", "The email address "+err.Error()+".")
		}
		return ""
	}
	// Logins are case-insensitive.
	return strings.ToLower(email)
}

func (s *Store) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	return string(h), err
}

// CreateUser validates and stores a new account.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	verr := &ValidationError{}
	email := normalizeUserEmail(in.Email, verr)
	validatePassword("password", in.Password, verr)
	if !in.Role.Valid() {
		verr.Add("role", "Choose admin or marketer.")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	validateTimeZone("time_zone", in.TimeZone, verr)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Email: email, PasswordHash: hash, Role: in.Role, TimeZone: in.TimeZone}
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, Invalid("email", "A user with this email address already exists.")
		}
		return nil, err
	}
	return u, nil
}

// Authenticate returns the active user with this email and password, or
// ErrInvalidCredentials whatever the reason (unknown, wrong, disabled).
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error
	if err != nil {
		if err = notFound(err); err == ErrNotFound {
			_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
			return nil, ErrInvalidCredentials
		}
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return nil, ErrInvalidCredentials
	}
	return &u, nil
}

// GetUser loads one user by id.
func (s *Store) GetUser(ctx context.Context, id uint64) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Take(&u, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// GetUserByEmail loads one user by email address.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// ListUsers returns every account, admins first.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := s.db.WithContext(ctx).Order("role ASC, email ASC").Find(&users).Error
	return users, err
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error
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
func (s *Store) UpdateUser(ctx context.Context, id uint64, ch UserChange) (*User, error) {
	if !ch.Role.Valid() {
		return nil, Invalid("role", "Choose admin or marketer.")
	}
	var out User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&out, id).Error; err != nil {
			return notFound(err)
		}
		losesAdmin := out.Role == RoleAdmin && !out.Disabled && (ch.Role != RoleAdmin || ch.Disabled)
		if losesAdmin {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled = ?", RoleAdmin, false).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return Conflictf("%s is the last active admin: make another user an admin first.", out.Email)
			}
		}
		out.Role, out.Disabled, out.UpdatedAt = ch.Role, ch.Disabled, s.now()
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
func (s *Store) ResetPassword(ctx context.Context, id uint64, password string) error {
	verr := &ValidationError{}
	validatePassword("password", password, verr)
	if err := verr.OrNil(); err != nil {
		return err
	}
	return s.setPassword(ctx, id, password, "")
}

// ChangePassword is a user changing their own password: the current one must
// match, and every other session of the user ends.
func (s *Store) ChangePassword(ctx context.Context, id uint64, current, next, confirm, keepSessionID string) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	verr := &ValidationError{}
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

func (s *Store) setPassword(ctx context.Context, id uint64, password, keepSessionID string) error {
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{ID: id}).Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Where("user_id = ? AND id <> ?", id, keepSessionID).Delete(&Session{}).Error
	})
}

// SetTimeZone changes the zone a user's times are shown and entered in.
func (s *Store) SetTimeZone(ctx context.Context, id uint64, tz string) error {
	verr := &ValidationError{}
	validateTimeZone("time_zone", tz, verr)
	if err := verr.OrNil(); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Model(&User{ID: id}).Updates(map[string]any{"time_zone": tz, "updated_at": s.now()}).Error
}

// EnsureAdmin creates the first admin when no user exists at all. When
// password is empty a random one is generated; the returned password is
// non-empty only when an account was created, so it can be printed once.
func (s *Store) EnsureAdmin(ctx context.Context, email, password string) (*User, string, error) {
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
