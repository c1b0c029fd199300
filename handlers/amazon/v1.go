package amazon

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
)

// SES v1 is the query protocol: a form POST to / with Action=..., signed
// with Signature Version 4, answered in XML. It shares / with the Tencent
// API and the console, and is told from them by its Authorization scheme
// and its content type (IsV1).

// xmlns is SES v1's namespace.
const xmlns = "http://ses.amazonaws.com/doc/2010-12-01/"

// IsV1 recognises an SES v1 request among the POSTs of /.
func IsV1(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return IsSigV4(r) && mt == "application/x-www-form-urlencoded"
}

var v1Actions = map[string]func(a *API, c *call, f url.Values) (any, error){
	"SendEmail":              (*API).v1SendEmail,
	"SendRawEmail":           (*API).v1SendRawEmail,
	"SendTemplatedEmail":     (*API).v1SendTemplatedEmail,
	"SendBulkTemplatedEmail": (*API).v1SendBulkTemplatedEmail,
	"GetSendQuota":           (*API).v1GetSendQuota,
	"GetSendStatistics":      (*API).v1GetSendStatistics,
	"ListIdentities":         (*API).v1ListIdentities,
	"VerifyDomainIdentity":   (*API).v1VerifyDomainIdentity,
}

func (a *API) handleV1(c echo.Context) error {
	r := c.Request()
	id := newRequestID()
	var (
		out    any
		err    error
		action string
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				a.log.ErrorContext(r.Context(), "panic in SES v1 action", "panic", p, "stack", string(debug.Stack()))
				out, err = nil, fmt.Errorf("panic: %v", p)
			}
		}()
		var cl *call
		if cl, err = a.read(r, "v1"); err != nil {
			return
		}
		form, perr := url.ParseQuery(string(cl.body))
		if perr != nil {
			err = v1Error("InvalidParameterValue", "The body is not valid form encoding.")
			return
		}
		action = form.Get("Action")
		run, ok := v1Actions[action]
		if !ok {
			err = &Error{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "Sesame does not serve the SES v1 action " + strconv.Quote(truncate(action, 64)) + "."}
			return
		}
		out, err = run(a, cl, form)
	}()
	h := c.Response().Header()
	h.Set("X-Amzn-RequestId", id)
	h.Set("Cache-Control", "no-store")
	meta := struct {
		RequestId string
	}{id}
	if err != nil {
		e := a.toError(r.Context(), action, id, err)
		kind := "Sender"
		if e.Status >= 500 {
			kind = "Receiver"
		}
		return c.XML(e.Status, struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Xmlns     string   `xml:"xmlns,attr"`
			Error     struct{ Type, Code, Message string }
			RequestId string
		}{Xmlns: xmlns, Error: struct{ Type, Code, Message string }{kind, v1Code(e.Code), e.Message}, RequestId: id})
	}
	// <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	err = errors.Join(enc.EncodeToken(start), enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}}),
		enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}), enc.EncodeToken(start.End()), enc.Flush())
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/xml", buf.Bytes())
}

// v1Code is a v2 code as v1 names it.
func v1Code(code string) string {
	switch code {
	case "BadRequestException":
		return "InvalidParameterValue"
	case "NotFoundException":
		return "TemplateDoesNotExist"
	case "TooManyRequestsException":
		return "Throttling"
	case "InternalServiceErrorException":
		return "InternalFailure"
	}
	return code
}

func v1Error(code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg}
}

