// Package accounts is the people who use Sesame and their credentials:
// console users and their sessions, API keys and the request signatures
// they made, settings, and the throttling of failed sign-ins.
package accounts

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"

	"github.com/sesame-email/sesame/models/db"
)

// Accounts is the store of users, sessions, API keys and settings.
type Accounts struct {
	*db.DB
	passwordCost int
	// dummyHash keeps a login for an unknown address as slow as a wrong
	// password, so response times do not reveal which addresses have accounts.
	// It is made on first use: commands that check no password (sesame
	// migrate, sesame warmup) do not pay for a bcrypt hash.
	dummyHash func() []byte
	// apiKeyTouches remembers when this process last wrote each API key's
	// last use (key id → time.Time).
	apiKeyTouches sync.Map
	// signatureSweep is when this process last swept expired API request
	// signatures (Unix nanoseconds).
	signatureSweep atomic.Int64
	// signatureUses gathers concurrent UseSignature calls into shared
	// commits.
	signatureUses *db.GroupCommit[*signatureUse]
}

// maxGroupedSignatures bounds the signature uses committed together.
const maxGroupedSignatures = 256

// New builds the store; passwordCost is the bcrypt cost of new password
// hashes, DefaultPasswordCost when zero (tests lower it).
func New(core *db.DB, passwordCost int) (*Accounts, error) {
	if passwordCost == 0 {
		passwordCost = DefaultPasswordCost
	}
	if passwordCost < bcrypt.MinCost || passwordCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("store: password cost %d is outside bcrypt's %d to %d", passwordCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return &Accounts{DB: core, passwordCost: passwordCost, dummyHash: sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("sesame-timing-equaliser"), passwordCost)
		return h
	}), signatureUses: &db.GroupCommit[*signatureUse]{Gorm: core.Gorm, Write: writeSignatureUses, MaxItems: maxGroupedSignatures}}, nil
}

// EqualiseTiming spends on password as long as checking it against a real
// hash takes, so that an unknown name answers as slowly as a wrong password.
func (s *Accounts) EqualiseTiming(password string) {
	_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
}
