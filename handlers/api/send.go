package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/mail"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// SendEmail: one message to at most 50 To, 20 Cc and 20 Bcc recipients,
// durably queued (one queue row per recipient) before the answer.

type templateParam struct {
	TemplateID   uint64 `json:"TemplateID"`
	TemplateData string `json:"TemplateData"`
}

type simpleContent struct {
	Html string `json:"Html"`
	Text string `json:"Text"`
}

type attachment struct {
	FileName string `json:"FileName"`
	Content  string `json:"Content"`
	FileURL  string `json:"FileURL"`
}

type sendEmailRequest struct {
	FromEmailAddress string         `json:"FromEmailAddress"`
	Destination      []string       `json:"Destination"`
	Subject          string         `json:"Subject"`
	ReplyToAddresses string         `json:"ReplyToAddresses"`
	Cc               []string       `json:"Cc"`
	Bcc              []string       `json:"Bcc"`
	Template         *templateParam `json:"Template"`
	Simple           *simpleContent `json:"Simple"`
	Attachments      []attachment   `json:"Attachments"`
	Unsubscribe      string         `json:"Unsubscribe"`
	TriggerType      *uint64        `json:"TriggerType"`
	SmtpMessageId    string         `json:"SmtpMessageId"`
	SmtpHeaders      string         `json:"SmtpHeaders"`
	HeaderFrom       string         `json:"HeaderFrom"`
}

type sendEmailResponse struct {
	MessageId string `json:"MessageId"`
}

// Limits of one send, as Tencent's.
const (
	maxDestination   = 50
	maxCc            = 20
	maxBcc           = 20
	maxAttachments   = 10
	maxAttachName    = 255
	maxTemplateData  = 10 << 10 // Tencent allows 800 bytes; Sesame more
	maxSmtpHeaders   = 50
	maxHeaderValue   = 998
	triggerBulk      = 0
	triggerImmediate = 1
)

// parseAddress reads "addr" or "Name <addr>" and returns the address
// normalised and the name.
func parseAddress(raw string) (addr, name string, err error) {
	raw = strings.TrimSpace(raw)
	if a, perr := mail.ParseAddress(raw); perr == nil {
		addr, name = a.Address, a.Name
	} else {
		addr = raw
	}
	addr, err = models.NormalizeEmail(addr)
	return addr, strings.TrimSpace(name), err
}

// sendingAddress resolves FromEmailAddress to a sender address of a
// verified domain, with the display name the request gives.
func (a *API) sendingAddress(ctx context.Context, raw string) (*identity.SenderAddress, string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, "", errf(CodeEmailAddressIsNULL, "FromEmailAddress is required.")
	}
	addr, name, err := parseAddress(raw)
	if err != nil {
		return nil, "", errf(CodeIncorrectSender, "FromEmailAddress must be an address, or a name and an address: Example <news@example.com>.")
	}
	if name != "" {
		if name, err = models.CheckDisplayName(name, addr); err != nil {
			return nil, "", err
		}
	}
	s, err := a.store.SenderForSending(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return nil, "", errf(CodeNoSuchSender, "%s is not a sender address here: create it first (CreateEmailAddress).", addr)
	}
	if err != nil {
		return nil, "", err
	}
	if !a.store.CanSend(s.Domain) {
		return nil, "", errf(CodeDomainNotVerified, "The domain of %s is not verified: it cannot send until it is.", addr)
	}
	return s, name, nil
}

// recipientList checks one list of addresses.
func recipientList(field string, in []string, most int) ([]string, error) {
	if len(in) > most {
		return nil, errf(CodeTooManyRecipients, "%s has %d addresses; at most %d are allowed.", field, len(in), most)
	}
	out := make([]string, 0, len(in))
	for _, raw := range in {
		if strings.TrimSpace(raw) == "" {
			return nil, errf(CodeEmailAddressIsNULL, "%s holds an empty address.", field)
		}
		addr, err := models.NormalizeEmail(raw)
		if err != nil {
			return nil, errf(CodeIncorrectEmail, "%s: %q %s.", field, truncate(raw, 254), err.Error())
		}
		out = append(out, addr)
	}
	return out, nil
}

