// Package sending is the one path by which mail is queued. The console's
// test sends, the API's SendEmail, SMTP submission and tasks all submit
// through it, so a rule about who may send what, with what content, to
// whom, lives here once: each entry point only decodes its own wire format
// and words a Refusal in its own protocol.
package sending

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// Rule names a sending rule a request broke.
type Rule string

const (
	SenderUnknown       Rule = "sender_unknown"        // no such sender address
	SenderCannotSend    Rule = "sender_cannot_send"    // its domain may not send (not verified, delivery real)
	TemplateUnknown     Rule = "template_unknown"      // no such template
	TemplateNotApproved Rule = "template_not_approved" // waiting for review, or rejected
	InlineReviewed      Rule = "inline_reviewed"       // content without a template while templates are reviewed
	NoContent           Rule = "no_content"            // neither HTML nor text
	NoSubject           Rule = "no_subject"            // no subject, and the template has none
	BrokenVariables     Rule = "broken_variables"      // a {{variable}} that does not parse
	MissingVariables    Rule = "missing_variables"     // variables the content uses and the request lacks
	TooLarge            Rule = "too_large"             // over content.MaxMessageBytes
	NoRecipients        Rule = "no_recipients"
	AllSuppressed       Rule = "all_suppressed"   // every recipient is on the suppression list
	AllUnsubscribed     Rule = "all_unsubscribed" // ... each because they unsubscribed from the sender's domain
	GroupUnknown        Rule = "group_unknown"
	GroupEmpty          Rule = "group_empty"
	GroupImporting      Rule = "group_importing" // a CSV import of the group is still running
	BccVisible          Rule = "bcc_visible"     // an address both visible (To, Cc) and in Bcc (parts.go)
	BadHeader           Rule = "bad_header"      // an added header that is malformed or that Sesame sets
	BadAttachment       Rule = "bad_attachment"  // an attachment's file name
)

// Refusal is a request the rules refuse: which rule, about which form
// field (sender_id, template_id, group_id, to, variables, subject, html),
// and why, for people.
type Refusal struct {
	Rule    Rule
	Field   string
	Message string
	Missing []string // MissingVariables: the names
}

func (r *Refusal) Error() string { return r.Message }

