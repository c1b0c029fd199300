package amazon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// v2Route is one SES v2 action: its method, its path with {Name}
// segments, and how it runs.
type v2Route struct {
	method, path, name string
	run                func(a *API, c *call, p map[string]string) (any, error)
}

var v2Routes = []v2Route{
	{http.MethodPost, "/v2/email/outbound-emails", "SendEmail", (*API).sendEmail},
	{http.MethodPost, "/v2/email/outbound-bulk-emails", "SendBulkEmail", (*API).sendBulkEmail},
	{http.MethodPost, "/v2/email/templates", "CreateEmailTemplate", (*API).createEmailTemplate},
	{http.MethodGet, "/v2/email/templates", "ListEmailTemplates", (*API).listEmailTemplates},
	{http.MethodGet, "/v2/email/templates/{TemplateName}", "GetEmailTemplate", (*API).getEmailTemplate},
	{http.MethodPut, "/v2/email/templates/{TemplateName}", "UpdateEmailTemplate", (*API).updateEmailTemplate},
	{http.MethodDelete, "/v2/email/templates/{TemplateName}", "DeleteEmailTemplate", (*API).deleteEmailTemplate},
	{http.MethodPut, "/v2/email/suppression/addresses", "PutSuppressedDestination", (*API).putSuppressedDestination},
	{http.MethodGet, "/v2/email/suppression/addresses", "ListSuppressedDestinations", (*API).listSuppressedDestinations},
	{http.MethodGet, "/v2/email/suppression/addresses/{EmailAddress}", "GetSuppressedDestination", (*API).getSuppressedDestination},
	{http.MethodDelete, "/v2/email/suppression/addresses/{EmailAddress}", "DeleteSuppressedDestination", (*API).deleteSuppressedDestination},
	{http.MethodGet, "/v2/email/account", "GetAccount", (*API).getAccount},
	{http.MethodGet, "/v2/email/identities", "ListEmailIdentities", (*API).listEmailIdentities},
	{http.MethodPost, "/v2/email/list-identities", "ListEmailIdentities", (*API).listEmailIdentities}, // newer SDKs
	{http.MethodGet, "/v2/email/identities/{EmailIdentity}", "GetEmailIdentity", (*API).getEmailIdentity},
}

