package smtpd

import (
	"context"
	"errors"
	"log/slog"

	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/report"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
)

// The bounce mailbox's refusals.
var (
	errRelayDenied = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	errNoMailbox   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	errTryLater    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
)

// reportMailboxes are the mailboxes of a bounce domain besides the VERP
// return paths: fbl, the address to register with feedback loops (they
// send to the address they were given, not to the return path), and the
// postmaster and abuse addresses mail domains keep (RFC 5321, RFC 2142).
// A report there names its message by the return path or Message-ID of
// the message it reports.
var reportMailboxes = map[string]bool{"fbl": true, "postmaster": true, "abuse": true}

// bounceRecipient accepts a VERP return path or a report mailbox at
// bounce.<domain> of a domain Sesame sends for.
func (s *Server) bounceRecipient(ctx context.Context, to string) (outgoing.BounceAddress, error) {
	addr, ok := outgoing.ParseBounceAddress(to)
	if !ok {
		return addr, errRelayDenied
	}
	if _, err := s.store.Domains.GetDomainByName(ctx, addr.Domain); errors.Is(err, models.ErrNotFound) {
		return addr, errRelayDenied
	} else if err != nil {
		s.log.Error("looking up a bounce domain", "domain", addr.Domain, "err", err)
		return addr, errTryLater
	}
	if addr.UID == "" && !reportMailboxes[addr.Local] {
		return addr, errNoMailbox
	}
	return addr, nil
}

// deliverReport applies a report to the messages it is about. What cannot
// be read or matched is accepted and dropped, since refusing it would only
// bounce the bounce; a failing store answers 451 so the report comes again,
// and the replay changes nothing that was recorded.
func (s *Server) deliverReport(ctx context.Context, log *slog.Logger, to []outgoing.BounceAddress, rep *report.Report, parseErr error) error {
	if parseErr != nil {
		log.Debug("dropped a message that is no report", "err", parseErr)
		return nil
	}
	refs := messagesOf(to, rep)
	if len(refs) == 0 {
		log.Debug("dropped a report that names no message of ours", "original", rep.OriginalMessageID)
		return nil
	}
	for _, ref := range refs {
		log := log.With("uid", ref.UID, "domain", ref.Domain)
		err := s.applyReport(ctx, log, ref, rep)
		if errors.Is(err, models.ErrNotFound) {
			log.Debug("dropped a report about an unknown message")
		} else if err != nil {
			log.Error("recording a report", "err", err)
			return errTryLater
		}
	}
	return nil
}

// messagesOf names the messages a report is about: a VERP recipient names
// its message; a report to a report mailbox names it by the return path it
// quotes (ARF's Original-Mail-From), else by the Message-ID of the message
// it returns.
func messagesOf(to []outgoing.BounceAddress, rep *report.Report) []queue.MessageRef {
	var refs []queue.MessageRef
	add := func(ref queue.MessageRef) {
		for _, r := range refs {
			if r == ref {
				return
			}
		}
		refs = append(refs, ref)
	}
	for _, addr := range to {
		if ref, ok := addr.Message(); ok {
			add(ref)
		} else if ref, ok := outgoing.ParseReturnPath(rep.OriginalMailFrom); ok {
			add(ref)
		} else if ref, ok := outgoing.ParseMessageID(rep.OriginalMessageID); ok {
			add(ref)
		}
	}
	return refs
}

func (s *Server) applyReport(ctx context.Context, log *slog.Logger, ref queue.MessageRef, rep *report.Report) error {
	switch rep.Kind {
	case report.DeliveryStatus:
		rcpt, ok := rep.Bounce()
		if !ok {
			log.Debug("dropped a report of a delivery")
			return nil
		}
		changed, err := s.store.Reports.RecordBounce(ctx, queue.Bounce{Message: ref, Hard: rcpt.Permanent(),
			Status: rcpt.Status, Diagnostic: rcpt.Diagnostic, Fingerprint: rep.Fingerprint})
		if err == nil {
			log.Info("bounce report", "hard", rcpt.Permanent(), "status", rcpt.Status, "reporter", rep.Reporter, "new", changed)
		}
		return err
	case report.Feedback:
		if !rep.Complaint() {
			log.Debug("dropped a feedback report that is no complaint", "type", rep.FeedbackType)
			return nil
		}
		changed, err := s.store.Reports.RecordComplaint(ctx, queue.Complaint{Message: ref, FeedbackType: rep.FeedbackType, Reporter: rep.Reporter})
		if err == nil {
			log.Info("complaint", "type", rep.FeedbackType, "reporter", rep.Reporter, "new", changed)
		}
		return err
	}
	return nil
}
