package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// MessageService is what the message pages read.
type MessageService interface {
	GetMessageByUID(ctx context.Context, uid string) (*queue.Message, error)
	MessageEvents(ctx context.Context, messageID uint64) ([]queue.MessageEvent, error)
	GetMessageContent(ctx context.Context, id uint64) (*queue.MessageContent, error)
	FindMessages(ctx context.Context, q queue.MessageQuery) ([]queue.MessageRow, bool, error)
}

// DomainGetter loads a sending domain.
type DomainGetter interface {
	GetDomain(ctx context.Context, id uint64) (*identity.Domain, error)
}

// Submitter queues mail by the sending rules (package sending).
type Submitter interface {
	Sender(ctx context.Context, id uint64) (*identity.SenderAddress, error)
	Template(ctx context.Context, id uint64) (*content.Template, error)
	Submit(ctx context.Context, req sending.Request) ([]queue.Message, error)
}

// Messages serves one message's page and the test send.
type Messages struct {
	svc       MessageService
	domains   DomainGetter
	senders   SenderChoices
	templates TemplateChoices
	send      Submitter
	builder   *outgoing.Builder
}

// NewMessages builds the message handlers; builder rebuilds a message for
// display.
func NewMessages(svc MessageService, domains DomainGetter, senders SenderChoices, templates TemplateChoices, send Submitter, builder *outgoing.Builder) *Messages {
	return &Messages{svc: svc, domains: domains, senders: senders, templates: templates, send: send, builder: builder}
}

func (h *Messages) page(c echo.Context, withBody bool) (views.MessagePage, error) {
	ctx := c.Request().Context()
	m, err := h.svc.GetMessageByUID(ctx, c.Param("uid"))
	if err != nil {
		return views.MessagePage{}, err
	}
	p := views.MessagePage{Message: *m}
	if p.Events, err = h.svc.MessageEvents(ctx, m.ID); err != nil {
		return p, err
	}
	content, err := h.svc.GetMessageContent(ctx, m.ContentID)
	if err != nil {
		return p, err
	}
	p.Subject = content.Subject
	if !withBody {
		return p, nil
	}
	d, err := h.domains.GetDomain(ctx, m.DomainID)
	if err != nil {
		return p, err
	}
	if built, err := h.builder.Unsigned(m, content, d.Name); err == nil {
		p.Raw = built.Data
		p.Subject = built.Subject
		p.Parsed, _ = outgoing.ParseMessage(built.Data)
	}
	return p, nil
}

// Lookup finds messages by day and message id or recipient, or lists the
// day's messages when neither is given.
func (h *Messages) Lookup(c echo.Context) error {
	loc := web.CurrentUser(c).Location()
	p := views.LookupPage{Day: c.QueryParam("day"), Query: strings.TrimSpace(c.QueryParam("q"))}
	if p.Day == "" { // the page opens on today's messages, newest first
		p.Day = time.Now().In(loc).Format(time.DateOnly)
	}
	day, err := time.ParseInLocation(time.DateOnly, p.Day, loc)
	if err != nil {
		p.Errors = models.Invalid("day", "Choose a day.")
		return web.Render(c, http.StatusUnprocessableEntity, views.Lookup(p))
	}
	q := queue.MessageQuery{Day: day}
	if strings.Contains(p.Query, "@") {
		q.Recipient = p.Query
	} else {
		q.UID = p.Query
	}
	p.Searched = true
	if p.Rows, p.More, err = h.svc.FindMessages(c.Request().Context(), q); err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.Lookup(p))
}

func (h *Messages) Show(c echo.Context) error {
	p, err := h.page(c, true)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.Message(p))
}

// Summary is the self-refreshing status part of the page.
func (h *Messages) Summary(c echo.Context) error {
	p, err := h.page(c, false)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.MessageSummary(p))
}

// HTML serves the rebuilt HTML part for the sandboxed frame.
func (h *Messages) HTML(c echo.Context) error {
	p, err := h.page(c, true)
	if err != nil {
		return err
	}
	if p.Parsed == nil {
		return models.ErrNotFound
	}
	return writeConfinedHTML(c, http.StatusOK, p.Parsed.HTML)
}

func (h *Messages) testForm(ctx context.Context, f views.SendTestForm) (views.SendTestForm, error) {
	var err error
	if f.Senders, err = h.senders.ListSendableSenders(ctx); err != nil {
		return f, err
	}
	page, err := h.templates.ListTemplates(ctx, 0, 500)
	if err != nil {
		return f, err
	}
	for _, t := range page.Templates {
		if t.Status == content.TemplateApproved {
			f.Templates = append(f.Templates, t)
		}
	}
	return f, nil
}

func (h *Messages) TestForm(c echo.Context) error {
	f, err := h.testForm(c.Request().Context(), views.SendTestForm{To: web.CurrentUser(c).Email})
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.SendTest(f))
}

// SendTest queues one transactional message and shows its page.
func (h *Messages) SendTest(c echo.Context) error {
	ctx := c.Request().Context()
	f := views.SendTestForm{SenderID: c.FormValue("sender_id"), TemplateID: c.FormValue("template_id"), To: c.FormValue("to"), Variables: c.FormValue("variables")}
	msgs, err := h.sendTest(ctx, f)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		f, ferr := h.testForm(ctx, f)
		if ferr != nil {
			return ferr
		}
		f.Errors = verr
		return web.Render(c, http.StatusUnprocessableEntity, views.SendTest(f))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/messages/"+msgs[0].UID, "Test email queued for "+msgs[0].Recipient+".")
}

func (h *Messages) sendTest(ctx context.Context, f views.SendTestForm) ([]queue.Message, error) {
	senderID, _ := models.ParseID(f.SenderID)
	sender, err := h.send.Sender(ctx, senderID)
	if err != nil {
		return nil, formError(err)
	}
	templateID, _ := models.ParseID(f.TemplateID)
	tpl, err := h.send.Template(ctx, templateID)
	if err != nil {
		return nil, formError(err)
	}
	raw := f.Variables
	if strings.TrimSpace(raw) == "" {
		raw = tpl.SampleData
	}
	vars, err := models.ParseVariables(raw)
	if err != nil {
		return nil, models.Invalid("variables", "The variables are "+err.Error()+".")
	}
	msgs, err := h.send.Submit(ctx, sending.Request{Sender: sender, TemplateID: tpl.ID, Content: queue.MessageContent{Unsubscribe: "2"},
		Transactional: true, To: []queue.Addressee{{Email: f.To, Variables: vars}}})
	return msgs, formError(err)
}

// formError turns a sending rule's refusal into the form's field error.
func formError(err error) error {
	var r *sending.Refusal
	if errors.As(err, &r) {
		return r.Invalid()
	}
	return err
}
