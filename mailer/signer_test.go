package mailer_test

import (
	"testing"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/rsasign"
)

// forEachSigner runs test with RSA signatures by crypto/rsa, then by
// libcrypto where there is one.
func forEachSigner(t *testing.T, test func(*testing.T, mailer.RSASigner)) {
	for _, signer := range []mailer.RSASigner{mailer.SignerGo, mailer.SignerOpenSSL} {
		t.Run("signer="+string(signer), func(t *testing.T) {
			if err := rsasign.Available(); signer == mailer.SignerOpenSSL && err != nil {
				t.Skip(err)
			}
			test(t, signer)
		})
	}
}
