package sending

import (
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules about the parts the APIs take apart from the content (the
// Tencent and the Amazon API alike): who sees which recipient, the headers
// a client may add, the names of attachments. Each API decodes its own
// format, then holds the parts to these rules before Submit.

// Recipients is To and Cc, then Bcc, each address once (ignoring case):
// every address the message is queued for. An address both visible and in
// Bcc is refused (BccVisible), since the copy would show it where Bcc must
// not.
func Recipients(to, cc, bcc []string) ([]string, error) {
	seen := map[string]bool{}
	var all []string
	for _, list := range [][]string{to, cc} {
		for _, addr := range list {
			if k := strings.ToLower(addr); !seen[k] {
				seen[k] = true
				all = append(all, addr)
			}
		}
	}
	for _, addr := range bcc {
		k := strings.ToLower(addr)
		if seen[k] {
			if slices.ContainsFunc(all, func(v string) bool { return strings.EqualFold(v, addr) }) {
				return nil, refuse(BccVisible, "bcc", "%s is both a visible recipient and in Bcc.", addr)
			}
			continue
		}
		seen[k] = true
		all = append(all, addr)
	}
	return all, nil
}

// MaxHeaders caps the headers a send adds.
const MaxHeaders = 50

// maxHeaderValue is RFC 5322's line limit.
const maxHeaderValue = 998

// reservedHeaders are set by Sesame (from the request's own fields, or
// while sending) and cannot be added as extra headers.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true, "message-id": true,
	"reply-to": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true, "return-path": true,
	"received": true, "dkim-signature": true, "list-unsubscribe": true, "list-unsubscribe-post": true,
}

// Headers is the rule for headers a send adds (BadHeader): at most
// MaxHeaders, each a valid field name that Sesame does not set itself,
// with a value of one line.
func Headers(in map[string]string) error {
	if len(in) > MaxHeaders {
		return refuse(BadHeader, "headers", "%d headers; at most %d are allowed.", len(in), MaxHeaders)
	}
	for k, v := range in {
		if !validHeaderName(k) {
			return refuse(BadHeader, "headers", "%q is not a header name.", truncate(k, 64))
		}
		if reservedHeaders[strings.ToLower(k)] {
			return refuse(BadHeader, "headers", "%s cannot be added: Sesame sets it (use the matching parameter).", k)
		}
		if strings.ContainsAny(v, "\r\n") || len(v) > maxHeaderValue || !utf8.ValidString(v) {
			return refuse(BadHeader, "headers", "The value of %s must be one line of at most %d bytes.", k, maxHeaderValue)
		}
	}
	return nil
}

// validHeaderName is RFC 5322's field name: printable ASCII but colon.
func validHeaderName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 33 || k[i] > 126 || k[i] == ':' {
			return false
		}
	}
	return true
}

// maxAttachmentName caps an attachment's file name, in characters.
const maxAttachmentName = 255

// AttachmentName is the rule for an attachment's file name (BadAttachment):
// 1 to 255 characters of UTF-8, a name and not a path, without quotes or
// control characters, which would break the MIME part that carries it. It
// returns the name trimmed.
func AttachmentName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || utf8.RuneCountInString(name) > maxAttachmentName || !utf8.ValidString(name) ||
		strings.ContainsAny(name, `/\"`) || strings.IndexFunc(name, unicode.IsControl) >= 0 || name != path.Base(name) {
		return "", refuse(BadAttachment, "attachments", "An attachment's file name must be 1 to 255 characters, without /, \\, \" or control characters.")
	}
	return name, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
