package mailer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
)

// Submission is what the pipeline needs to know about a message an SMTP
// client submitted as it is (raw): who it says it is from, and its subject
// for the console.
type Submission struct {
	From    *mail.Address
	Sender  *mail.Address // the Sender header, nil when absent
	Subject string
}

// SendingAs is the address of sender's domain the submission goes out
// as. The From header decides what receivers see, and DMARC aligns it with
// DKIM's domain, so it must be an address of the sender's domain, though
// another than the envelope's (SenderAddress.SendingAs); so must a Sender
// header. header names the header refused.
func (s *Submission) SendingAs(sender *identity.SenderAddress) (as *identity.SenderAddress, header string, err error) {
	if as, err = sender.SendingAs(s.From.Address, s.From.Name); err != nil {
		return nil, "From", err
	}
	if s.Sender != nil {
		if _, err := sender.SendingAs(s.Sender.Address, ""); err != nil {
			return nil, "Sender", err
		}
	}
	return as, "", nil
}

// ErrBareLineBreak is a message with a CR or LF that is not part of a CRLF.
// Such line ends are how SMTP smuggling hides a second message inside the
// first for a server further on that takes "\n.\n" as the end of the data;
// like Postfix's smtpd_forbid_bare_newline, they are refused outright.
var ErrBareLineBreak = errors.New("the message has a bare CR or LF: lines must end with CRLF")

// InvalidSubmissionError is a message that cannot be sent as it is.
type InvalidSubmissionError struct{ Reason string }

func (e *InvalidSubmissionError) Error() string { return "invalid message: " + e.Reason }

func invalidf(format string, args ...any) error {
	return &InvalidSubmissionError{Reason: fmt.Sprintf(format, args...)}
}

// ReadSubmission checks a raw message the way writeRaw will read it: its
// size, CRLF line ends only, a header that parses, exactly one From header
// with one address, and at most one Sender header with one address.
func ReadSubmission(raw []byte) (*Submission, error) {
	if len(raw) > content.MaxRawBytes {
		return nil, outgoing.ErrMessageTooLarge
	}
	if lf, cr := bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r")); lf != cr || bytes.Count(raw, []byte("\r\n")) != lf {
		return nil, ErrBareLineBreak
	}
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, invalidf("its header cannot be read: it must be header fields, an empty line, then the body")
	}
	h := mail.Header{Header: message.Header{Header: th}}
	s := &Submission{}
	if s.From, err = oneAddress(h, "From", true); err != nil {
		return nil, err
	}
	if s.Sender, err = oneAddress(h, "Sender", false); err != nil {
		return nil, err
	}
	if s.Subject, err = h.Subject(); err != nil {
		s.Subject = h.Get("Subject") // an unknown charset: shown as it came
	}
	return s, nil
}

// oneAddress reads a header that must name a single mailbox: a second
// From header, or a From with two authors, is how a message shows a
// receiver an address other than the one that was checked.
func oneAddress(h mail.Header, key string, required bool) (*mail.Address, error) {
	switch n := len(h.Values(key)); {
	case n == 0 && !required:
		return nil, nil
	case n == 0:
		return nil, invalidf("it has no %s header", key)
	case n > 1:
		return nil, invalidf("it has %d %s headers", n, key)
	}
	list, err := h.AddressList(key)
	if err != nil {
		return nil, invalidf("its %s header is not a valid address", key)
	}
	if len(list) != 1 {
		return nil, invalidf("its %s header must name exactly one address", key)
	}
	return list[0], nil
}
