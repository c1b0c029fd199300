package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// TemplateService is what the template pages need.
type TemplateService interface {
	ListTemplates(ctx context.Context, offset, limit int) (*content.TemplatePage, error)
	GetTemplate(ctx context.Context, id uint64) (*content.Template, error)
	CreateTemplate(ctx context.Context, in content.TemplateInput, createdBy *uint64) (*content.Template, error)
	UpdateTemplate(ctx context.Context, id uint64, in content.TemplateInput) (*content.Template, error)
	DuplicateTemplate(ctx context.Context, id uint64, createdBy *uint64) (*content.Template, error)
	DeleteTemplate(ctx context.Context, id uint64) error
	ReviewTemplate(ctx context.Context, id uint64, approve bool, reason string) (*content.Template, error)
	CountTemplatesByStatus(ctx context.Context, status content.TemplateStatus) (int64, error)
}

// ReviewSetting says, and sets, whether templates wait for an admin's review.
type ReviewSetting interface {
	TemplateReviewRequired(ctx context.Context) (bool, error)
	SetTemplateReviewRequired(ctx context.Context, on bool) error
}

// Templates serves the template list, editor, preview and review.
type Templates struct {
	svc    TemplateService
	review ReviewSetting
}

// NewTemplates builds the template handlers.
func NewTemplates(svc TemplateService, review ReviewSetting) *Templates {
	return &Templates{svc: svc, review: review}
}

// templateBodyLimit lets a template of up to 10 MB, plus its sample data
// and form encoding, reach validation, which explains the limit.
const templateBodyLimit = 3 * content.MaxMessageBytes

const templatesPerPage = 50

func (h *Templates) List(c echo.Context) error {
	ctx := c.Request().Context()
	offset := max(0, web.QueryInt(c, "offset"))
	page, err := h.svc.ListTemplates(ctx, offset, templatesPerPage)
	if err != nil {
		return err
	}
	review, err := h.review.TemplateReviewRequired(ctx)
	if err != nil {
		return err
	}
	pending, err := h.svc.CountTemplatesByStatus(ctx, content.TemplatePending)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TemplateList(views.TemplateListPage{
		Templates: page.Templates, Total: page.Total, Offset: offset, PerPage: templatesPerPage, ReviewRequired: review, Pending: pending,
	}))
}

func (h *Templates) New(c echo.Context) error {
	in := content.TemplateInput{SampleData: `{"name": "Ann"}`, Subject: "Hello {{name}}", HTML: "<p>Hello {{name}},</p>\n"}
	return web.Render(c, http.StatusOK, views.TemplateEditor(views.TemplateForm{Input: in, Check: checkTemplate(in)}))
}

func templateInput(c echo.Context) content.TemplateInput {
	return content.TemplateInput{Name: c.FormValue("name"), Subject: c.FormValue("subject"), HTML: c.FormValue("html"),
		Text: c.FormValue("text"), SampleData: c.FormValue("sample_data")}
}

func (h *Templates) Create(c echo.Context) error {
	in := templateInput(c)
	uid := web.CurrentUser(c).ID
	t, err := h.svc.CreateTemplate(c.Request().Context(), in, &uid)
	form := views.TemplateForm{Input: in}
	if errors.As(err, &form.Errors) {
		form.Check = checkTemplate(in)
		return web.Render(c, http.StatusUnprocessableEntity, views.TemplateEditor(form))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, templatePath(t.ID), "Template "+t.Name+" saved."+reviewNote(t))
}

func reviewNote(t *content.Template) string {
	if t.Status == content.TemplatePending {
		return " It waits for an admin's review before tasks can use it."
	}
	return ""
}

func templatePath(id uint64) string { return "/templates/" + strconv.FormatUint(id, 10) }

func (h *Templates) Edit(c echo.Context) error {
	t, err := h.load(c)
	if err != nil {
		return err
	}
	in := content.TemplateInput{Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text, SampleData: t.SampleData}
	return web.Render(c, http.StatusOK, views.TemplateEditor(views.TemplateForm{Template: t, Input: in, Check: checkTemplate(in)}))
}

func (h *Templates) Update(c echo.Context) error {
	t, err := h.load(c)
	if err != nil {
		return err
	}
	in := templateInput(c)
	updated, err := h.svc.UpdateTemplate(c.Request().Context(), t.ID, in)
	form := views.TemplateForm{Template: t, Input: in}
	if errors.As(err, &form.Errors) {
		form.Check = checkTemplate(in)
		return web.Render(c, http.StatusUnprocessableEntity, views.TemplateEditor(form))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, templatePath(t.ID), "Template "+updated.Name+" saved."+reviewNote(updated))
}

func (h *Templates) Duplicate(c echo.Context) error {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	uid := web.CurrentUser(c).ID
	t, err := h.svc.DuplicateTemplate(c.Request().Context(), id, &uid)
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, templatePath(t.ID), "Copied as "+t.Name+".")
}