// sendContent is what a send or task says, checked.
type sendContent struct {
	template *content.Template // nil for Simple content
	subject  string
	html     string
	text     string
	vars     map[string]string
	atts     []mailer.Attachment
	attBytes int
}

// content checks Template or Simple with its TemplateData and the subject.
func (a *API) content(ctx context.Context, subject string, tp *templateParam, simple *simpleContent) (*sendContent, error) {
	c := &sendContent{vars: map[string]string{}}
	switch {
	case tp != nil && tp.TemplateID != 0:
		t, err := a.store.UsableTemplate(ctx, tp.TemplateID)
		var notApproved *content.TemplateNotApprovedError
		switch {
		case errors.Is(err, models.ErrNotFound):
			return nil, errf(CodeTemplateNotExist, "There is no template %d.", tp.TemplateID)
		case errors.As(err, &notApproved):
			return nil, errf(CodeTemplateStatusError, "%s.", upperFirst(notApproved.Error()))
		case err != nil:
			return nil, err
		}
		c.template, c.subject, c.html, c.text = t, t.Subject, t.HTML, t.Text
		if len(tp.TemplateData) > maxTemplateData {
			return nil, errf(CodeTemplateDataLenLimit, "TemplateData is %d bytes; at most %d are allowed.", len(tp.TemplateData), maxTemplateData)
		}
		if c.vars, err = models.ParseVariables(tp.TemplateData); err != nil {
			return nil, errf(CodeTemplateDataError, "TemplateData is %s.", err.Error())
		}
	case simple != nil:
		review, err := a.store.TemplateReviewRequired(ctx)
		if err != nil {
			return nil, err
		}
		if review {
			return nil, errf(CodeWithOutPermission, "Templates are reviewed here: send with an approved template (Template.TemplateID), not Simple content.")
		}
		if c.html, err = decodeBase64Text("Simple.Html", simple.Html, CodeEmailContentIsWrong); err != nil {
			return nil, err
		}
		if c.text, err = decodeBase64Text("Simple.Text", simple.Text, CodeEmailContentIsWrong); err != nil {
			return nil, err
		}
		if strings.TrimSpace(c.html) == "" && strings.TrimSpace(c.text) == "" {
			return nil, errf(CodeMissingEmailContent, "Simple needs Html, Text or both (base64).")
		}
	default:
		return nil, errf(CodeMissingEmailContent, "Give the content: Template with a TemplateID (and its TemplateData).")
	}
	if s := strings.TrimSpace(subject); s != "" {
		c.subject = s
	}
	if c.subject == "" {
		return nil, errf(CodeSubjectLengthError, "Subject is required (the template has none).")
	}
	if err := content.CheckSubject(c.subject, c.vars); err != nil {
		return nil, err
	}
	names, err := models.VariableNames(c.subject, c.html, c.text)
	if err != nil {
		return nil, errf(CodeEmailContentIsWrong, "The content has a broken {{variable}}: %s.", err.Error())
	}
	var missing []string
	for _, n := range names {
		if _, ok := c.vars[n]; !ok && n != "unsubscribe_url" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, errf(CodeTemplateNotMatchData, "TemplateData lacks the template's variables: %s.", strings.Join(missing, ", "))
	}
	return c, nil
}

