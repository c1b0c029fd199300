package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Login throttling. Failures count per account and client address
// (LoginMaxFailures within LoginFailureWindow) and per client address over
// every account (LoginMaxAddressFailures): past either limit, that address's
// attempts are refused until the oldest counted failure leaves the window.
// An account is never blocked for every address, or anyone could keep its
// owner out by failing on purpose: once it has LoginMaxFailures failures
// from any addresses, its attempts are paced instead, at most one per
// LoginAccountPace from all addresses together, which slows guessing from
// many addresses without locking the owner out. Failures and paces live in
// the database, so every process sees the same counts.
const (
	LoginMaxFailures        = 5
	LoginMaxAddressFailures = 20
	LoginFailureWindow      = 15 * time.Minute
	LoginAccountPace        = time.Second
)

type loginFailure struct {
	ID          uint64
	ThrottleKey string
	CreatedAt   time.Time
}

func (loginFailure) TableName() string { return "login_failures" }

// loginPace is an account that has failed often lately: its next attempt
// may start at NextAt.
type loginPace struct {
	ThrottleKey string `gorm:"primaryKey"`
	NextAt      time.Time
}

func (loginPace) TableName() string { return "login_paces" }

// loginKeys are what one sign-in attempt is counted against.
type loginKeys struct {
	account string // paced; "" when the name given cannot be an account
	pair    string // the account from this client address
	address string // the client address, over every account
}

func NewLoginKeys(account, clientIP string) loginKeys {
	k := loginKeys{address: "ip:" + clientIP}
	if account != "" {
		k.account, k.pair = account, account+" "+k.address
	}
	return k
}

// checkFailures returns a ThrottledError when the pair or the address has
// reached its limit.
func (s *Accounts) checkFailures(ctx context.Context, k loginKeys) error {
	now := s.Now()
	var retryAt time.Time
	for _, limit := range []struct {
		key string
		max int
	}{{k.pair, LoginMaxFailures}, {k.address, LoginMaxAddressFailures}} {
		if limit.key == "" {
			continue
		}
		var times []time.Time
		err := s.Gorm.WithContext(ctx).Model(&loginFailure{}).
			Where("throttle_key = ? AND created_at > ?", limit.key, now.Add(-LoginFailureWindow)).
			Order("created_at DESC").Limit(limit.max).Pluck("created_at", &times).Error
		if err != nil {
			return err
		}
		if len(times) >= limit.max {
			if at := times[len(times)-1].Add(LoginFailureWindow); at.After(retryAt) {
				retryAt = at
			}
		}
	}
	if !retryAt.IsZero() {
		return &models.ThrottledError{RetryAt: retryAt}
	}
	return nil
}

// claimPace takes the account's next attempt slot, when it has one: the
// conditional update lets one attempt through per pace however many
// processes and addresses try at once. An account without a pace row has
// not failed often lately and is not paced.
func (s *Accounts) claimPace(ctx context.Context, account string) error {
	now := s.Now()
	db := s.Gorm.WithContext(ctx)
	res := db.Model(&loginPace{}).Where("throttle_key = ? AND next_at <= ?", account, now).Update("next_at", now.Add(LoginAccountPace))
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	var p loginPace
	if err := db.Where("throttle_key = ?", account).Take(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	if p.NextAt.After(now) {
		return &models.ThrottledError{RetryAt: p.NextAt, Pace: true}
	}
	return nil
}

// recordFailure counts one failed attempt against the account, the account
// from this address and the address, paces the account once it has failed
// often, and prunes what has left the window.
func (s *Accounts) recordFailure(ctx context.Context, k loginKeys) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows := []loginFailure{{ThrottleKey: k.address, CreatedAt: now}}
		if k.account != "" {
			rows = append(rows, loginFailure{ThrottleKey: k.account, CreatedAt: now}, loginFailure{ThrottleKey: k.pair, CreatedAt: now})
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if k.account != "" {
			var n int64
			err := tx.Model(&loginFailure{}).Where("throttle_key = ? AND created_at > ?", k.account, now.Add(-LoginFailureWindow)).Count(&n).Error
			if err != nil {
				return err
			}
			if n >= LoginMaxFailures {
				pace := loginPace{ThrottleKey: k.account, NextAt: now.Add(LoginAccountPace)}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&pace).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Where("created_at < ?", now.Add(-LoginFailureWindow)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		return tx.Where("next_at < ?", now.Add(-LoginFailureWindow)).Delete(&loginPace{}).Error
	})
}

// clearFailures forgets, after a successful login, the failures of the
// account from this address and ends the account's pace: the owner is
// back. The address keeps the count of the other accounts it guessed at,
// and the account its count from elsewhere, so that guessing resumes
// paced.
func (s *Accounts) clearFailures(ctx context.Context, k loginKeys) error {
	if k.account == "" {
		return nil
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("throttle_key = ?", k.pair).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		return tx.Where("throttle_key = ?", k.account).Delete(&loginPace{}).Error
	})
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
// Every failure counts against the account from the client address and the
// client address, and paces the account; the answer never says which part
// was wrong.
func (s *Accounts) Login(ctx context.Context, in LoginInput) (*User, error) {
	verr := &models.ValidationError{}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	switch {
	case email == "":
		verr.Add("email", "Enter your email address.")
	case len(email) > models.MaxEmailLength:
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
	err := s.ThrottledLogin(ctx, NewLoginKeys("account:"+email, in.ClientIP), func() (err error) {
		u, err = s.Authenticate(ctx, email, in.Password)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// throttledLogin runs authenticate unless the address is throttled or the
// account's pace says wait. An ErrInvalidCredentials is counted; a success
// clears what the account's owner had counted against it.
func (s *Accounts) ThrottledLogin(ctx context.Context, k loginKeys, authenticate func() error) error {
	if err := s.checkFailures(ctx, k); err != nil {
		return err
	}
	if k.account != "" {
		if err := s.claimPace(ctx, k.account); err != nil {
			return err
		}
	}
	err := authenticate()
	if errors.Is(err, models.ErrInvalidCredentials) {
		if rerr := s.recordFailure(ctx, k); rerr != nil {
			return rerr
		}
		return err
	}
	if err != nil {
		return err
	}
	return s.clearFailures(ctx, k)
}
