package mailer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Links makes and checks the signed URLs Sesame puts into mail. A token is
// the payload and a truncated HMAC-SHA256 of it, keyed with a key derived
// from SESAME_SECRET_KEY, so nobody can forge a link for another message.
type Links struct {
	base string // the public URL, without a trailing slash
	key  []byte
}

// NewLinks builds link signing for the public URL.
func NewLinks(publicURL string, key []byte) *Links {
	return &Links{base: strings.TrimSuffix(publicURL, "/"), key: key}
}

// Link kinds: the first byte of what is signed, so a token made for one
// purpose is worthless for another.
const (
	linkUnsubscribe = 'u'
	linkOpen        = 'o'
	linkClick       = 'c'
)

var tokenEncoding = base64.RawURLEncoding

func (l *Links) sign(kind byte, payload string) string {
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte{kind})
	mac.Write([]byte(payload))
	return tokenEncoding.EncodeToString(mac.Sum(nil)[:16])
}

func (l *Links) token(kind byte, payload string) string {
	return tokenEncoding.EncodeToString([]byte(payload)) + "." + l.sign(kind, payload)
}

func (l *Links) verify(kind byte, token string) (string, bool) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	payload, err := tokenEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(l.sign(kind, string(payload)))) {
		return "", false
	}
	return string(payload), true
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
