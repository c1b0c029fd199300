package api

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
)

// Templates: Create/Get/List/Update/DeleteEmailTemplate. The HTML and text
// travel base64-encoded in TemplateContent; Tencent's templates have no
// subject (a send gives it), so a template made here has none either until
// someone gives it one in the console.

// decodeBase64Text reads base64 (padded or not) holding UTF-8 text.
func decodeBase64Text(field, s string, code string) (string, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return "", errf(code, "%s is not valid base64.", field)
	}
	if !utf8.Valid(b) {
		return "", errf(code, "%s does not decode to UTF-8 text.", field)
	}
	return string(b), nil
}

// decodeContent reads TemplateContent: nil parts stay nil.
func decodeContent(c *wire.TemplateContent, code string) (html, text *string, err error) {
	if c == nil {
		return nil, nil, nil
	}
	if c.Html != nil {
		h, err := decodeBase64Text("TemplateContent.Html", *c.Html, code)
		if err != nil {
			return nil, nil, err
		}
		html = &h
	}
	if c.Text != nil {
		t, err := decodeBase64Text("TemplateContent.Text", *c.Text, code)
		if err != nil {
			return nil, nil, err
		}
		text = &t
	}
	return html, text, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (h *templateActions) templateNameFree(ctx context.Context, name string, except uint64) error {
	page, err := h.templates.ListTemplates(ctx, 0, 1<<20)
	if err != nil {
		return err
	}
	for _, t := range page.Templates {
		if t.Name == strings.TrimSpace(name) && t.ID != except {
			return errf(wire.CodeTemplateNameIllegal, "A template named %q already exists.", t.Name)
		}
	}
	return nil
}

func (h *templateActions) createEmailTemplate(ctx context.Context, c *Caller, req *wire.CreateEmailTemplateRequest) (*wire.CreateEmailTemplateResponse, error) {
	if strings.TrimSpace(req.TemplateName) == "" {
		return nil, errf(wire.CodeTemplateNameIsNULL, "TemplateName is required.")
	}
	html, text, err := decodeContent(req.TemplateContent, wire.CodeTemplateContentIsWrong)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(deref(html)) == "" && strings.TrimSpace(deref(text)) == "" {
		return nil, errf(wire.CodeTemplateContentIsNULL, "TemplateContent needs Html, Text or both (base64).")
	}
	if err := h.templateNameFree(ctx, req.TemplateName, 0); err != nil {
		return nil, err
	}
	uid := c.User.ID
	t, err := h.templates.CreateTemplate(ctx, content.TemplateInput{Name: req.TemplateName, HTML: deref(html), Text: deref(text)}, &uid)
	if err != nil {
		return nil, err
	}
	return &wire.CreateEmailTemplateResponse{TemplateID: t.ID}, nil
}

func (h *templateActions) templateByID(ctx context.Context, id uint64) (*content.Template, error) {
	if id == 0 {
		return nil, errf(wire.CodeMissingParameter, "TemplateID is required.")
	}
	t, err := h.templates.GetTemplate(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeTemplateNotExist, "There is no template %d.", id)
	}
	return t, err
}

func (h *templateActions) getEmailTemplate(ctx context.Context, _ *Caller, req *wire.TemplateIDRequest) (*wire.GetEmailTemplateResponse, error) {
	t, err := h.templateByID(ctx, req.TemplateID)
	if err != nil {
		return nil, err
	}
	html := base64.StdEncoding.EncodeToString([]byte(t.HTML))
	text := base64.StdEncoding.EncodeToString([]byte(t.Text))
	return &wire.GetEmailTemplateResponse{TemplateContent: wire.TemplateContent{Html: &html, Text: &text},
		TemplateStatus: uint64(t.Status.TencentCode()), TemplateName: t.Name}, nil
}

// updateEmailTemplate replaces the name and the parts given; the subject
// and sample data set in the console are kept. With review on, the
// template waits for review again.
func (h *templateActions) updateEmailTemplate(ctx context.Context, _ *Caller, req *wire.UpdateEmailTemplateRequest) (*wire.Empty, error) {
	t, err := h.templateByID(ctx, req.TemplateID)
	if err != nil {
		return nil, err
	}
	in := content.TemplateInput{Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text, SampleData: t.SampleData}
	if req.TemplateName != nil {
		if strings.TrimSpace(*req.TemplateName) == "" {
			return nil, errf(wire.CodeTemplateNameIsNULL, "TemplateName cannot be empty.")
		}
		if err := h.templateNameFree(ctx, *req.TemplateName, t.ID); err != nil {
			return nil, err
		}
		in.Name = *req.TemplateName
	}
	html, text, err := decodeContent(req.TemplateContent, wire.CodeTemplateContentIsWrong)
	if err != nil {
		return nil, err
	}
	if html != nil {
		in.HTML = *html
	}
	if text != nil {
		in.Text = *text
	}
	if strings.TrimSpace(in.HTML) == "" && strings.TrimSpace(in.Text) == "" {
		return nil, errf(wire.CodeTemplateContentIsNULL, "TemplateContent needs Html, Text or both (base64).")
	}
	if _, err := h.templates.UpdateTemplate(ctx, t.ID, in); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *templateActions) deleteEmailTemplate(ctx context.Context, _ *Caller, req *wire.TemplateIDRequest) (*wire.Empty, error) {
	t, err := h.templateByID(ctx, req.TemplateID)
	if err != nil {
		return nil, err
	}
	if err := h.templates.DeleteTemplate(ctx, t.ID); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *templateActions) listEmailTemplates(ctx context.Context, _ *Caller, req *wire.ListEmailTemplatesRequest) (*wire.ListEmailTemplatesResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	page, err := h.templates.ListTemplates(ctx, int(min(req.Offset, 1<<31)), int(limit))
	if err != nil {
		return nil, err
	}
	out := &wire.ListEmailTemplatesResponse{TemplatesMetadata: []wire.TemplatesMetadata{}, TotalCount: uint64(page.Total)}
	for _, t := range page.Templates {
		out.TemplatesMetadata = append(out.TemplatesMetadata, wire.TemplatesMetadata{CreatedTimestamp: uint64(max(t.CreatedAt.Unix(), 0)),
			TemplateName: t.Name, TemplateStatus: t.Status.TencentCode(), TemplateID: t.ID, ReviewReason: t.ReviewReason})
	}
	return out, nil
}

// templateActions serves its resource's actions.
type templateActions struct {
	dates
	templates templateTemplates
}

// templateTemplates is what templateActions need of the templates.
type templateTemplates interface {
	CreateTemplate(ctx context.Context, in content.TemplateInput, createdBy *uint64) (*content.Template, error)
	DeleteTemplate(ctx context.Context, id uint64) error
	GetTemplate(ctx context.Context, id uint64) (*content.Template, error)
	ListTemplates(ctx context.Context, offset, limit int) (*content.TemplatePage, error)
	UpdateTemplate(ctx context.Context, id uint64, in content.TemplateInput) (*content.Template, error)
}
