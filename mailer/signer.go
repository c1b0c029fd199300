package mailer

import (
	"crypto/rsa"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/rsasign"
	"github.com/sesame-email/sesame/models/identity"
)

// Signer is what makes the engine's RSA signatures and, when that is Go
// although OpenSSL was not refused in the configuration, why: libcrypto 3
// did not load, or the binary was built without cgo.
func (e *Engine) Signer() (outgoing.RSASigner, error) {
	if e.cfg.Signer == outgoing.SignerGo {
		return outgoing.SignerGo, nil
	}
	if err := rsasign.Available(); err != nil {
		return outgoing.SignerGo, err
	}
	return outgoing.SignerOpenSSL, nil
}

// loadSigners loads the RSA keys of a domain's keys, as just read, into
// libcrypto when it signs. A key that cached (the keys as read before)
// already holds loaded is reused, so a refresh that finds the same key
// costs nothing; a loaded key no longer among keys has been rotated away
// and is closed: messages still signing with it finish with crypto/rsa.
func (e *Engine) loadSigners(keys, cached []identity.SigningKey) []identity.SigningKey {
	if signer, _ := e.Signer(); signer != outgoing.SignerOpenSSL {
		return keys
	}
	kept := map[*rsasign.Key]bool{}
	for i, k := range keys {
		priv, ok := k.Signer.(*rsa.PrivateKey)
		if !ok {
			continue
		}
		if old := loadedKey(cached, priv); old != nil {
			keys[i].Signer, kept[old] = old, true
			continue
		}
		loaded, err := rsasign.Load(priv)
		if err != nil {
			e.log.Warn("DKIM key signs with crypto/rsa: libcrypto refused it", "selector", k.Selector, "err", err)
			continue
		}
		keys[i].Signer = loaded
	}
	for _, k := range cached {
		if old, ok := k.Signer.(*rsasign.Key); ok && !kept[old] {
			old.Close()
		}
	}
	return keys
}

// loadedKey is the loaded key among keys that is priv, or nil.
func loadedKey(keys []identity.SigningKey, priv *rsa.PrivateKey) *rsasign.Key {
	for _, k := range keys {
		if loaded, ok := k.Signer.(*rsasign.Key); ok && priv.PublicKey.Equal(loaded.Public()) {
			return loaded
		}
	}
	return nil
}
