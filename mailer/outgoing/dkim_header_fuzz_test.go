package outgoing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/sesame-email/sesame/models/identity"
)

// relaxedHeaderReference is RFC 6376 3.4.2 written the obvious way, as
// go-msgauth writes it: the name lower-cased and trimmed, the value
// unfolded with its runs of white space as one space and none at its ends.
func relaxedHeaderReference(field string) string {
	name, value, _ := strings.Cut(field, ":")
	value = strings.Join(strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }), " ")
	return strings.TrimSpace(strings.ToLower(name)) + ":" + value + "\r\n"
}

// wellFormedValue reports whether value can follow "Subject:" in a header:
// line breaks only as CRLF, and each followed by white space (folding).
func wellFormedValue(value []byte) bool {
	for i, c := range value {
		switch {
		case c == '\r' && !(i+2 < len(value) && value[i+1] == '\n' && (value[i+2] == ' ' || value[i+2] == '\t')):
			return false
		case c == '\n' && (i == 0 || value[i-1] != '\r'):
			return false
		}
	}
	return true
}

// FuzzRelaxedHeader holds the header canonicalisation to the obvious one
// for any field, and, for any field a message can carry, holds the
// signature over it to go-msgauth's verifier: values folded, spaced, in
// any bytes.
func FuzzRelaxedHeader(f *testing.F) {
	for _, seed := range []string{
		"Hello", " Hello  world \t", "\tfolded\r\n  over\r\n\tlines ", "", " ", "Caf\xc3\xa9 =?utf-8?q?x?=", "a:b:c",
		"nul\x00 and \x1b escape", "\xff\xfe not utf-8", "ends folded\r\n ", "lone\rcr", "lone\nlf", "\r\n",
	} {
		f.Add([]byte(seed))
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	keys := []identity.SigningKey{{Selector: "ed", Signer: key}}
	f.Fuzz(func(t *testing.T, value []byte) {
		field := append([]byte("SubJect :"), value...)
		if got, want := string(appendRelaxedHeader(nil, field)), relaxedHeaderReference(string(field)); got != want {
			t.Fatalf("field %q: %q, want %q", field, got, want)
		}
		if !wellFormedValue(value) {
			return
		}
		msg := append(append([]byte("From: a@example.test\r\nSubject:"), value...), "\r\n\r\nHi\r\n"...)
		sigs, err := signatures(msg, "example.test", keys)
		if err != nil {
			t.Fatal(err)
		}
		verifications, err := dkim.VerifyWithOptions(bytes.NewReader(append(sigs, msg...)), &dkim.VerifyOptions{
			LookupTXT: func(string) ([]string, error) { return []string{record}, nil },
		})
		if err != nil || len(verifications) != 1 || verifications[0].Err != nil {
			t.Fatalf("subject %q: %v %+v", value, err, verifications)
		}
	})
}
