// Package rsasign makes RSA PKCS#1 v1.5 SHA-256 signatures, DKIM's
// rsa-sha256, through the system's OpenSSL 3 libcrypto when it can be
// loaded, and through Go's crypto/rsa otherwise. libcrypto makes an
// RSA-2048 signature in about a third of crypto/rsa's CPU time, and
// signing was three quarters of delivery's CPU. PKCS#1 v1.5 signatures
// are deterministic, so both make the same bytes and a receiver cannot
// tell which one signed.
package rsasign

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"runtime"
	"sync"
)

// Available says whether signatures can go through libcrypto: nil when
// libcrypto.so.3 was found and loaded, else why not.
func Available() error {
	loadOnce.Do(func() { loadErr = load() })
	return loadErr
}

var (
	loadOnce sync.Once
	loadErr  error
)

// Key is an RSA private key loaded into libcrypto. It is a crypto.Signer
// that signs SHA-256 digests with PKCS#1 v1.5 padding in libcrypto, and
// hands anything else, and every signature after Close, to crypto/rsa.
type Key struct {
	priv *rsa.PrivateKey
	*loaded
}

// loaded is the libcrypto side of a Key. It is apart from Key so that the
// clean-up that frees it when a Key is dropped without Close does not keep
// the Key reachable.
type loaded struct {
	mu sync.RWMutex // shared while signing, exclusive to free
	k  *cKey        // nil once freed
}

// Load copies priv into libcrypto; Close frees that copy. Keys that
// crypto/rsa refuses to sign with (invalid, or under 1,024 bits) are
// refused here too, so that both signers answer alike.
func Load(priv *rsa.PrivateKey) (*Key, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if err := priv.Validate(); err != nil {
		return nil, err
	}
	if priv.N.BitLen() < 1024 {
		return nil, errors.New("rsasign: keys under 1024 bits are insecure")
	}
	k, err := loadKey(priv)
	if err != nil {
		return nil, err
	}
	key := &Key{priv: priv, loaded: &loaded{k: k}}
	// A key dropped without Close is freed when it becomes garbage.
	runtime.AddCleanup(key, (*loaded).free, key.loaded)
	return key, nil
}

// Public is the key's public half.
func (k *Key) Public() crypto.PublicKey { return &k.priv.PublicKey }

// Sign signs a SHA-256 digest with PKCS#1 v1.5 padding in libcrypto. Other
// options (PSS, other hashes) go to crypto/rsa, as do signatures asked of
// a closed key by whoever still held it: the bytes are the same.
func (k *Key) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss || opts.HashFunc() != crypto.SHA256 {
		return k.priv.Sign(rand, digest, opts)
	}
	if len(digest) != crypto.SHA256.Size() {
		return nil, errors.New("rsasign: input must be a SHA-256 digest")
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.k == nil {
		return k.priv.Sign(rand, digest, opts)
	}
	return k.k.sign(digest)
}

// Loaded says whether the key is still in libcrypto, that is not closed.
func (k *Key) Loaded() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.k != nil
}

// Close frees the key's copy in libcrypto once no signature is using it.
// It may be called more than once.
func (k *Key) Close() { k.free() }

func (l *loaded) free() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.k != nil {
		l.k.free()
		l.k = nil
	}
}