// matchV2 finds the route of a request, with its path parameters
// unescaped.
func matchV2(method, escapedPath string) (*v2Route, map[string]string, error) {
	segs := strings.Split(strings.TrimSuffix(escapedPath, "/"), "/")
	known := false
	for i := range v2Routes {
		rt := &v2Routes[i]
		want := strings.Split(rt.path, "/")
		if len(want) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, w := range want {
			if strings.HasPrefix(w, "{") {
				v, err := url.PathUnescape(segs[j])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[strings.Trim(w, "{}")] = v
			} else if w != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		known = true
		if rt.method == method {
			return rt, params, nil
		}
	}
	if known {
		return nil, nil, &Error{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowedException", Message: method + " is not allowed on " + escapedPath + "."}
	}
	return nil, nil, &Error{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "Sesame does not serve " + method + " " + truncate(escapedPath, 100) + " (see the README's Amazon SES section for the actions it does)."}
}

// Amazon's shapes, as far as Sesame reads and writes them.
type (
	v2Destination struct {
		ToAddresses, CcAddresses, BccAddresses []string
	}
	v2Content struct{ Data, Charset string }
	v2Header  struct{ Name, Value string }
	v2Attach  struct {
		RawContent  []byte
		FileName    string
		ContentType string
	}
	v2Simple struct {
		Subject     v2Content
		Body        struct{ Text, Html *v2Content }
		Headers     []v2Header
		Attachments []v2Attach
	}
	v2Template struct {
		TemplateName, TemplateData string
		TemplateContent            *v2TemplateContent
		Headers                    []v2Header
		Attachments                []v2Attach
	}
	v2TemplateContent struct{ Subject, Text, Html string }
	v2EmailContent    struct {
		Simple   *v2Simple
		Raw      *struct{ Data []byte }
		Template *v2Template
	}
	v2Tag struct{ Name, Value string }
)

type sendEmailInput struct {
	FromEmailAddress string
	Destination      *v2Destination
	ReplyToAddresses []string
	Content          v2EmailContent
	EmailTags        []v2Tag
}

// sendEmail is SendEmail: Simple, Raw or Template content, through the
// sending rules; the message id is the one the console shows.
func (a *API) sendEmail(c *call, _ map[string]string) (any, error) {
	var in sendEmailInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if in.Destination == nil {
		in.Destination = &v2Destination{}
	}
	id, err := a.submit(c, in)
	if err != nil {
		return nil, err
	}
	return map[string]string{"MessageId": id}, nil
}

// submit queues one send, as either API version says it, and returns the
// id of its first message.
func (a *API) submit(c *call, in sendEmailInput) (string, error) {
	req, err := a.sendRequest(c, in.FromEmailAddress, in.ReplyToAddresses, in.Content, in.EmailTags)
	if err != nil {
		return "", err
	}
	to, err := recipients(in.Destination, in.Content.Raw != nil, req.Content.Raw)
	if err != nil {
		return "", err
	}
	if req.Content.Raw == nil { // each copy shows the visible recipients, as one message would
		req.Content.HeaderTo, req.Content.HeaderCc = models.AddressList(in.Destination.ToAddresses), models.AddressList(in.Destination.CcAddresses)
	}
	vars, err := templateData(in.Content.Template)
	if err != nil {
		return "", err
	}
	for _, addr := range to {
		req.To = append(req.To, queue.Addressee{Email: addr, Variables: vars})
	}
	msgs, err := a.cfg.Sending.Submit(c.ctx, *req)
	if err != nil {
		return "", err
	}
	return msgs[0].UID, nil
}

// sendRequest decodes what a send says but its recipients: the sender
// (a Sesame sender address, Amazon's verified identity), the content, the
// headers, the attachments.
func (a *API) sendRequest(c *call, from string, replyTo []string, ec v2EmailContent, tags []v2Tag) (*sending.Request, error) {
	parts := 0
	for _, set := range []bool{ec.Simple != nil, ec.Raw != nil, ec.Template != nil} {
		if set {
			parts++
		}
	}
	if parts != 1 {
		return nil, badRequest("Content must have exactly one of Simple, Raw and Template.")
	}
	var req sending.Request
	var headers []v2Header
	var atts []v2Attach
	var raw *mailer.Submission
	switch {
	case ec.Raw != nil:
		data, sub, err := rawMessage(ec.Raw.Data)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(from) == "" {
			from = sub.From.Address
		}
		raw = sub
		req.Content = queue.MessageContent{Raw: data, Subject: models.PlainText(sub.Subject)}
	case ec.Simple != nil:
		req.Content.Subject = ec.Simple.Subject.Data
		if b := ec.Simple.Body.Html; b != nil {
			req.Content.HTML = b.Data
		}
		if b := ec.Simple.Body.Text; b != nil {
			req.Content.Text = b.Data
		}
		headers, atts = ec.Simple.Headers, ec.Simple.Attachments
	default:
		t := ec.Template
		if t.TemplateContent != nil {
			// An inline template: Amazon's {{var}} is Sesame's syntax.
			req.Content.Subject, req.Content.HTML, req.Content.Text = t.TemplateContent.Subject, t.TemplateContent.Html, t.TemplateContent.Text
		} else {
			tpl, err := a.cfg.Templates.TemplateByName(c.ctx, t.TemplateName)
			if errors.Is(err, models.ErrNotFound) {
				return nil, notFound(fmt.Sprintf("Template %s does not exist.", truncate(t.TemplateName, 64)))
			} else if err != nil {
				return nil, err
			}
			req.TemplateID = tpl.ID
		}
		headers, atts = t.Headers, t.Attachments
	}
	if strings.TrimSpace(from) == "" {
		return nil, badRequest("FromEmailAddress is required.")
	}
	addr, name, err := models.ParseMailbox(from)
	if err != nil {
		return nil, badRequest("FromEmailAddress must be an address, or a name and an address: " + err.Error())
	}
	sender, err := a.cfg.Senders.SenderForSending(c.ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return nil, rejected(fmt.Sprintf("Email address is not verified. The following identities failed the check in region %s: %s (create it as a sender address in Sesame).",
			strings.ToUpper(c.region), addr))
	} else if err != nil {
		return nil, err
	}
	req.Sender, req.FromName = sender, name
	if raw != nil {
		// As over SMTP: the From header (and a Sender header) may name any
		// address of the sender's domain, which DKIM signs for.
		var header string
		if req.Sender, header, err = raw.SendingAs(sender); err != nil {
			return nil, rejected("The raw message's " + header + " header is refused: " + fieldMessage(err))
		}
		req.FromName = ""
	}
	if req.Content.Raw == nil {
		req.Content.TrackOpens, req.Content.TrackClicks = true, true
		if req.Content.ReplyTo, err = models.ReplyTo(strings.Join(replyTo, ", ")); err != nil {
			return nil, err
		}
		extra := map[string]string{}
		for _, h := range headers {
			extra[h.Name] = h.Value
		}
		// EmailTags travel as a header, as Sesame messages have no tags of
		// their own: the receiving side and the sandbox show them.
		if len(tags) > 0 {
			list := make([]string, len(tags))
			for i, t := range tags {
				list[i] = t.Name + "=" + t.Value
			}
			extra["X-SES-Message-Tags"] = strings.Join(list, ", ")
		}
		if err := sending.Headers(extra); err != nil {
			return nil, err
		}
		if len(extra) > 0 {
			b, _ := json.Marshal(extra)
			req.Content.ExtraHeaders = string(b)
		}
		var files []outgoing.Attachment
		for _, at := range atts {
			name, err := sending.AttachmentName(at.FileName)
			if err != nil {
				return nil, err
			}
			files = append(files, outgoing.Attachment{FileName: name, ContentType: at.ContentType, Data: at.RawContent})
			req.AttachmentBytes += len(at.RawContent)
		}
		req.Content.Attachments = outgoing.EncodeAttachments(files)
	}
	return &req, nil
}

// rawMessage checks a raw message by SMTP submission's rule
// (mailer.ReadSubmission). A message whose lines all end in a bare LF, as
// Python's email package and many libraries write them, gets CRLF first;
// one that mixes both is refused, as SMTP refuses it.
func rawMessage(data []byte) ([]byte, *mailer.Submission, error) {
	if len(data) == 0 {
		return nil, nil, badRequest("Content.Raw.Data is empty.")
	}
	if !bytes.Contains(data, []byte("\r")) {
		data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	}
	sub, err := mailer.ReadSubmission(data)
	var invalid *mailer.InvalidSubmissionError
	switch {
	case errors.Is(err, mailer.ErrBareLineBreak):
		return nil, nil, badRequest("The raw message mixes CRLF and bare line breaks: end every line with CRLF.")
	case errors.Is(err, outgoing.ErrMessageTooLarge):
		return nil, nil, rejected(fmt.Sprintf("Message length is more than %d bytes.", content.MaxRawBytes))
	case errors.As(err, &invalid):
		return nil, nil, badRequest("The raw message is refused: " + invalid.Reason + ".")
	case err != nil:
		return nil, nil, err
	}
	return data, sub, nil
}

// fieldMessage is a validation error's message, for people.
func fieldMessage(err error) string {
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return verr.Field("from")
	}
	return err.Error()
}

// recipients is Destination's addresses, To and Cc then Bcc, each once,
// normalised in d; a raw message without a Destination goes to its To and
// Cc headers.
func recipients(d *v2Destination, raw bool, rawData []byte) ([]string, error) {
	if raw && len(d.ToAddresses)+len(d.CcAddresses)+len(d.BccAddresses) == 0 {
		msg, err := mail.ReadMessage(bytes.NewReader(rawData))
		if err != nil {
			return nil, badRequest("The raw message's header cannot be read.")
		}
		for _, h := range []string{"To", "Cc"} {
			if v := msg.Header.Get(h); v != "" {
				list, err := mail.ParseAddressList(v)
				if err != nil {
					return nil, badRequest("The raw message's " + h + " header is not a list of addresses.")
				}
				for _, a := range list {
					d.ToAddresses = append(d.ToAddresses, a.Address)
				}
			}
		}
	}
	for _, list := range []*[]string{&d.ToAddresses, &d.CcAddresses, &d.BccAddresses} {
		for i, raw := range *list {
			addr, _, err := models.ParseMailbox(raw)
			if err != nil {
				return nil, badRequest(fmt.Sprintf("Illegal address %q: %s.", truncate(raw, 254), err.Error()))
			}
			(*list)[i] = addr
		}
	}
	all, err := sending.Recipients(d.ToAddresses, d.CcAddresses, d.BccAddresses)
	if err != nil {
		return nil, err
	}
	if len(all) > 50 {
		return nil, rejected(fmt.Sprintf("Recipient count exceeds 50: %d recipients.", len(all)))
	}
	return all, nil
}

// templateData reads a Template's TemplateData.
func templateData(t *v2Template) (map[string]string, error) {
	if t == nil || strings.TrimSpace(t.TemplateData) == "" {
		return nil, nil
	}
	vars, err := models.ParseVariables(t.TemplateData)
	if err != nil {
		return nil, badRequest("TemplateData is " + err.Error() + ".")
	}
	return vars, nil
}

type (
	bulkInput struct {
		FromEmailAddress string
		ReplyToAddresses []string
		DefaultContent   struct{ Template *v2Template }
		DefaultEmailTags []v2Tag
		BulkEmailEntries []bulkEntry
	}
	bulkEntry struct {
		Destination             v2Destination
		ReplacementEmailContent *replacement
	}
	replacement struct {
		ReplacementTemplate *struct{ ReplacementTemplateData string }
	}
)

// maxBulkEntries is Amazon's limit of one SendBulkEmail.
const maxBulkEntries = 50

// bulkResult is one entry's outcome, in SES v2's words.
type bulkResult struct{ Status, Error, MessageId string }

// sendBulkEmail is SendBulkEmail.
func (a *API) sendBulkEmail(c *call, _ map[string]string) (any, error) {
	var in bulkInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	out, err := a.bulk(c, in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"BulkEmailEntryResults": out}, nil
}

// bulk sends one template to each entry, each entry its own send with its
// own data; an entry the rules refuse fails alone.
func (a *API) bulk(c *call, in bulkInput) ([]bulkResult, error) {
	if in.DefaultContent.Template == nil {
		return nil, badRequest("DefaultContent.Template is required.")
	}
	if n := len(in.BulkEmailEntries); n == 0 || n > maxBulkEntries {
		return nil, badRequest(fmt.Sprintf("BulkEmailEntries has %d entries; give 1 to %d.", n, maxBulkEntries))
	}
	req, err := a.sendRequest(c, in.FromEmailAddress, in.ReplyToAddresses, v2EmailContent{Template: in.DefaultContent.Template}, in.DefaultEmailTags)
	if err != nil {
		return nil, err
	}
	defaults, err := templateData(in.DefaultContent.Template)
	if err != nil {
		return nil, err
	}
	out := make([]bulkResult, len(in.BulkEmailEntries))
	for i, e := range in.BulkEmailEntries {
		vars := map[string]string{}
		for k, v := range defaults {
			vars[k] = v
		}
		if r := e.ReplacementEmailContent; r != nil && r.ReplacementTemplate != nil && r.ReplacementTemplate.ReplacementTemplateData != "" {
			more, err := models.ParseVariables(r.ReplacementTemplate.ReplacementTemplateData)
			if err != nil {
				out[i] = bulkResult{Status: "INVALID_PARAMETER", Error: "ReplacementTemplateData is " + err.Error() + "."}
				continue
			}
			for k, v := range more {
				vars[k] = v
			}
		}
		to, err := recipients(&e.Destination, false, nil)
		if err == nil {
			one := *req
			one.Content.HeaderTo, one.Content.HeaderCc = models.AddressList(e.Destination.ToAddresses), models.AddressList(e.Destination.CcAddresses)
			for _, addr := range to {
				one.To = append(one.To, queue.Addressee{Email: addr, Variables: vars})
			}
			var msgs []queue.Message
			if msgs, err = a.cfg.Sending.Submit(c.ctx, one); err == nil {
				out[i] = bulkResult{Status: "SUCCESS", MessageId: msgs[0].UID}
				continue
			}
		}
		ae := a.toError(c.ctx, "SendBulkEmail", "", err)
		if ae.Status >= 500 {
			return nil, err
		}
		status := "INVALID_PARAMETER"
		switch ae.Code {
		case "MessageRejected":
			status = "MESSAGE_REJECTED"
		case "NotFoundException":
			status = "TEMPLATE_NOT_FOUND"
		case "TooManyRequestsException":
			status = "ACCOUNT_THROTTLED"
		}
		out[i] = bulkResult{Status: status, Error: ae.Message}
	}
	return out, nil
}

// Templates, by name.

type templateInput struct {
	TemplateName    string
	TemplateContent *v2TemplateContent
}

func (in *templateInput) content(name string) (content.TemplateInput, error) {
	if in.TemplateContent == nil {
		return content.TemplateInput{}, badRequest("TemplateContent is required.")
	}
	return content.TemplateInput{Name: name, Subject: in.TemplateContent.Subject, HTML: in.TemplateContent.Html, Text: in.TemplateContent.Text}, nil
}

func (a *API) createEmailTemplate(c *call, _ map[string]string) (any, error) {
	var in templateInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.TemplateName) == "" {
		return nil, badRequest("TemplateName is required.")
	}
	if _, err := a.cfg.Templates.TemplateByName(c.ctx, in.TemplateName); err == nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "AlreadyExistsException", Message: "Template " + truncate(in.TemplateName, 64) + " already exists."}
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	tin, err := in.content(in.TemplateName)
	if err != nil {
		return nil, err
	}
	uid := c.caller.User.ID
	if _, err := a.cfg.Templates.CreateTemplate(c.ctx, tin, &uid); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) template(c *call, name string) (*content.Template, error) {
	t, err := a.cfg.Templates.TemplateByName(c.ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return nil, notFound("Template " + truncate(name, 64) + " does not exist.")
	}
	return t, err
}