func (h *Templates) Delete(c echo.Context) error {
	t, err := h.load(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTemplate(c.Request().Context(), t.ID); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/templates", "Template "+t.Name+" deleted.")
}

// Review is an admin approving or rejecting a template.
func (h *Templates) Review(c echo.Context) error {
	t, err := h.load(c)
	if err != nil {
		return err
	}
	approve := c.FormValue("decision") == "approve"
	reviewed, err := h.svc.ReviewTemplate(c.Request().Context(), t.ID, approve, c.FormValue("reason"))
	form := views.TemplateForm{Template: t, Input: content.TemplateInput{Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text, SampleData: t.SampleData}}
	if errors.As(err, &form.ReviewErrors) {
		form.Check = checkTemplate(form.Input)
		return web.Render(c, http.StatusUnprocessableEntity, views.TemplateEditor(form))
	}
	if err != nil {
		return err
	}
	msg := "Template " + reviewed.Name + " approved: tasks can use it."
	if !approve {
		msg = "Template " + reviewed.Name + " rejected."
	}
	return web.RedirectWithFlash(c, templatePath(t.ID), msg)
}

// SetReview turns template review on or off.
func (h *Templates) SetReview(c echo.Context) error {
	on := c.FormValue("review") == "on"
	if err := h.review.SetTemplateReviewRequired(c.Request().Context(), on); err != nil {
		return err
	}
	msg := "Template review is off: new and changed templates are approved at once."
	if on {
		msg = "Template review is on: new and changed templates wait for an admin's approval."
	}
	return web.RedirectWithFlash(c, "/templates", msg)
}

// Check answers the editor's htmx requests with the variables, errors,
// lint warnings and rendered subject and text of the form as typed.
func (h *Templates) Check(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.TemplateCheckPanel(checkTemplate(templateInput(c))))
}

func checkTemplate(in content.TemplateInput) views.TemplateCheck {
	var check views.TemplateCheck
	if err := in.Validate(); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			for _, f := range []string{"subject", "html", "text", "sample_data"} {
				if msg := verr.Field(f); msg != "" {
					check.Errors = append(check.Errors, views.PartLabel(f)+": "+msg)
				}
			}
		}
	}
	check.Warnings = outgoing.Lint(in.Subject, in.HTML, in.Text)
	tpl, err := outgoing.Compile(in.Subject, in.HTML, in.Text)
	if err != nil {
		return check
	}
	check.Variables = tpl.Variables()
	vars, err := sampleVariables(in.SampleData)
	if err != nil {
		return check
	}
	check.Missing = tpl.Missing(vars)
	if m, err := tpl.Render(vars); err == nil {
		check.Subject, check.Text, check.Rendered = m.Subject, m.Text, true
	}
	return check
}

// previewPolicy confines a preview document: the sandbox directive gives it
// an opaque origin with no scripts, forms or plugins even if it is opened
// outside its frame, and it may load nothing but inline styles and images
// from data: and https: URLs. The console's own policy cannot apply: an
// email's HTML lives on inline styles, which the console forbids.
const previewPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data: https:; frame-ancestors 'self'"

// Preview renders the posted template with its sample data as a document
// of its own, for the editor's sandboxed frame. The frame loads it by URL
// (the Preview button posts the form into it) rather than from srcdoc: a
// srcdoc document inherits the console's strict CSP, which would strip the
// inline styles every email uses.
func (h *Templates) Preview(c echo.Context) error {
	return writePreview(c, templateInput(c))
}

// ShowPreview renders a saved template with its saved sample data.
func (h *Templates) ShowPreview(c echo.Context) error {
	t, err := h.load(c)
	if err != nil {
		return err
	}
	return writePreview(c, content.TemplateInput{Subject: t.Subject, HTML: t.HTML, Text: t.Text, SampleData: t.SampleData})
}

func writePreview(c echo.Context, in content.TemplateInput) error {
	body, status := previewDocument(in)
	return writeConfinedHTML(c, status, body)
}

// writeConfinedHTML serves an email's HTML under previewPolicy, for a
// sandboxed frame of the console.
func writeConfinedHTML(c echo.Context, status int, html string) error {
	hdr := c.Response().Header()
	hdr.Set("Content-Security-Policy", previewPolicy)
	hdr.Set("X-Frame-Options", "SAMEORIGIN")
	hdr.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, []byte(html))
}

// sampleVariables are the editor's sample data, with a stand-in for
// {{unsubscribe_url}}, which Sesame fills in for each recipient when it
// sends.
func sampleVariables(raw string) (map[string]string, error) {
	vars, err := models.ParseVariables(raw)
	if err != nil {
		return nil, err
	}
	if _, ok := vars[models.UnsubscribeVariable]; !ok {
		vars[models.UnsubscribeVariable] = "#unsubscribe"
	}
	return vars, nil
}

// previewDocument is the rendered HTML part (or the text part, escaped, for
// a text-only template), or a short page saying why it cannot be shown.
func previewDocument(in content.TemplateInput) (string, int) {
	vars, err := sampleVariables(in.SampleData)
	if err != nil {
		return views.PreviewMessage("The sample data is " + err.Error() + "."), http.StatusUnprocessableEntity
	}
	m, err := outgoing.Preview(in.Subject, in.HTML, in.Text, vars)
	if err != nil {
		return views.PreviewMessage("This template cannot be shown: " + err.Error() + "."), http.StatusUnprocessableEntity
	}
	if m.HTML == "" {
		return views.PreviewText(m.Text), http.StatusOK
	}
	return m.HTML, http.StatusOK
}

func (h *Templates) load(c echo.Context) (*content.Template, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.svc.GetTemplate(c.Request().Context(), id)
}