// attachments checks and decodes Attachments.
func (c *sendContent) attachments(in []attachment) error {
	if len(in) > maxAttachments {
		return errf(CodeTooManyAttachments, "%d attachments; at most %d are allowed.", len(in), maxAttachments)
	}
	for i, at := range in {
		if at.FileURL != "" {
			return errf(CodeUnsupportedOperation, "Attachments[%d].FileURL is not supported: send the file's Content in base64.", i)
		}
		name := strings.TrimSpace(at.FileName)
		if name == "" || utf8.RuneCountInString(name) > maxAttachName || !utf8.ValidString(name) ||
			strings.ContainsAny(name, `/\"`) || strings.IndexFunc(name, unicode.IsControl) >= 0 || name != path.Base(name) {
			return errf(CodeInvalidAttachName, "Attachments[%d].FileName must be a file name of 1 to 255 characters, without /, \\, \" or control characters.", i)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(at.Content))
		if err != nil {
			return errf(CodeAttachContentIsWrong, "Attachments[%d].Content is not valid base64.", i)
		}
		if len(data) == 0 {
			return errf(CodeAttachContentIsWrong, "Attachments[%d].Content is empty.", i)
		}
		c.atts = append(c.atts, mailer.Attachment{FileName: name, Data: data})
		c.attBytes += len(data)
	}
	if content.RenderedSize(c.vars, c.subject, c.html, c.text)+c.attBytes*4/3 > content.MaxMessageBytes {
		return errf(CodeEmailContentTooLarge, "The message would be larger than 10 MB.")
	}
	return nil
}

// reservedHeaders are set by Sesame and cannot come from SmtpHeaders.
var reservedHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true, "message-id": true,
	"reply-to": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true, "return-path": true,
	"received": true, "dkim-signature": true, "list-unsubscribe": true, "list-unsubscribe-post": true,
}

// extraHeaders reads SmtpHeaders (a JSON object of header names to values).
func extraHeaders(raw string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(raw) == "" {
		return out, nil
	}
	var in map[string]string
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil, errf(CodeInvalidParameterValue, `SmtpHeaders must be a JSON object of header names to text values, such as {"X-Campaign": "spring"}.`)
	}
	if len(in) > maxSmtpHeaders {
		return nil, errf(CodeInvalidParameterValue, "SmtpHeaders has %d headers; at most %d are allowed.", len(in), maxSmtpHeaders)
	}
	for k, v := range in {
		if !validHeaderName(k) {
			return nil, errf(CodeInvalidParameterValue, "SmtpHeaders: %q is not a header name.", truncate(k, 64))
		}
		if reservedHeaders[strings.ToLower(k)] {
			return nil, errf(CodeInvalidParameterValue, "SmtpHeaders cannot set %s; Sesame sets it (use the matching parameter).", k)
		}
		if strings.ContainsAny(v, "\r\n") || len(v) > maxHeaderValue || !utf8.ValidString(v) {
			return nil, errf(CodeInvalidParameterValue, "SmtpHeaders: the value of %s must be one line of at most %d bytes.", k, maxHeaderValue)
		}
		out[k] = v
	}
	return out, nil
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

// messageID checks SmtpMessageId: <left@right>, the brackets optional.
func messageID(raw string) (string, error) {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(raw), "<"), ">")
	left, right, ok := strings.Cut(id, "@")
	if !ok || left == "" || right == "" || len(id) > 250 || strings.ContainsAny(id, " \t\r\n<>()[],;:\\\"") {
		return "", errf(CodeInvalidParameterValue, "SmtpMessageId must look like <unique-part@your.domain>.")
	}
	return "<" + id + ">", nil
}

func formatAddresses(addrs []string) string {
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = (&mail.Address{Address: a}).String()
	}
	return strings.Join(list, ", ")
}

// replyTo checks ReplyToAddresses: one or more addresses.
func replyTo(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	list, err := mail.ParseAddressList(raw)
	if err != nil || strings.ContainsAny(raw, "\r\n") {
		return "", errf(CodeIllegalEmailAddress, "ReplyToAddresses must be email addresses, separated by commas.")
	}
	out := make([]string, len(list))
	for i, a := range list {
		addr, err := models.NormalizeEmail(a.Address)
		if err != nil {
			return "", errf(CodeIllegalEmailAddress, "ReplyToAddresses: %s %s.", a.Address, err.Error())
		}
		out[i] = (&mail.Address{Name: a.Name, Address: addr}).String()
	}
	return strings.Join(out, ", "), nil
}

func unsubscribeCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	if !identity.ValidUnsubscribeCode(code) {
		return "", errf(CodeInvalidParameterValue, "Unsubscribe is 0 (no link) or a language 1 to 10 (2 is English).")
	}
	return code, nil
}

