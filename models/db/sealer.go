package db

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// Sealer encrypts secrets kept at rest (DKIM private keys, API secret keys)
// with AES-256-GCM under a key derived from SESAME_SECRET_KEY. A sealed value
// is nonce || ciphertext || tag; the purpose is bound as additional data so a
// value sealed for one column cannot be swapped into another.
type Sealer struct{ aead cipher.AEAD }

// NewSealer takes a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("sealer: key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for purpose.
func (s *Sealer) Seal(purpose string, plaintext []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
}

// ErrUnsealable means a secret was sealed under another key (a changed
// SESAME_SECRET_KEY) or was altered.
var ErrUnsealable = errors.New("stored secret cannot be decrypted: was SESAME_SECRET_KEY changed?")

// Open decrypts what Seal produced for the same purpose.
func (s *Sealer) Open(purpose string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnsealable
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil, ErrUnsealable
	}
	return out, nil
}
