package smtpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// Submission's refusals.
var (
	errSenderGone     = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "The sender address you authenticated as no longer exists"}
	errNotVerified    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "The sender's domain is not verified, so it cannot send"}
	errBadRecipient   = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
	errBareLineBreak  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Message refused: a bare CR or LF; every line must end with CRLF"}
	errSubmissionSize = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big for the 10 MB limit"}
)

// submissionFrom checks MAIL FROM: an address of the authenticated sender's
// domain, and that domain still verified. What the session knows about the
// sender is read again once it is SenderRecheck old, so an address deleted
// or a domain that failed its re-check stops sending, also on a connection
// that stays open; reading it for every message would cost more than the
// rest of the submission.
func (ss *session) submissionFrom(from string) error {
	if now := ss.srv.cfg.Clock.Now(); now.Sub(ss.senderRead) >= ss.srv.cfg.SenderRecheck {
		ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
		defer cancel()
		sender, err := ss.srv.store.Senders.GetSenderByEmail(ctx, ss.sender.Email)
		if errors.Is(err, models.ErrNotFound) {
			return errSenderGone
		}
		if err != nil {
			ss.log().Error("reading the authenticated sender", "err", err)
			return errTryLater
		}
		ss.sender, ss.senderRead = sender, now
	}
	if err := ss.srv.store.Sending.CheckSender(ss.sender, ""); err != nil {
		return refused(err)
	}
	if _, err := ss.sender.SendingAs(from, ""); err != nil {
		return notAllowed(553, "Sender address", err)
	}
	return nil
}

// refused words a sending rule's refusal as an SMTP reply.
func refused(err error) error {
	var r *sending.Refusal
	if !errors.As(err, &r) {
		return notAllowed(550, "Sender", err)
	}
	switch r.Rule {
	case sending.SenderCannotSend:
		return errNotVerified
	case sending.TooLarge:
		return errSubmissionSize
	}
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message refused: " + r.Message}
}

// notAllowed is a refused MAIL FROM, From or Sender, with the rule it broke.
func notAllowed(code int, what string, err error) error {
	var verr *models.ValidationError
	reason := "not allowed"
	if errors.As(err, &verr) {
		reason = verr.Field("from")
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: what + " refused: " + reason}
}

// submissionRcpt takes a recipient, once however often it is given.
func (ss *session) submissionRcpt(to string) error {
	email, err := models.NormalizeEmail(to)
	if err != nil {
		return errBadRecipient
	}
	for _, r := range ss.rcpts {
		if r.Email == email {
			return nil
		}
	}
	ss.rcpts = append(ss.rcpts, queue.Addressee{Email: email})
	return nil
}

// submit reads the message, checks it, and queues one message per
// recipient in one transaction before answering; the answer names them.
func (ss *session) submit(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // over the size limit (go-smtp's 552), or the client is gone
	}
	sub, err := mailer.ReadSubmission(raw)
	var invalid *mailer.InvalidSubmissionError
	switch {
	case errors.Is(err, mailer.ErrBareLineBreak):
		ss.log().Warn("refused a message with bare line breaks (SMTP smuggling?)", "user", ss.sender.Email)
		return errBareLineBreak
	case errors.Is(err, outgoing.ErrMessageTooLarge):
		return errSubmissionSize
	case errors.As(err, &invalid):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: " + invalid.Reason}
	case err != nil:
		return err
	}
	as, header, err := sub.SendingAs(ss.sender)
	if err != nil {
		return notAllowed(550, header+" header", err)
	}
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	msgs, err := ss.srv.store.Sending.Submit(ctx, sending.Request{
		Sender:  as,
		Content: queue.MessageContent{Raw: raw, Subject: models.PlainText(sub.Subject)},
		To:      ss.rcpts,
	})
	var refusal *sending.Refusal
	switch {
	case errors.As(err, &refusal):
		return refused(refusal)
	case err != nil:
		ss.log().Error("queueing a submitted message", "err", err)
		return errTryLater
	}
	ss.log().Info("SMTP submission queued", "user", ss.sender.Email, "uid", msgs[0].UID, "recipients", len(msgs), "bytes", len(raw))
	return queued(msgs)
}

// queued is the 250 reply naming what was queued: one message per
// recipient, each with its own id. The last line names the first, as
// Postfix's "queued as" does; with several recipients a line per
// recipient comes before it.
func queued(msgs []queue.Message) error {
	var b strings.Builder
	if len(msgs) > 1 {
		for _, m := range msgs {
			fmt.Fprintf(&b, "2.0.0 <%s> queued as %s\n", m.Recipient, m.UID)
		}
	}
	b.WriteString("Ok: queued as " + msgs[0].UID)
	if len(msgs) > 1 {
		fmt.Fprintf(&b, " and %d more, one message per recipient", len(msgs)-1)
	}
	// go-smtp answers with the code of an SMTPError, a 250 too.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: b.String()}
}
