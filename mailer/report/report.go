// Package report reads the machine-readable reports mail systems send back
// about a message: delivery status notifications (DSN, RFC 3464, also the
// UTF-8 form of RFC 6533) and feedback reports (ARF, RFC 5965). It reads
// what it needs from untrusted input within fixed limits and never panics;
// what a report means for the message is the caller's business.
package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Kind is what sort of report a message carries.
type Kind int

const (
	// DeliveryStatus is a DSN: the message bounced or is delayed.
	DeliveryStatus Kind = iota + 1
	// Feedback is an ARF report: someone reported the message.
	Feedback
)

// Report is what Sesame reads from a report.
type Report struct {
	Kind Kind
	// Recipients are a DSN's per-recipient fields.
	Recipients []Recipient
	// FeedbackType is an ARF report's Feedback-Type, lowercased: abuse,
	// fraud, virus, other, not-spam, auth-failure.
	FeedbackType string
	// Reporter names who sent the report: an ARF report's User-Agent, or
	// the Reporting-MTA.
	Reporter string
	// OriginalMailFrom is the reported message's return path as an ARF
	// report quotes it.
	OriginalMailFrom string
	// OriginalMessageID is the Message-ID of the message the report returns
	// (whole or its header only), as written.
	OriginalMessageID string
	// Fingerprint is a digest of the machine-readable part: the same for a
	// copy of the report, however it was re-wrapped on the way.
	Fingerprint string
}

// Recipient is what a DSN says about one recipient.
type Recipient struct {
	FinalRecipient string // the address, without its type
	Action         string // failed, delayed, delivered, relayed, expanded (lowercase)
	Status         string // the enhanced status code, such as 5.1.1
	Diagnostic     string // the remote reply, without its type
	RemoteMTA      string
}

// Permanent reports a permanent failure: the recipient's address is bad.
func (r Recipient) Permanent() bool {
	return (r.Action == "failed" || r.Action == "") && strings.HasPrefix(r.Status, "5.")
}

// Bounced reports a failure or a delay, rather than news of a delivery.
func (r Recipient) Bounced() bool {
	switch r.Action {
	case "failed", "delayed", "":
		return strings.HasPrefix(r.Status, "4.") || strings.HasPrefix(r.Status, "5.")
	}
	return false
}

// Bounce is the recipient a DSN reports as failed or delayed, a permanent
// failure first; ok is false when it only tells of deliveries. Sesame sends
// each message to one recipient, so a DSN about it has one in practice.
func (r *Report) Bounce() (rcpt Recipient, ok bool) {
	if r.Kind != DeliveryStatus {
		return Recipient{}, false
	}
	for _, rc := range r.Recipients {
		if rc.Permanent() {
			return rc, true
		}
		if rc.Bounced() && !ok {
			rcpt, ok = rc, true
		}
	}
	return rcpt, ok
}

// Complaint reports an ARF report of unwanted mail. "not-spam" takes a
// report back and "auth-failure" is about authentication, not the reader.
func (r *Report) Complaint() bool {
	return r.Kind == Feedback && r.FeedbackType != "not-spam" && r.FeedbackType != "auth-failure"
}

// ErrNoReport is a message without a report part: a plain-text bounce, an
// auto-reply, spam.
var ErrNoReport = errors.New("report: no delivery-status or feedback-report part")

// Limits on untrusted input: how deep and wide the MIME tree is walked, and
// how much of a machine-readable part or a returned header is read.
const (
	maxDepth       = 4
	maxParts       = 64
	maxFieldsBytes = 64 << 10
	maxHeaderBytes = 256 << 10
	maxFieldGroups = 100
)

// Parse reads a report from a whole message. An error means there was no
// report in it that Sesame can read.
func Parse(r io.Reader) (*Report, error) {
	e, err := message.Read(r)
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	p := &parser{}
	if err := p.walk(e, 0); err != nil && p.report.Kind == 0 {
		return nil, err
	}
	if p.report.Kind == 0 {
		return nil, ErrNoReport
	}
	return &p.report, nil
}

type parser struct {
	report Report
	parts  int
}

// walk visits the parts of e, depth first, until the limits.
func (p *parser) walk(e *message.Entity, depth int) error {
	if p.parts++; p.parts > maxParts {
		return nil
	}
	mediaType, _, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		if depth >= maxDepth {
			return nil
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				return err // a broken part ends the walk; what was read stands
			}
			if err := p.walk(part, depth+1); err != nil {
				return err
			}
		}
	}
	switch mediaType {
	case "message/delivery-status", "message/global-delivery-status":
		if p.report.Kind == 0 {
			p.deliveryStatus(e.Body)
		}
	case "message/feedback-report":
		if p.report.Kind == 0 {
			p.feedbackReport(e.Body)
		}
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
		if p.report.OriginalMessageID == "" {
			p.original(e.Body)
		}
	}
	return nil
}

