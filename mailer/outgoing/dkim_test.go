package outgoing

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sesame-email/sesame/mailer/rsasign"
	"github.com/sesame-email/sesame/models/identity"
)

var bodyHashTag = regexp.MustCompile(`bh=([^;]+);`)

// msgauthBodyHash is the bh= go-msgauth computes for body.
func msgauthBodyHash(t testing.TB, key ed25519.PrivateKey, body []byte) string {
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(append([]byte("From: a@example.test\r\n\r\n"), body...)), &dkim.SignOptions{
		Domain: "example.test", Selector: "s", Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := bodyHashTag.FindSubmatch(bytes.ReplaceAll(out.Bytes(), []byte("\r\n "), nil))
	if m == nil {
		t.Fatalf("no bh= in %q", out.Bytes())
	}
	return string(bytes.TrimSpace(m[1]))
}

// The relaxed body canonicalisation hashes to what go-msgauth's does, for
// any body: lines with and without trailing or repeated white space, empty
// lines at the end, lone CRs and LFs.
func FuzzRelaxedBodyMatchesGoMsgauth(f *testing.F) {
	for _, seed := range []string{
		"", "\r\n", "\r\n\r\n", "a", "a\r\n", "a\r\n\r\n\r\n", "  \r\n \t \r\n", "a  b\t\tc \r\n",
		" lead\r\ntrail \t\r\n\r\nmid  dle\r\n", "lone\nlf\n\n", "lone\rcr\r", "\r\r\n\n\r", "x \r y\t\n z",
		"=3D quoted-printable=\r\n soft break\r\n", strings.Repeat("<p>Lorem  ipsum</p>\r\n", 50),
	} {
		f.Add([]byte(seed))
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(appendRelaxedBody(nil, body))
		if got, want := base64.StdEncoding.EncodeToString(sum[:]), msgauthBodyHash(t, key, body); got != want {
			t.Fatalf("body %q: bh=%s, go-msgauth %s (canonical %q)", body, got, want, appendRelaxedBody(nil, body))
		}
	})
}

// Both signatures of a dual-signed message verify with go-msgauth, also
// over folded, repeated and oddly spaced header fields and a body that
// needs canonicalising.
func TestSignVerifiesWithGoMsgauth(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	records := map[string]string{
		"rsa._domainkey.example.test": "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub),
		"ed._domainkey.example.test":  "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub),
	}
	msg := "Received: from a\r\nFrom: \"Ann\"\r\n <ann@example.test>\r\nTo:  bob@dest.test \r\nSubject :\tHello\r\n\tworld  again\r\n" +
		"subject: a later one, which is the one signed\r\nMIME-Version: 1.0\r\n\r\n" +
		"Hi  Bob, \r\n\ttabbed\r\n.leading dot\r\n\r\n\r\n"
	for name, rsaSigner := range rsaSigners(t, rsaKey) {
		t.Run("signer="+string(name), func(t *testing.T) {
			keys := []identity.SigningKey{{Selector: "rsa", Signer: rsaSigner}, {Selector: "ed", Signer: edKey}}
			sigs, err := signatures([]byte(msg), "example.test", keys)
			if err != nil {
				t.Fatal(err)
			}
			signed := append(sigs, msg...)
			for _, line := range strings.Split(string(signed), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line of %d characters: %q", len(line), line)
				}
			}
			verifications, err := dkim.VerifyWithOptions(bytes.NewReader(signed), &dkim.VerifyOptions{
				LookupTXT: func(domain string) ([]string, error) { return []string{records[domain]}, nil },
			})
			if err != nil || len(verifications) != 2 {
				t.Fatalf("%d signatures: %v", len(verifications), err)
			}
			for _, v := range verifications {
				if v.Err != nil || v.Domain != "example.test" {
					t.Errorf("signature %+v", v)
				}
			}
			// Changing a signed field breaks both.
			tampered := bytes.Replace(signed, []byte("a later one"), []byte("a forged one"), 1)
			verifications, _ = dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{
				LookupTXT: func(domain string) ([]string, error) { return []string{records[domain]}, nil },
			})
			for _, v := range verifications {
				if v.Err == nil {
					t.Errorf("a forged Subject verified: %+v", v)
				}
			}
		})
	}
}

// rsaSigners are key as each RSA signer holds it: crypto/rsa's own, and
// loaded into libcrypto where there is one to load it into.
func rsaSigners(t *testing.T, key *rsa.PrivateKey) map[RSASigner]crypto.Signer {
	signers := map[RSASigner]crypto.Signer{SignerGo: key}
	if err := rsasign.Available(); err != nil {
		t.Logf("only crypto/rsa: %v", err)
		return signers
	}
	loaded, err := rsasign.Load(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loaded.Close)
	signers[SignerOpenSSL] = loaded
	return signers
}

// The word-at-a-time test agrees with the obvious one, wherever in a word
// the tab or the pair of spaces falls.
func FuzzHasTabOrDoubleSpace(f *testing.F) {
	for _, seed := range []string{"", " ", "  ", "a b c", "\t", "1234567 8", "1234567  8", "12345678 \t", strings.Repeat("ab ", 20) + " "} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		want := bytes.IndexByte(text, '\t') >= 0 || bytes.Contains(text, []byte("  "))
		if got := hasTabOrDoubleSpace(text); got != want {
			t.Fatalf("%q: %v, want %v", text, got, want)
		}
	})
}
