package mailer

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"log/slog"
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/rsasign"
	"github.com/sesame-email/sesame/models/identity"
)

// The key cache loads an RSA key into libcrypto once: a refresh that reads
// the same key again keeps the loaded one, a rotation loads the new key and
// frees the old one, and Ed25519 keys are left as they are.
func TestKeysAreLoadedOnceAndFreedWhenRotated(t *testing.T) {
	if err := rsasign.Available(); err != nil {
		t.Skip(err)
	}
	e := NewEngine(EngineStores{}, nil, nil, nil, slog.New(slog.DiscardHandler), EngineConfig{})
	first, second := generateRSA(t), generateRSA(t)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	read := func(selector string, key *rsa.PrivateKey) []identity.SigningKey {
		// As the store returns them: freshly parsed on every read.
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		return []identity.SigningKey{{Selector: selector, Signer: parsed.(*rsa.PrivateKey)}, {Selector: "ed", Signer: ed}}
	}

	cached := e.loadSigners(read("s1", first), nil)
	loaded, ok := cached[0].Signer.(*rsasign.Key)
	if _, isEd := cached[1].Signer.(ed25519.PrivateKey); !ok || !loaded.Loaded() || !isEd {
		t.Fatalf("first read: %T, %T", cached[0].Signer, cached[1].Signer)
	}
	refreshed := e.loadSigners(read("s1", first), cached)
	if refreshed[0].Signer != loaded || !loaded.Loaded() {
		t.Errorf("a refresh loaded the same key again: %p, was %p", refreshed[0].Signer, loaded)
	}
	rotated := e.loadSigners(read("s2", second), refreshed)
	if k, ok := rotated[0].Signer.(*rsasign.Key); !ok || !k.Loaded() || !second.PublicKey.Equal(k.Public()) {
		t.Errorf("after rotation: %T", rotated[0].Signer)
	}
	if loaded.Loaded() {
		t.Error("the rotated key is still loaded in libcrypto")
	}
}

// With the Go signer asked for, keys stay crypto/rsa's.
func TestGoSignerLeavesKeysAlone(t *testing.T) {
	e := NewEngine(EngineStores{}, nil, nil, nil, slog.New(slog.DiscardHandler), EngineConfig{Signer: outgoing.SignerGo})
	key := generateRSA(t)
	if signer, err := e.Signer(); signer != outgoing.SignerGo || err != nil {
		t.Errorf("signer %s, %v", signer, err)
	}
	if keys := e.loadSigners([]identity.SigningKey{{Selector: "s1", Signer: key}}, nil); keys[0].Signer != key {
		t.Errorf("%T", keys[0].Signer)
	}
}

func generateRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