// fieldGroups reads a machine-readable part: groups of header fields
// separated by blank lines. It returns what it read before any error, and
// the part's fingerprint.
func fieldGroups(body io.Reader) ([]textproto.Header, string) {
	raw, _ := io.ReadAll(io.LimitReader(body, maxFieldsBytes))
	br := bufio.NewReader(bytes.NewReader(raw))
	var groups []textproto.Header
	for range maxFieldGroups {
		h, err := textproto.ReadHeader(br)
		if h.Len() > 0 {
			groups = append(groups, h)
		}
		if err != nil {
			break
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
	}
	return groups, fingerprint(raw)
}

// fingerprint digests a machine-readable part with line endings and
// trailing white space normalised, as mail relays may change them.
func fingerprint(raw []byte) string {
	h := sha256.New()
	for line := range bytes.Lines(raw) {
		h.Write(bytes.TrimRight(line, " \t\r\n"))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (p *parser) deliveryStatus(body io.Reader) {
	groups, fp := fieldGroups(body)
	p.report.Kind, p.report.Fingerprint = DeliveryStatus, fp
	for i, g := range groups {
		if i == 0 && !g.Has("Final-Recipient") && !g.Has("Status") { // the per-message fields
			p.report.Reporter = typedValue(g.Get("Reporting-MTA"))
			continue
		}
		rc := Recipient{
			FinalRecipient: unbracket(typedValue(firstOf(g, "Final-Recipient", "Original-Recipient"))),
			Action:         strings.ToLower(firstWord(g.Get("Action"))),
			Diagnostic:     typedValue(g.Get("Diagnostic-Code")),
			RemoteMTA:      typedValue(g.Get("Remote-MTA")),
		}
		rc.Status = statusCode(g.Get("Status"), rc.Diagnostic)
		p.report.Recipients = append(p.report.Recipients, rc)
	}
}

func (p *parser) feedbackReport(body io.Reader) {
	groups, fp := fieldGroups(body)
	p.report.Kind, p.report.Fingerprint = Feedback, fp
	if len(groups) == 0 {
		return
	}
	g := groups[0]
	p.report.FeedbackType = strings.ToLower(firstWord(g.Get("Feedback-Type")))
	p.report.Reporter = clean(g.Get("User-Agent"))
	if p.report.Reporter == "" {
		p.report.Reporter = typedValue(g.Get("Reporting-MTA"))
	}
	p.report.OriginalMailFrom = unbracket(clean(g.Get("Original-Mail-From")))
}

// original reads the Message-ID of a returned message or header.
func (p *parser) original(body io.Reader) {
	h, _ := textproto.ReadHeader(bufio.NewReader(io.LimitReader(body, maxHeaderBytes)))
	p.report.OriginalMessageID = clean(h.Get("Message-Id"))
}

var (
	enhancedCode = regexp.MustCompile(`(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?:[^\d.]|$)`)
	basicCode    = regexp.MustCompile(`^([245])\d\d(?:[ -]|$)`)
)

// statusCode is the enhanced status code of a Status field, else one the
// diagnostic gives ("550 5.1.1 …", or "550 …" as 5.0.0).
func statusCode(status, diagnostic string) string {
	for _, s := range []string{status, diagnostic} {
		if m := enhancedCode.FindStringSubmatch(s); m != nil {
			return m[1] + "." + m[2] + "." + m[3]
		}
	}
	if m := basicCode.FindStringSubmatch(diagnostic); m != nil {
		return m[1] + ".0.0"
	}
	return ""
}

// typedValue strips the type of a DSN field ("rfc822; ann@example.com",
// "smtp; 550 …", "dns; mx.example.com").
func typedValue(v string) string {
	v = clean(v)
	if typ, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(typ, " <>@") {
		return strings.TrimSpace(rest)
	}
	return v
}

func firstOf(h textproto.Header, keys ...string) string {
	for _, k := range keys {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func firstWord(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimRight(f[0], ";,")
}

func unbracket(v string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "<"), ">")
}

// clean makes a field value safe to show and store: valid UTF-8, folded
// onto one line.
func clean(v string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(v, "?")), " ")
}
