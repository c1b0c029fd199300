package mailer_test

import (
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/rsasign"
)

// forEachSigner runs test with RSA signatures by crypto/rsa, then by
// libcrypto where there is one.
func forEachSigner(t *testing.T, test func(*testing.T, outgoing.RSASigner)) {
	for _, signer := range []outgoing.RSASigner{outgoing.SignerGo, outgoing.SignerOpenSSL} {
		t.Run("signer="+string(signer), func(t *testing.T) {
			if err := rsasign.Available(); signer == outgoing.SignerOpenSSL && err != nil {
				t.Skip(err)
			}
			test(t, signer)
		})
	}
}
