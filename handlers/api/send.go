package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/mail"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// SendEmail: one message to at most 50 To, 20 Cc and 20 Bcc recipients,
// durably queued (one queue row per recipient) before the answer.

// Limits of one send, as Tencent's.
const (
	maxDestination   = 50
	maxCc            = 20
	maxBcc           = 20
	maxAttachments   = 10
	maxAttachName    = 255
	maxTemplateData  = 10 << 10 // Tencent allows 800 bytes; Sesame more
	triggerBulk      = 0
	triggerImmediate = 1
)

// sendingAddress resolves FromEmailAddress, "addr" or "Name <addr>", to a
// sender address and the display name given; whether it may send is the
// sending rules' to say (sending.Service.CheckSender).
func sendingAddress(ctx context.Context, senders senderFinder, raw string) (*identity.SenderAddress, string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, "", errf(wire.CodeEmailAddressIsNULL, "FromEmailAddress is required.")
	}
	addr, name, err := models.ParseMailbox(raw)
	if err != nil {
		return nil, "", errf(wire.CodeIncorrectSender, "FromEmailAddress must be an address, or a name and an address: Example <news@example.com>.")
	}
	s, err := senders.SenderForSending(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return nil, "", errf(wire.CodeNoSuchSender, "%s is not a sender address here: create it first (CreateEmailAddress).", addr)
	}
	return s, name, err
}

// senderFinder finds the sender address a request names.
type senderFinder interface {
	SenderForSending(ctx context.Context, email string) (*identity.SenderAddress, error)
}

// recipientList checks one list of addresses.
func recipientList(field string, in []string, most int) ([]string, error) {
	if len(in) > most {
		return nil, errf(wire.CodeTooManyRecipients, "%s has %d addresses; at most %d are allowed.", field, len(in), most)
	}
	out := make([]string, 0, len(in))
	for _, raw := range in {
		if strings.TrimSpace(raw) == "" {
			return nil, errf(wire.CodeEmailAddressIsNULL, "%s holds an empty address.", field)
		}
		addr, err := models.NormalizeEmail(raw)
		if err != nil {
			return nil, errf(wire.CodeIncorrectEmail, "%s: %q %s.", field, truncate(raw, 254), err.Error())
		}
		out = append(out, addr)
	}
	return out, nil
}

// templateData reads TemplateData: the variables, as a JSON object of
// strings.
func templateData(raw string) (map[string]string, error) {
	if len(raw) > maxTemplateData {
		return nil, errf(wire.CodeTemplateDataLenLimit, "TemplateData is %d bytes; at most %d are allowed.", len(raw), maxTemplateData)
	}
	vars, err := models.ParseVariables(raw)
	if err != nil {
		return nil, errf(wire.CodeTemplateDataError, "TemplateData is %s.", err.Error())
	}
	return vars, nil
}

// attachments decodes Attachments, and says how many bytes they hold.
func attachments(in []wire.Attachment) ([]outgoing.Attachment, int, error) {
	if len(in) > maxAttachments {
		return nil, 0, errf(wire.CodeTooManyAttachments, "%d attachments; at most %d are allowed.", len(in), maxAttachments)
	}
	var out []outgoing.Attachment
	total := 0
	for i, at := range in {
		if at.FileURL != "" {
			return nil, 0, errf(wire.CodeUnsupportedOperation, "Attachments[%d].FileURL is not supported: send the file's Content in base64.", i)
		}
		name, err := sending.AttachmentName(at.FileName)
		if err != nil {
			return nil, 0, err
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(at.Content))
		if err != nil {
			return nil, 0, errf(wire.CodeAttachContentIsWrong, "Attachments[%d].Content is not valid base64.", i)
		}
		if len(data) == 0 {
			return nil, 0, errf(wire.CodeAttachContentIsWrong, "Attachments[%d].Content is empty.", i)
		}
		out = append(out, outgoing.Attachment{FileName: name, Data: data})
		total += len(data)
	}
	return out, total, nil
}

// extraHeaders reads SmtpHeaders (a JSON object of header names to values).
func extraHeaders(raw string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(raw) == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out == nil {
		return nil, errf(wire.CodeInvalidParameterValue, `SmtpHeaders must be a JSON object of header names to text values, such as {"X-Campaign": "spring"}.`)
	}
	if err := sending.Headers(out); err != nil {
		return nil, err
	}
	return out, nil
}

// messageID checks SmtpMessageId: <left@right>, the brackets optional.
func messageID(raw string) (string, error) {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(raw), "<"), ">")
	left, right, ok := strings.Cut(id, "@")
	if !ok || left == "" || right == "" || len(id) > 250 || strings.ContainsAny(id, " \t\r\n<>()[],;:\\\"") {
		return "", errf(wire.CodeInvalidParameterValue, "SmtpMessageId must look like <unique-part@your.domain>.")
	}
	return "<" + id + ">", nil
}

func unsubscribeCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	if !identity.ValidUnsubscribeCode(code) {
		return "", errf(wire.CodeInvalidParameterValue, "Unsubscribe is 0 (no link) or a language 1 to 10 (2 is English).")
	}
	return code, nil
}

func (h *sendActions) sendEmail(ctx context.Context, c *Caller, req *wire.SendEmailRequest) (*wire.SendEmailResponse, error) {
	sender, fromName, err := sendingAddress(ctx, h.senders, req.FromEmailAddress)
	if err != nil {
		return nil, err
	}
	if len(req.Destination) == 0 {
		return nil, errf(wire.CodeEmailAddressIsNULL, "Destination is required: at least one recipient.")
	}
	to, err := recipientList("Destination", req.Destination, maxDestination)
	if err != nil {
		return nil, err
	}
	cc, err := recipientList("Cc", req.Cc, maxCc)
	if err != nil {
		return nil, err
	}
	bcc, err := recipientList("Bcc", req.Bcc, maxBcc)
	if err != nil {
		return nil, err
	}
	all, err := sending.Recipients(to, cc, bcc)
	if err != nil {
		return nil, err
	}
	send := sending.Request{Sender: sender, FromName: fromName, Guard: c.guard, Content: queue.MessageContent{Subject: strings.TrimSpace(req.Subject),
		HeaderTo: models.AddressList(to), HeaderCc: models.AddressList(cc), TrackOpens: true, TrackClicks: true}}
	vars := map[string]string{}
	switch {
	case req.Template != nil && req.Template.TemplateID != 0:
		send.TemplateID = req.Template.TemplateID
		if vars, err = templateData(req.Template.TemplateData); err != nil {
			return nil, err
		}
	case req.Simple != nil:
		if send.Content.HTML, err = decodeBase64Text("Simple.Html", req.Simple.Html, wire.CodeEmailContentIsWrong); err != nil {
			return nil, err
		}
		if send.Content.Text, err = decodeBase64Text("Simple.Text", req.Simple.Text, wire.CodeEmailContentIsWrong); err != nil {
			return nil, err
		}
	default:
		return nil, errf(wire.CodeMissingEmailContent, "Give the content: Template with a TemplateID (and its TemplateData).")
	}
	atts, attBytes, err := attachments(req.Attachments)
	if err != nil {
		return nil, err
	}
	send.Content.Attachments, send.AttachmentBytes = outgoing.EncodeAttachments(atts), attBytes
	if send.Content.Unsubscribe, err = unsubscribeCode(req.Unsubscribe); err != nil {
		return nil, err
	}
	if req.TriggerType != nil {
		switch *req.TriggerType {
		case triggerBulk:
		case triggerImmediate:
			send.Transactional = true
		default:
			return nil, errf(wire.CodeInvalidParameterValue, "TriggerType is 0 (bulk) or 1 (triggered, such as verification codes).")
		}
	}
	if send.Content.ReplyTo, err = models.ReplyTo(req.ReplyToAddresses); err != nil {
		return nil, err
	}
	headers, err := extraHeaders(req.SmtpHeaders)
	if err != nil {
		return nil, err
	}
	if req.SmtpMessageId != "" {
		if headers["Message-ID"], err = messageID(req.SmtpMessageId); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(req.HeaderFrom) != "" {
		addr, name, err := models.ParseMailbox(req.HeaderFrom)
		if err != nil {
			return nil, errf(wire.CodeIncorrectSender, "HeaderFrom must be an address, or a name and an address.")
		}
		if !strings.EqualFold(models.DomainOf(addr), sender.Domain.Name) {
			return nil, errf(wire.CodeIncorrectSender, "HeaderFrom must be an address of %s, the domain that signs the message.", sender.Domain.Name)
		}
		if name, err = models.CheckDisplayName(name, addr); err != nil {
			return nil, err
		}
		headers["From"] = (&mail.Address{Name: name, Address: addr}).String()
	}
	if len(headers) > 0 {
		b, _ := json.Marshal(headers)
		send.Content.ExtraHeaders = string(b)
	}
	for _, addr := range all {
		send.To = append(send.To, queue.Addressee{Email: addr, Variables: vars})
	}
	msgs, err := h.send.Submit(ctx, send)
	if err != nil {
		return nil, err
	}
	return &wire.SendEmailResponse{MessageId: msgs[0].UID}, nil
}

// sendActions serves SendEmail.
type sendActions struct {
	dates
	senders senderFinder
	send    submitter
}

// submitter queues mail by the sending rules.
type submitter interface {
	Submit(ctx context.Context, req sending.Request) ([]queue.Message, error)
}