func (a *API) getEmailTemplate(c *call, p map[string]string) (any, error) {
	t, err := a.template(c, p["TemplateName"])
	if err != nil {
		return nil, err
	}
	return map[string]any{"TemplateName": t.Name, "TemplateContent": v2TemplateContent{Subject: t.Subject, Html: t.HTML, Text: t.Text}}, nil
}

func (a *API) updateEmailTemplate(c *call, p map[string]string) (any, error) {
	var in templateInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	t, err := a.template(c, p["TemplateName"])
	if err != nil {
		return nil, err
	}
	tin, err := in.content(t.Name)
	if err != nil {
		return nil, err
	}
	if _, err := a.cfg.Templates.UpdateTemplate(c.ctx, t.ID, tin); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) deleteEmailTemplate(c *call, p map[string]string) (any, error) {
	t, err := a.template(c, p["TemplateName"])
	if err != nil {
		return nil, err
	}
	return struct{}{}, a.cfg.Templates.DeleteTemplate(c.ctx, t.ID)
}

// page reads NextToken (an offset Sesame wrote) and PageSize.
func page(q url.Values, field string, most int) (offset, size int, err error) {
	size = most
	if v := q.Get(field); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > most {
			return 0, 0, badRequest(fmt.Sprintf("%s is 1 to %d.", field, most))
		}
	}
	if v := q.Get("NextToken"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, &Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "NextToken is not one Sesame gave."}
		}
	}
	return offset, size, nil
}