func refuse(rule Rule, field, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalid is the refusal as a form's field error.
func (r *Refusal) Invalid() *models.ValidationError { return models.Invalid(r.Field, r.Message) }

// Service applies the rules and queues what passes them.
type Service struct {
	domains      *identity.Domains
	senders      *identity.Senders
	templates    *content.Templates
	audience     *audience.Audience
	suppressions *audience.Suppressions
	settings     *accounts.Accounts
	queue        *queue.Queue
}

// New builds the service on the stores it reads and the queue it fills.
func New(domains *identity.Domains, senders *identity.Senders, templates *content.Templates, audience *audience.Audience,
	suppressions *audience.Suppressions, settings *accounts.Accounts, queue *queue.Queue) *Service {
	return &Service{domains: domains, senders: senders, templates: templates, audience: audience, suppressions: suppressions,
		settings: settings, queue: queue}
}

// Request is one send: one content to a list of recipients.
type Request struct {
	Sender *identity.SenderAddress // with its Domain loaded
	// FromName replaces the sender address's display name in From.
	FromName string
	To       []queue.Addressee
	// TemplateID names an approved template: its subject (unless Content
	// gives one), HTML and text. Without it, Content carries the parts
	// itself, or Content.Raw a whole message as an SMTP client wrote it.
	TemplateID uint64
	Content    queue.MessageContent
	// AttachmentBytes is the decoded size of Content.Attachments.
	AttachmentBytes int
	Transactional   bool // sent first and not counted by warm-up
	// Guard runs in the transaction that queues the request, if it gets
	// that far (queue.EnqueueRequest.Guard).
	Guard queue.Guard
}

// Submit checks a request against every sending rule and queues one
// message per recipient. A refusal is a *Refusal, or a
// *models.ValidationError for a value that is malformed (a display name,
// a subject with control characters).
func (s *Service) Submit(ctx context.Context, req Request) ([]queue.Message, error) {
	if err := s.CheckSender(req.Sender, req.FromName); err != nil {
		return nil, err
	}
	if len(req.To) == 0 {
		return nil, refuse(NoRecipients, "to", "Give at least one recipient.")
	}
	if err := s.content(ctx, &req); err != nil {
		return nil, err
	}
	if err := s.checkSuppressions(ctx, req.Sender.Domain.Name, req.To); err != nil {
		return nil, err
	}
	return s.queue.Enqueue(ctx, queue.EnqueueRequest{Sender: req.Sender, Content: req.Content, To: req.To,
		Transactional: req.Transactional, FromName: req.FromName, Guard: req.Guard})
}

// CheckSender is the rule for who may send: a sender address whose domain
// can send now (identity.IdentityConfig.CanSend), under a display name
// that passes models.ValidateDisplayName.
func (s *Service) CheckSender(sender *identity.SenderAddress, fromName string) error {
	if sender == nil {
		return refuse(SenderUnknown, "sender_id", "Choose a sender address.")
	}
	if !s.domains.CanSend(sender.Domain) {
		return refuse(SenderCannotSend, "sender_id", "The domain of %s is not verified, so it cannot send: publish its DNS records and verify it first.", sender.Email)
	}
	if fromName != "" {
		verr := &models.ValidationError{}
		models.ValidateDisplayName(fromName, sender.Email, verr)
		return verr.OrNil()
	}
	return nil
}

// Sender loads a sender address for a send.
func (s *Service) Sender(ctx context.Context, id uint64) (*identity.SenderAddress, error) {
	a, err := s.senders.GetSender(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, refuse(SenderUnknown, "sender_id", "Choose a sender address.")
	}
	return a, err
}

// Template is the rule for what a send may use: an approved template.
func (s *Service) Template(ctx context.Context, id uint64) (*content.Template, error) {
	t, err := s.templates.UsableTemplate(ctx, id)
	var notApproved *content.TemplateNotApprovedError
	switch {
	case errors.Is(err, models.ErrNotFound) && id == 0:
		return nil, refuse(TemplateUnknown, "template_id", "Choose a template.")
	case errors.Is(err, models.ErrNotFound):
		return nil, refuse(TemplateUnknown, "template_id", "There is no template %d.", id)
	case errors.As(err, &notApproved):
		msg := notApproved.Error()
		return nil, refuse(TemplateNotApproved, "template_id", "%s.", strings.ToUpper(msg[:1])+msg[1:])
	}
	return t, err
}

// Group is the rule for whom a task may send to: a group with recipients,
// and no import of it still running (the group would change under the
// run).
func (s *Service) Group(ctx context.Context, id uint64) (*audience.RecipientGroup, error) {
	g, err := s.audience.GetGroup(ctx, id)
	switch {
	case errors.Is(err, models.ErrNotFound) && id == 0:
		return nil, refuse(GroupUnknown, "group_id", "Choose a recipient group.")
	case errors.Is(err, models.ErrNotFound):
		return nil, refuse(GroupUnknown, "group_id", "There is no recipient group %d.", id)
	case err != nil:
		return nil, err
	case g.Importing:
		return nil, refuse(GroupImporting, "group_id", "Recipient group %s is still importing a file; send to it when the import is done.", g.Name)
	case g.RecipientCount == 0:
		return nil, refuse(GroupEmpty, "group_id", "This group has no recipients.")
	}
	return g, nil
}

// content fills and checks what the request says: the template's parts,
// or inline ones, or a raw message; a subject; every variable given; the
// size.
func (s *Service) content(ctx context.Context, req *Request) error {
	c := &req.Content
	if c.Raw != nil {
		if len(c.Raw) > content.MaxRawBytes {
			return refuse(TooLarge, "raw", "The message is larger than 10 MB.")
		}
		return nil
	}
	if req.TemplateID != 0 {
		t, err := s.Template(ctx, req.TemplateID)
		if err != nil {
			return err
		}
		subject := c.Subject
		*c = withTemplate(*c, t)
		if strings.TrimSpace(subject) != "" {
			c.Subject = strings.TrimSpace(subject)
		}
	} else {
		review, err := s.settings.TemplateReviewRequired(ctx)
		if err != nil {
			return err
		}
		if review {
			return refuse(InlineReviewed, "template_id", "Templates are reviewed here: send with an approved template, not content of your own.")
		}
		if strings.TrimSpace(c.HTML) == "" && strings.TrimSpace(c.Text) == "" {
			return refuse(NoContent, "html", "The message needs HTML, text or both.")
		}
	}
	if c.Subject == "" {
		return refuse(NoSubject, "subject", "A subject is required (the template has none).")
	}
	shared := req.To[0].Variables
	if err := content.CheckSubject(c.Subject, shared); err != nil {
		return err
	}
	names, err := models.VariableNames(c.Subject, c.HTML, c.Text)
	if err != nil {
		return refuse(BrokenVariables, "html", "The content has a broken {{variable}}: %s.", err.Error())
	}
	for _, to := range req.To {
		var missing []string
		for _, n := range names {
			if _, ok := to.Variables[n]; !ok && n != models.UnsubscribeVariable {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return &Refusal{Rule: MissingVariables, Field: "variables", Missing: missing,
				Message: "The variables lack what the content uses: " + strings.Join(missing, ", ") + "."}
		}
		if content.RenderedSize(to.Variables, c.Subject, c.HTML, c.Text)+req.AttachmentBytes*4/3 > content.MaxMessageBytes {
			return refuse(TooLarge, "html", "The message would be larger than 10 MB.")
		}
	}
	return nil
}

// withTemplate is c with a template's parts and id.
func withTemplate(c queue.MessageContent, t *content.Template) queue.MessageContent {
	id := t.ID
	c.Subject, c.HTML, c.Text, c.TemplateID = t.Subject, t.HTML, t.Text, &id
	return c
}

// checkSuppressions refuses a send none of whose recipients may be mailed:
// each is suppressed for every sender, or unsubscribed from this domain's
// mail. Some suppressed among others go on; the engine skips them.
func (s *Service) checkSuppressions(ctx context.Context, senderDomain string, to []queue.Addressee) error {
	emails := make([]string, len(to))
	for i, a := range to {
		emails[i] = a.Email
	}
	suppressed, err := s.suppressions.SuppressedAmong(ctx, senderDomain, emails)
	if err != nil || len(suppressed) < len(uniqueFold(emails)) {
		return err
	}
	for _, sup := range suppressed {
		if sup.Reason != audience.ReasonUnsubscribe {
			return refuse(AllSuppressed, "to", "Every recipient is on the suppression list (bounced, complained or blocked).")
		}
	}
	return refuse(AllUnsubscribed, "to", "Every recipient unsubscribed from mail of %s.", senderDomain)
}

// uniqueFold is emails without repeats, ignoring case.
func uniqueFold(emails []string) map[string]bool {
	out := map[string]bool{}
	for _, e := range emails {
		out[strings.ToLower(e)] = true
	}
	return out
}
