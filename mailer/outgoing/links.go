package outgoing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
	"sync"
)

// Links makes and checks the signed URLs Sesame puts into mail. A token is
// the payload and a truncated HMAC-SHA256 of it, keyed with a key derived
// from SESAME_SECRET_KEY, so nobody can forge a link for another message.
type Links struct {
	base string // the public URL, without a trailing slash
	// signers are reused: the open pixel checks a token per request, and
	// a fresh HMAC with its buffers cost more than the check itself.
	signers sync.Pool // of *signer
}

// signer is an HMAC keyed for links, with buffers for what it signs and
// for the signature.
type signer struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
	sig [32]byte
}

// NewLinks builds link signing for the public URL.
func NewLinks(publicURL string, key []byte) *Links {
	l := &Links{base: strings.TrimSuffix(publicURL, "/")}
	l.signers.New = func() any { return &signer{mac: hmac.New(sha256.New, key)} }
	return l
}

// Link kinds: the first byte of what is signed, so a token made for one
// purpose is worthless for another.
const (
	linkUnsubscribe = 'u'
	linkOpen        = 'o'
	linkClick       = 'c'
)

var tokenEncoding = base64.RawURLEncoding

// sigLen is the length of an encoded signature: 16 bytes of the HMAC.
var sigLen = tokenEncoding.EncodedLen(16)

// sign returns the encoded signature of s.buf (the kind, then the
// payload), valid until the signer's next use.
func (s *signer) sign() []byte {
	s.mac.Reset()
	s.mac.Write(s.buf)
	tokenEncoding.Encode(s.sig[:], s.mac.Sum(s.sum[:0])[:16])
	return s.sig[:sigLen]
}

func (l *Links) token(kind byte, payload string) string {
	s := l.signers.Get().(*signer)
	defer l.signers.Put(s)
	s.buf = append(append(s.buf[:0], kind), payload...)
	return tokenEncoding.EncodeToString([]byte(payload)) + "." + string(s.sign())
}

func (l *Links) verify(kind byte, token string) (string, bool) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(sig) != sigLen {
		return "", false
	}
	s := l.signers.Get().(*signer)
	defer l.signers.Put(s)
	var err error
	if s.buf, err = tokenEncoding.AppendDecode(append(s.buf[:0], kind), []byte(enc)); err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(sig), s.sign()) {
		return "", false
	}
	return string(s.buf[1:]), true
}

// UnsubscribeURL is the one-click unsubscribe link of a message (RFC 8058).
func (l *Links) UnsubscribeURL(messageUID string) string {
	return l.base + "/u/" + l.token(linkUnsubscribe, messageUID)
}

// ParseUnsubscribe returns the message an unsubscribe token was made for.
func (l *Links) ParseUnsubscribe(token string) (string, bool) {
	return l.verify(linkUnsubscribe, token)
}

// OpenURL is the tracking pixel of a message.
func (l *Links) OpenURL(messageUID string) string {
	return l.base + "/t/o/" + l.token(linkOpen, messageUID) + ".gif"
}

// ParseOpen returns the message an open token was made for.
func (l *Links) ParseOpen(token string) (string, bool) {
	return l.verify(linkOpen, strings.TrimSuffix(token, ".gif"))
}

// ClickURL wraps a link of a message. The token carries the original URL
// and is signed with the message, so the redirect can only lead where the
// message's own link led.
func (l *Links) ClickURL(messageUID, target string) string {
	return l.base + "/t/c/" + l.token(linkClick, messageUID+" "+target)
}

// ParseClick returns the message and original URL of a click token.
func (l *Links) ParseClick(token string) (uid, target string, ok bool) {
	payload, ok := l.verify(linkClick, token)
	if !ok {
		return "", "", false
	}
	uid, target, ok = strings.Cut(payload, " ")
	return uid, target, ok
}
