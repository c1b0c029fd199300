package models

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Login throttling: after LoginMaxFailures failures for one account or one
// client address within LoginFailureWindow, further attempts are refused until
// the oldest of those failures leaves the window. Failures live in the
// database so every process sees the same count.
const (
	LoginMaxFailures   = 5
	LoginFailureWindow = 15 * time.Minute
)

type loginFailure struct {
	ID          uint64
	ThrottleKey string
	CreatedAt   time.Time
}

func (loginFailure) TableName() string { return "login_failures" }

// CheckLoginThrottle returns a ThrottledError when any of keys has reached the
// failure limit.
func (s *Store) CheckLoginThrottle(ctx context.Context, keys ...string) error {
	now := s.now()
	var retryAt time.Time
	for _, key := range keys {
		var times []time.Time
		err := s.db.WithContext(ctx).Model(&loginFailure{}).
			Where("throttle_key = ? AND created_at > ?", key, now.Add(-LoginFailureWindow)).
			Order("created_at DESC").Limit(LoginMaxFailures).Pluck("created_at", &times).Error
		if err != nil {
			return err
		}
		if len(times) >= LoginMaxFailures {
			if at := times[len(times)-1].Add(LoginFailureWindow); at.After(retryAt) {
				retryAt = at
			}
		}
	}
	if !retryAt.IsZero() {
		return &ThrottledError{RetryAt: retryAt}
	}
	return nil
}

// RecordLoginFailure counts one failed attempt against each key and prunes
// failures that have left the window.
func (s *Store) RecordLoginFailure(ctx context.Context, keys ...string) error {
	now := s.now()
	rows := make([]loginFailure, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, loginFailure{ThrottleKey: k, CreatedAt: now})
	}
	db := s.db.WithContext(ctx)
	if err := db.Create(&rows).Error; err != nil {
		return err
	}
	return db.Where("created_at < ?", now.Add(-LoginFailureWindow)).Delete(&loginFailure{}).Error
}

// ClearLoginFailures forgets the failures of a key after a successful login.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return s.db.WithContext(ctx).Where("throttle_key = ?", key).Delete(&loginFailure{}).Error
}

// LoginInput is a sign-in attempt.
type LoginInput struct {
	Email    string
	Password string
	ClientIP string
}

// maxLoginPasswordBytes bounds what is hashed for a sign-in attempt; anything
// longer cannot be a valid password anyway.
const maxLoginPasswordBytes = 1024

// Login checks a sign-in attempt against the throttle, then the credentials.
// Every failure counts against both the account and the client address, and
// the answer never says which part was wrong.
func (s *Store) Login(ctx context.Context, in LoginInput) (*User, error) {
	verr := &ValidationError{}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	switch {
	case email == "":
		verr.Add("email", "Enter your email address.")
	case len(email) > MaxEmailLength:
		verr.Add("email", "An email address has at most 254 characters.")
	}
	switch {
	case in.Password == "":
		verr.Add("password", "Enter your password.")
	case len(in.Password) > maxLoginPasswordBytes:
		verr.Add("password", "This password is too long.")
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	var u *User
	err := s.throttledLogin(ctx, []string{"account:" + email, "ip:" + in.ClientIP}, func() (err error) {
		u, err = s.Authenticate(ctx, email, in.Password)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// LoginSMTP checks an SMTP AUTH attempt as Login checks a sign-in: refused
// while the sender address or the client address is throttled, then the
// address's SMTP password. Failures count against both; the client's
// count is the one sign-ins use, so guessing cannot switch between the
// console and SMTP to get more attempts.
func (s *Store) LoginSMTP(ctx context.Context, in LoginInput) (*SenderAddress, error) {
	email := strings.TrimSpace(in.Email)
	// The key ignores case, so guesses at News@ and news@ count together,
	// though the local part of a sender address is case-sensitive.
	keys := []string{"smtp:" + strings.ToLower(email), "ip:" + in.ClientIP}
	if len(email) > MaxEmailLength {
		keys = keys[1:] // no address that long exists, nor fits a throttle key
	}
	var a *SenderAddress
	err := s.throttledLogin(ctx, keys, func() (err error) {
		a, err = s.AuthenticateSMTP(ctx, email, in.Password)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// throttledLogin runs authenticate unless one of keys is throttled. An
// ErrInvalidCredentials counts against every key; a success clears the
// failures of the first key, the account's, so a client address keeps the
// count of the other accounts it guessed at.
func (s *Store) throttledLogin(ctx context.Context, keys []string, authenticate func() error) error {
	if err := s.CheckLoginThrottle(ctx, keys...); err != nil {
		return err
	}
	err := authenticate()
	if errors.Is(err, ErrInvalidCredentials) {
		if rerr := s.RecordLoginFailure(ctx, keys...); rerr != nil {
			return rerr
		}
		return err
	}
	if err != nil {
		return err
	}
	return s.ClearLoginFailures(ctx, keys[0])
}