func (a *API) sendEmail(ctx context.Context, _ *Caller, req *sendEmailRequest) (*sendEmailResponse, error) {
	sender, fromName, err := a.sendingAddress(ctx, req.FromEmailAddress)
	if err != nil {
		return nil, err
	}
	if len(req.Destination) == 0 {
		return nil, errf(CodeEmailAddressIsNULL, "Destination is required: at least one recipient.")
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
	visible := len(all)
	for _, addr := range bcc {
		k := strings.ToLower(addr)
		if seen[k] {
			for _, v := range all[:visible] {
				if strings.EqualFold(v, addr) {
					return nil, errf(CodeInvalidParameterValue, "%s is both a visible recipient and in Bcc.", addr)
				}
			}
			continue // given twice in Bcc
		}
		seen[k] = true
		all = append(all, addr)
	}
	c, err := a.content(ctx, req.Subject, req.Template, req.Simple)
	if err != nil {
		return nil, err
	}
	if err := c.attachments(req.Attachments); err != nil {
		return nil, err
	}
	unsubscribe, err := unsubscribeCode(req.Unsubscribe)
	if err != nil {
		return nil, err
	}
	transactional := false
	if req.TriggerType != nil {
		switch *req.TriggerType {
		case triggerBulk:
		case triggerImmediate:
			transactional = true
		default:
			return nil, errf(CodeInvalidParameterValue, "TriggerType is 0 (bulk) or 1 (triggered, such as verification codes).")
		}
	}
	reply, err := replyTo(req.ReplyToAddresses)
	if err != nil {
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
		addr, name, err := parseAddress(req.HeaderFrom)
		if err != nil {
			return nil, errf(CodeIncorrectSender, "HeaderFrom must be an address, or a name and an address.")
		}
		if !strings.EqualFold(addr[strings.LastIndexByte(addr, '@')+1:], sender.Domain.Name) {
			return nil, errf(CodeIncorrectSender, "HeaderFrom must be an address of %s, the domain that signs the message.", sender.Domain.Name)
		}
		if name, err = models.CheckDisplayName(name, addr); err != nil {
			return nil, err
		}
		headers["From"] = (&mail.Address{Name: name, Address: addr}).String()
	}
	suppressed, err := a.store.SuppressedAmong(ctx, sender.Domain.Name, all)
	if err != nil {
		return nil, err
	}
	if len(suppressed) == len(all) {
		unsubscribed := true
		for _, s := range suppressed {
			unsubscribed = unsubscribed && s.Reason == audience.ReasonUnsubscribe
		}
		if unsubscribed {
			return nil, errf(CodeReceiverHasUnsubscribed, "Every recipient unsubscribed from mail of %s.", sender.Domain.Name)
		}
		return nil, errf(CodeEmailAddrInBlacklist, "Every recipient is on the suppression list (bounced, complained or blocked).")
	}
	content := queue.MessageContent{Subject: c.subject, HTML: c.html, Text: c.text, HeaderTo: formatAddresses(to),
		HeaderCc: formatAddresses(cc), ReplyTo: reply, Attachments: mailer.EncodeAttachments(c.atts), Unsubscribe: unsubscribe,
		TrackOpens: true, TrackClicks: true}
	if len(headers) > 0 {
		b, _ := json.Marshal(headers)
		content.ExtraHeaders = string(b)
	}
	if c.template != nil {
		id := c.template.ID
		content.TemplateID = &id
	}
	addressees := make([]queue.Addressee, len(all))
	for i, addr := range all {
		addressees[i] = queue.Addressee{Email: addr, Variables: c.vars}
	}
	msgs, err := a.store.Enqueue(ctx, queue.EnqueueRequest{Sender: sender, Content: content, To: addressees,
		Transactional: transactional, FromName: fromName})
	if err != nil {
		return nil, err
	}
	return &sendEmailResponse{MessageId: msgs[0].UID}, nil
}