// members reads a query-protocol list: prefix.member.1, .2, …
func members(f url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[prefix+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func tags(f url.Values) []v2Tag {
	var out []v2Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		if !f.Has(p + ".Name") {
			return out
		}
		out = append(out, v2Tag{Name: f.Get(p + ".Name"), Value: f.Get(p + ".Value")})
	}
}

func destination(f url.Values) *v2Destination {
	return &v2Destination{ToAddresses: members(f, "Destination.ToAddresses"), CcAddresses: members(f, "Destination.CcAddresses"),
		BccAddresses: members(f, "Destination.BccAddresses")}
}

type messageID struct{ MessageId string }

func (a *API) v1SendEmail(c *call, f url.Values) (any, error) {
	simple := &v2Simple{Subject: v2Content{Data: f.Get("Message.Subject.Data")}}
	if f.Has("Message.Body.Text.Data") {
		simple.Body.Text = &v2Content{Data: f.Get("Message.Body.Text.Data")}
	}
	if f.Has("Message.Body.Html.Data") {
		simple.Body.Html = &v2Content{Data: f.Get("Message.Body.Html.Data")}
	}
	id, err := a.submit(c, sendEmailInput{FromEmailAddress: f.Get("Source"), Destination: destination(f),
		ReplyToAddresses: members(f, "ReplyToAddresses"), Content: v2EmailContent{Simple: simple}, EmailTags: tags(f)})
	return messageID{id}, err
}

func (a *API) v1SendRawEmail(c *call, f url.Values) (any, error) {
	data, err := base64.StdEncoding.DecodeString(f.Get("RawMessage.Data"))
	if err != nil {
		return nil, v1Error("InvalidParameterValue", "RawMessage.Data is not base64.")
	}
	id, err := a.submit(c, sendEmailInput{FromEmailAddress: f.Get("Source"), Destination: &v2Destination{ToAddresses: members(f, "Destinations")},
		Content: v2EmailContent{Raw: &struct{ Data []byte }{data}}, EmailTags: tags(f)})
	return messageID{id}, err
}

func (a *API) v1SendTemplatedEmail(c *call, f url.Values) (any, error) {
	id, err := a.submit(c, sendEmailInput{FromEmailAddress: f.Get("Source"), Destination: destination(f),
		ReplyToAddresses: members(f, "ReplyToAddresses"), EmailTags: tags(f),
		Content: v2EmailContent{Template: &v2Template{TemplateName: f.Get("Template"), TemplateData: f.Get("TemplateData")}}})
	var nf *Error
	if errors.As(err, &nf) && nf.Code == "NotFoundException" {
		return nil, v1Error("TemplateDoesNotExist", nf.Message)
	}
	return messageID{id}, err
}

func (a *API) v1GetSendQuota(c *call, _ url.Values) (any, error) {
	quota, sent, _, err := a.quota(c)
	if err != nil {
		return nil, err
	}
	return struct {
		Max24HourSend, MaxSendRate, SentLast24Hours float64
	}{quota, maxSendRate, sent}, nil
}

// v1ListIdentities lists the sending domains (IdentityType Domain, or
// none): Sesame's sender addresses are not listed as address identities.
func (a *API) v1ListIdentities(c *call, f url.Values) (any, error) {
	type list struct {
		Identities []string `xml:"Identities>member"`
	}
	if t := f.Get("IdentityType"); t == "EmailAddress" {
		return list{}, nil
	} else if t != "" && t != "Domain" {
		return nil, v1Error("InvalidParameterValue", "IdentityType is EmailAddress or Domain.")
	}
	domains, err := a.cfg.Domains.ListDomains(c.ctx)
	if err != nil {
		return nil, err
	}
	out := list{Identities: []string{}}
	for _, d := range domains {
		out.Identities = append(out.Identities, d.Name)
	}
	return out, nil
}

// v1BulkStatus is SES v2's entry status as v1 names it.
var v1BulkStatus = map[string]string{"SUCCESS": "Success", "MESSAGE_REJECTED": "MessageRejected",
	"TEMPLATE_NOT_FOUND": "TemplateDoesNotExist", "ACCOUNT_THROTTLED": "AccountThrottled", "INVALID_PARAMETER": "InvalidParameterValue"}

func (a *API) v1SendBulkTemplatedEmail(c *call, f url.Values) (any, error) {
	in := bulkInput{FromEmailAddress: f.Get("Source"), ReplyToAddresses: members(f, "ReplyToAddresses"), DefaultEmailTags: tags(f)}
	in.DefaultContent.Template = &v2Template{TemplateName: f.Get("Template"), TemplateData: f.Get("DefaultTemplateData")}
	for i := 1; ; i++ {
		p := "Destinations.member." + strconv.Itoa(i)
		to, cc, bcc := members(f, p+".Destination.ToAddresses"), members(f, p+".Destination.CcAddresses"), members(f, p+".Destination.BccAddresses")
		if len(to)+len(cc)+len(bcc) == 0 {
			break
		}
		e := bulkEntry{Destination: v2Destination{ToAddresses: to, CcAddresses: cc, BccAddresses: bcc}}
		if d := f.Get(p + ".ReplacementTemplateData"); d != "" {
			e.ReplacementEmailContent = &replacement{ReplacementTemplate: &struct{ ReplacementTemplateData string }{d}}
		}
		in.BulkEmailEntries = append(in.BulkEmailEntries, e)
	}
	results, err := a.bulk(c, in)
	var nf *Error
	if errors.As(err, &nf) && nf.Code == "NotFoundException" {
		return nil, v1Error("TemplateDoesNotExist", nf.Message)
	}
	if err != nil {
		return nil, err
	}
	type status struct{ Status, Error, MessageId string }
	out := struct {
		Status []status `xml:"Status>member"`
	}{}
	for _, r := range results {
		out.Status = append(out.Status, status{v1BulkStatus[r.Status], r.Error, r.MessageId})
	}
	return out, nil
}

// statisticsDays is how far back GetSendStatistics looks, as Amazon's two
// weeks; Sesame's points are days, Amazon's quarter-hours.
const statisticsDays = 14

func (a *API) v1GetSendStatistics(c *call, _ url.Values) (any, error) {
	now := a.clock.Now().UTC()
	days, err := a.cfg.Stats.DailyVolumes(c.ctx, now.AddDate(0, 0, -(statisticsDays-1)), now, time.UTC, queue.StatsFilter{})
	if err != nil {
		return nil, err
	}
	type point struct {
		Timestamp                                      string
		DeliveryAttempts, Bounces, Complaints, Rejects int64
	}
	out := struct {
		SendDataPoints []point `xml:"SendDataPoints>member"`
	}{SendDataPoints: []point{}}
	for _, d := range days {
		if d.Accepted == 0 && d.Bounced == 0 && d.Complained == 0 && d.Requested == 0 {
			continue
		}
		out.SendDataPoints = append(out.SendDataPoints, point{d.Start.UTC().Format(time.RFC3339), d.Accepted, d.Bounced, d.Complained, d.Requested - d.Accepted})
	}
	return out, nil
}

// v1VerifyDomainIdentity reads a sending domain: an admin adds domains in
// the console (or with the Tencent API's CreateEmailIdentity); this
// answers the token of one that exists, as Amazon's is answered again for
// a domain already added.
func (a *API) v1VerifyDomainIdentity(c *call, f url.Values) (any, error) {
	name, err := models.NormalizeDomain(f.Get("Domain"))
	if err != nil {
		return nil, v1Error("InvalidParameterValue", "Domain: "+err.Error()+".")
	}
	d, err := a.cfg.Domains.GetDomainByName(c.ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return nil, v1Error("InvalidParameterValue", name+" is not a sending domain in Sesame: an admin adds it in the console (Domains) first.")
	} else if err != nil {
		return nil, err
	}
	return struct{ VerificationToken string }{d.VerifyToken}, nil
}
