package outgoing

import (
	"strings"

	"github.com/sesame-email/sesame/models/queue"
)

// How a sent message names itself, so that what comes back about it (a
// bounce to its return path, a complaint quoting its Message-ID) leads to it.
const (
	bounceLabel  = "bounce." // the return-path domain is bounce.<domain>
	verpPrefix   = "bounce+" // the return path is bounce+<uid>@bounce.<domain>
	messageIDSep = "@"       // the Message-ID is <uid@domain>
)

// EnvelopeFrom is the VERP return path of a message, bounce+<uid>@bounce.<domain>,
// so an asynchronous bounce names the message it is about.
func EnvelopeFrom(uid, domain string) string { return verpPrefix + uid + "@" + bounceLabel + domain }

// MessageID is a message's Message-ID without angle brackets, uid@domain:
// the same on every retry, and how a complaint quoting it names the message.
func MessageID(uid, domain string) string { return uid + "@" + domain }

// BounceAddress is an address at bounce.<domain>, where mail about messages
// sent from domain comes back.
type BounceAddress struct {
	Local  string // the local part, lowercased
	Domain string // the sending domain
	// UID is the message whose VERP return path this is; empty for any
	// other mailbox of the bounce domain.
	UID string
}

// ParseBounceAddress reads an address of a bounce domain. Case is ignored:
// uids and domain names are lowercase, and some servers change case.
func ParseBounceAddress(addr string) (BounceAddress, bool) {
	local, host, ok := cutAddress(strings.ToLower(addr))
	if !ok {
		return BounceAddress{}, false
	}
	domain, ok := strings.CutPrefix(host, bounceLabel)
	if !ok || domain == "" {
		return BounceAddress{}, false
	}
	a := BounceAddress{Local: local, Domain: domain}
	if uid, ok := strings.CutPrefix(local, verpPrefix); ok && queue.ValidMessageUID(uid) {
		a.UID = uid
	}
	return a, true
}

// Message names the message of a VERP return path.
func (a BounceAddress) Message() (queue.MessageRef, bool) {
	return queue.MessageRef{UID: a.UID, Domain: a.Domain}, a.UID != ""
}

// ParseMessageID reads the message a Message-ID Sesame generated names,
// with or without angle brackets.
func ParseMessageID(id string) (queue.MessageRef, bool) {
	uid, domain, ok := cutAddress(strings.ToLower(unbracket(id)))
	if !ok || !queue.ValidMessageUID(uid) {
		return queue.MessageRef{}, false
	}
	return queue.MessageRef{UID: uid, Domain: domain}, true
}

// ParseReturnPath reads the message a VERP return path names, as a report
// quotes it (Original-Mail-From), with or without angle brackets.
func ParseReturnPath(addr string) (queue.MessageRef, bool) {
	a, ok := ParseBounceAddress(unbracket(addr))
	if !ok {
		return queue.MessageRef{}, false
	}
	return a.Message()
}

// cutAddress splits local@host at the last @, both parts non-empty.
func cutAddress(addr string) (local, host string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", "", false
	}
	return addr[:at], addr[at+1:], true
}

// unbracket strips the angle brackets and space around an id or address.
func unbracket(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
}