func nextToken(offset, size int, total int64) any {
	if int64(offset+size) < total {
		return strconv.Itoa(offset + size)
	}
	return nil
}

func (a *API) listEmailTemplates(c *call, _ map[string]string) (any, error) {
	offset, size, err := page(c.r.URL.Query(), "PageSize", 100)
	if err != nil {
		return nil, err
	}
	pg, err := a.cfg.Templates.ListTemplates(c.ctx, offset, size)
	if err != nil {
		return nil, err
	}
	type meta struct {
		TemplateName     string
		CreatedTimestamp float64
	}
	list := make([]meta, len(pg.Templates))
	for i, t := range pg.Templates {
		list[i] = meta{t.Name, float64(t.CreatedAt.Unix())}
	}
	return map[string]any{"TemplatesMetadata": list, "NextToken": nextToken(offset, size, pg.Total)}, nil
}

// The suppression list: Amazon's reasons are BOUNCE and COMPLAINT;
// Sesame's hard bounces are BOUNCE, its complaints COMPLAINT, and its
// unsubscribes and manual entries, which Amazon has no word for, BOUNCE.

func reasonOf(r audience.SuppressionReason) string {
	if r == audience.ReasonComplaint {
		return "COMPLAINT"
	}
	return "BOUNCE"
}

func (a *API) putSuppressedDestination(c *call, _ map[string]string) (any, error) {
	var in struct{ EmailAddress, Reason string }
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	reason := audience.ReasonHardBounce
	switch in.Reason {
	case "BOUNCE":
	case "COMPLAINT":
		reason = audience.ReasonComplaint
	default:
		return nil, badRequest("Reason is BOUNCE or COMPLAINT.")
	}
	addr, err := models.NormalizeEmail(in.EmailAddress)
	if err != nil {
		return nil, badRequest("EmailAddress: " + err.Error() + ".")
	}
	if _, _, err := a.cfg.Suppressions.AddSuppression(c.ctx, audience.SuppressionInput{Value: addr, Reason: reason, Source: "Amazon SES API"}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *API) suppressed(c *call, raw string) (*audience.Suppression, error) {
	addr, err := models.NormalizeEmail(raw)
	if err != nil {
		return nil, badRequest("EmailAddress: " + err.Error() + ".")
	}
	found, err := a.cfg.Suppressions.SuppressionsOf(c.ctx, []string{addr})
	if err != nil {
		return nil, err
	}
	s, ok := found[strings.ToLower(addr)]
	if !ok || s.Kind != audience.SuppressAddress {
		return nil, notFound(addr + " is not on the suppression list.")
	}
	return &s, nil
}

func (a *API) getSuppressedDestination(c *call, p map[string]string) (any, error) {
	s, err := a.suppressed(c, p["EmailAddress"])
	if err != nil {
		return nil, err
	}
	return map[string]any{"SuppressedDestination": map[string]any{"EmailAddress": s.Value, "Reason": reasonOf(s.Reason),
		"LastUpdateTime": float64(s.CreatedAt.Unix()), "Attributes": map[string]string{"MessageId": "", "FeedbackId": ""}}}, nil
}

func (a *API) deleteSuppressedDestination(c *call, p map[string]string) (any, error) {
	s, err := a.suppressed(c, p["EmailAddress"])
	if err != nil {
		return nil, err
	}
	_, err = a.cfg.Suppressions.RemoveSuppressionsOf(c.ctx, []string{s.Value}, []audience.SuppressionReason{s.Reason})
	return struct{}{}, err
}

func (a *API) listSuppressedDestinations(c *call, _ map[string]string) (any, error) {
	q := c.r.URL.Query()
	offset, size, err := page(q, "PageSize", 1000)
	if err != nil {
		return nil, err
	}
	query := audience.SuppressionQuery{Offset: offset, Limit: size}
	for _, r := range q["Reason"] {
		switch r {
		case "BOUNCE":
			query.Reasons = append(query.Reasons, audience.ReasonHardBounce, audience.ReasonUnsubscribe, audience.ReasonManual)
		case "COMPLAINT":
			query.Reasons = append(query.Reasons, audience.ReasonComplaint)
		default:
			return nil, badRequest("Reason is BOUNCE or COMPLAINT.")
		}
	}
	list, total, err := a.cfg.Suppressions.ListSuppressions(c.ctx, query)
	if err != nil {
		return nil, err
	}
	type summary struct {
		EmailAddress, Reason string
		LastUpdateTime       float64
	}
	out := []summary{}
	for _, s := range list {
		out = append(out, summary{s.Value, reasonOf(s.Reason), float64(s.CreatedAt.Unix())})
	}
	return map[string]any{"SuppressedDestinationSummaries": out, "NextToken": nextToken(offset, size, total)}, nil
}

// getAccount is GetAccount: the quota is the warm-up plans' (their sum
// over the sending domains, -1 when one is unlimited, as Amazon writes an
// unlimited quota), sending is enabled while some domain can send.
func (a *API) getAccount(c *call, _ map[string]string) (any, error) {
	quota, sent, enabled, err := a.quota(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"DedicatedIpAutoWarmupEnabled": true,
		"EnforcementStatus":            "HEALTHY",
		"ProductionAccessEnabled":      true,
		"SendingEnabled":               enabled,
		"SendQuota":                    map[string]float64{"Max24HourSend": quota, "MaxSendRate": maxSendRate, "SentLast24Hours": sent},
		"SuppressionAttributes":        map[string]any{"SuppressedReasons": []string{"BOUNCE", "COMPLAINT"}},
	}, nil
}

// maxSendRate is the messages a second an API client may submit: Sesame
// queues and paces delivery itself, so this only tells clients not to wait
// between sends.
const maxSendRate = 100

func (a *API) quota(c *call) (quota, sent float64, enabled bool, err error) {
	statuses, err := a.cfg.Warmup.WarmupOverview(c.ctx)
	if err != nil {
		return 0, 0, false, err
	}
	domains, err := a.cfg.Domains.ListDomains(c.ctx)
	if err != nil {
		return 0, 0, false, err
	}
	for i := range domains {
		enabled = enabled || a.cfg.Domains.CanSend(&domains[i])
	}
	for _, s := range statuses {
		if s.Kind != queue.WarmupDomain {
			continue
		}
		sent += float64(s.Used)
		if s.Unlimited || quota < 0 {
			quota = -1
			continue
		}
		quota += float64(s.Quota)
	}
	return quota, sent, enabled, nil
}

// Identities: Sesame's sending domains, and its sender addresses as
// address identities.

func (a *API) verification(d *identity.Domain) string {
	if d.Verified() {
		return "SUCCESS"
	}
	return "PENDING"
}

func (a *API) listEmailIdentities(c *call, _ map[string]string) (any, error) {
	q := c.r.URL.Query()
	if c.r.Method == http.MethodPost { // the paging is in the body
		var in struct {
			NextToken string
			PageSize  int
		}
		if err := decode(c.body, &in); err != nil {
			return nil, err
		}
		q = url.Values{}
		if in.NextToken != "" {
			q.Set("NextToken", in.NextToken)
		}
		if in.PageSize != 0 {
			q.Set("PageSize", strconv.Itoa(in.PageSize))
		}
	}
	offset, size, err := page(q, "PageSize", 1000)
	if err != nil {
		return nil, err
	}
	domains, err := a.cfg.Domains.ListDomains(c.ctx)
	if err != nil {
		return nil, err
	}
	type info struct {
		IdentityType, IdentityName, VerificationStatus string
		SendingEnabled                                 bool
	}
	out := []info{}
	for i := offset; i < len(domains) && i < offset+size; i++ {
		d := &domains[i]
		out = append(out, info{"DOMAIN", d.Name, a.verification(d), a.cfg.Domains.CanSend(d)})
	}
	return map[string]any{"EmailIdentities": out, "NextToken": nextToken(offset, size, int64(len(domains)))}, nil
}

func (a *API) getEmailIdentity(c *call, p map[string]string) (any, error) {
	name, kind := p["EmailIdentity"], "DOMAIN"
	var d *identity.Domain
	if strings.Contains(name, "@") {
		s, err := a.cfg.Senders.SenderForSending(c.ctx, name)
		if errors.Is(err, models.ErrNotFound) {
			return nil, notFound("Email identity " + truncate(name, 254) + " does not exist.")
		} else if err != nil {
			return nil, err
		}
		d, kind = s.Domain, "EMAIL_ADDRESS"
	} else {
		dom, err := models.NormalizeDomain(name)
		if err == nil {
			d, err = a.cfg.Domains.GetDomainByName(c.ctx, dom)
		}
		if errors.Is(err, models.ErrNotFound) || d == nil {
			return nil, notFound("Email identity " + truncate(name, 254) + " does not exist.")
		} else if err != nil {
			return nil, err
		}
	}
	status := a.verification(d)
	return map[string]any{
		"IdentityType":             kind,
		"VerificationStatus":       status,
		"VerifiedForSendingStatus": a.cfg.Domains.CanSend(d),
		"FeedbackForwardingStatus": true,
		"DkimAttributes":           map[string]any{"SigningEnabled": true, "Status": status, "SigningAttributesOrigin": "AWS_SES"},
	}, nil
}
