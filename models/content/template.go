package content

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// TemplateStatus is a template's review state, as Tencent has it.
type TemplateStatus string

const (
	TemplateApproved TemplateStatus = "approved"
	TemplatePending  TemplateStatus = "pending"
	TemplateRejected TemplateStatus = "rejected"
)

// TencentCode is the status as Tencent's TemplateStatus reports it:
// 0 approved, 1 under review, 2 rejected.
func (s TemplateStatus) TencentCode() int64 {
	switch s {
	case TemplateApproved:
		return 0
	case TemplatePending:
		return 1
	default:
		return 2
	}
}

// Label is the status for people.
func (s TemplateStatus) Label() string {
	switch s {
	case TemplateApproved:
		return "Approved"
	case TemplatePending:
		return "Waiting for review"
	default:
		return "Rejected"
	}
}

const (
	// MaxMessageBytes is the largest message Sesame sends: a template whose
	// rendered parts exceed it is refused when saved, and a rendered message
	// over it is refused by the mailer.
	MaxMessageBytes = 10 << 20
	// MaxRawBytes is the largest message accepted as it is (SMTP
	// submission): the mailer adds a Message-ID and a Date when they are
	// missing, and the result must still fit MaxMessageBytes, or it would
	// be accepted and then fail at delivery.
	MaxRawBytes      = MaxMessageBytes - 1<<10
	MaxSubjectLength = 998 // RFC 5322's line limit
	maxTemplateName  = 200
	maxReviewReason  = 1000
)

// Template is an email with {{variables}} in its subject, HTML and text.
// An empty Text means the text part is generated from the HTML when sent.
type Template struct {
	ID           uint64
	Name         string
	Subject      string
	HTML         string `gorm:"column:html"`
	Text         string `gorm:"column:text_part"`
	SampleData   string // JSON object of variables for previews
	Status       TemplateStatus
	ReviewReason string
	CreatedBy    *uint64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Variables lists the template's placeholder names in order of first use.
// A stored template always parses, so the error is dropped.
func (t *Template) Variables() []string {
	names, _ := models.VariableNames(t.Subject, t.HTML, t.Text)
	return names
}

// TemplateInput is what a user or API client supplies for a template.
type TemplateInput struct {
	Name       string
	Subject    string
	HTML       string
	Text       string
	SampleData string
}

// Validate checks a template before it is stored. Syntax errors are
// reported on the part they occur in, with line and column.
func (in *TemplateInput) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Subject = strings.TrimSpace(in.Subject)
	verr := &models.ValidationError{}
	switch {
	case in.Name == "":
		verr.Add("name", "Enter a name.")
	case utf8.RuneCountInString(in.Name) > maxTemplateName:
		verr.Add("name", "Use at most 200 characters.")
	}
	ValidateSubject(in.Subject, verr)
	if strings.TrimSpace(in.HTML) == "" && strings.TrimSpace(in.Text) == "" {
		verr.Add("html", "Enter the HTML part, the text part, or both.")
	}
	for _, part := range []struct{ field, text string }{{"subject", in.Subject}, {"html", in.HTML}, {"text", in.Text}} {
		if !utf8.ValidString(part.text) {
			verr.Add(part.field, "Contains bytes that are not UTF-8 text.")
			continue
		}
		if _, err := models.ScanPlaceholders(part.text); err != nil {
			verr.Add(part.field, "Syntax error at "+err.Error()+".")
		}
	}
	sample, err := models.ParseVariables(in.SampleData)
	if err != nil {
		verr.Add("sample_data", "Sample data is "+err.Error()+".")
	}
	ValidateHeaderVariables("sample_data", in.Subject, sample, verr)
	if len(verr.Fields) == 0 {
		if n := RenderedSize(sample, in.Subject, in.HTML, in.Text); n > MaxMessageBytes {
			verr.Add("html", fmt.Sprintf("The rendered message would be %.1f MB; a message may be at most 10 MB.", float64(n)/(1<<20)))
		}
	}
	return verr.OrNil()
}

// validateSubject checks a subject line: one line, no other control
// characters either (a NUL hides what follows in some clients), at most
// MaxSubjectLength characters.
func ValidateSubject(subject string, verr *models.ValidationError) {
	switch {
	case strings.ContainsAny(subject, "\r\n"):
		verr.Add("subject", "The subject must be one line.")
	case strings.IndexFunc(subject, unicode.IsControl) >= 0:
		verr.Add("subject", "The subject cannot contain control characters.")
	case utf8.RuneCountInString(subject) > MaxSubjectLength:
		verr.Add("subject", "Use at most 998 characters.")
	}
}

// validateHeaderVariables checks the values vars gives the variables of a
// subject as the subject itself is checked: a value there is part of a
// header line. A subject that does not parse is the subject's own error.
func ValidateHeaderVariables(field, subject string, vars map[string]string, verr *models.ValidationError) {
	phs, _ := models.ScanPlaceholders(subject)
	for _, p := range phs {
		if strings.IndexFunc(vars[p.Name], unicode.IsControl) >= 0 {
			verr.Add(field, "The value of {{"+p.Name+"}} is used in the subject, so it cannot contain line breaks or control characters.")
			return
		}
	}
}

// CheckSubject checks a subject given with a send, and the values its
// variables are given there, as a template's are checked.
func CheckSubject(subject string, vars map[string]string) error {
	verr := &models.ValidationError{}
	ValidateSubject(subject, verr)
	ValidateHeaderVariables("template_data", subject, vars, verr)
	return verr.OrNil()
}

// RenderedSize estimates the size of texts once vars are filled in (HTML
// escaping aside): what the 10 MB limit is checked against on saving.
func RenderedSize(vars map[string]string, texts ...string) int {
	n := 0
	for _, t := range texts {
		n += len(t)
		phs, _ := models.ScanPlaceholders(t)
		for _, p := range phs {
			n += len(vars[p.Name]) - (p.End - p.Start)
		}
	}
	return n
}

// initialStatus is approved unless admins review templates.
func (s *Templates) initialStatus(ctx context.Context) (TemplateStatus, error) {
	review, err := s.accounts.TemplateReviewRequired(ctx)
	if err != nil {
		return "", err
	}
	if review {
		return TemplatePending, nil
	}
	return TemplateApproved, nil
}

func templateNameTaken(err error) error {
	if db.IsUniqueViolation(err) {
		return models.Invalid("name", "A template with this name already exists.")
	}
	return err
}

// CreateTemplate validates and stores a new template. It is approved at
// once unless template review is on.
func (s *Templates) CreateTemplate(ctx context.Context, in TemplateInput, createdBy *uint64) (*Template, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	status, err := s.initialStatus(ctx)
	if err != nil {
		return nil, err
	}
	t := &Template{Name: in.Name, Subject: in.Subject, HTML: in.HTML, Text: in.Text, SampleData: in.SampleData,
		Status: status, CreatedBy: createdBy}
	if err := s.Gorm.WithContext(ctx).Create(t).Error; err != nil {
		return nil, templateNameTaken(err)
	}
	return t, nil
}

// UpdateTemplate replaces a template's content. With review on, a changed
// template goes back to waiting for review.
func (s *Templates) UpdateTemplate(ctx context.Context, id uint64, in TemplateInput) (*Template, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	status, err := s.initialStatus(ctx)
	if err != nil {
		return nil, err
	}
	var t Template
	defer s.usable.Forget(id)
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&t, id).Error; err != nil {
			return db.NotFound(err)
		}
		t.Name, t.Subject, t.HTML, t.Text, t.SampleData = in.Name, in.Subject, in.HTML, in.Text, in.SampleData
		t.Status, t.ReviewReason, t.UpdatedAt = status, "", s.Now()
		return tx.Model(&Template{ID: id}).
			Select("name", "subject", "html", "text_part", "sample_data", "status", "review_reason", "updated_at").
			Updates(&t).Error
	})
	if err != nil {
		return nil, templateNameTaken(err)
	}
	return &t, nil
}

// GetTemplate loads one template.
func (s *Templates) GetTemplate(ctx context.Context, id uint64) (*Template, error) {
	var t Template
	if err := s.Gorm.WithContext(ctx).Take(&t, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &t, nil
}

// TemplatePage is one page of templates, newest first.
type TemplatePage struct {
	Templates []Template
	Total     int64
}

// ListTemplates returns limit templates after skipping offset, newest
// first, without their bodies (lists never show them).
func (s *Templates) ListTemplates(ctx context.Context, offset, limit int) (*TemplatePage, error) {
	var page TemplatePage
	db := s.Gorm.WithContext(ctx).Model(&Template{})
	if err := db.Count(&page.Total).Error; err != nil {
		return nil, err
	}
	err := db.Select("id", "name", "subject", "status", "review_reason", "created_by", "created_at", "updated_at").
		Order("id DESC").Offset(offset).Limit(limit).Find(&page.Templates).Error
	return &page, err
}

// DeleteTemplate removes a template.
func (s *Templates) DeleteTemplate(ctx context.Context, id uint64) error {
	defer s.usable.Forget(id)
	res := s.Gorm.WithContext(ctx).Delete(&Template{}, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// DuplicateTemplate copies a template under the first free name
// "<name> (copy)", "<name> (copy 2)", …; the copy is reviewed like a new one.
func (s *Templates) DuplicateTemplate(ctx context.Context, id uint64, createdBy *uint64) (*Template, error) {
	src, err := s.GetTemplate(ctx, id)
	if err != nil {
		return nil, err
	}
	in := TemplateInput{Subject: src.Subject, HTML: src.HTML, Text: src.Text, SampleData: src.SampleData}
	base := models.TruncateRunes(src.Name, maxTemplateName-12)
	for n := 1; n <= 100; n++ {
		in.Name = base + " (copy)"
		if n > 1 {
			in.Name = fmt.Sprintf("%s (copy %d)", base, n)
		}
		t, err := s.CreateTemplate(ctx, in, createdBy)
		var verr *models.ValidationError
		if errors.As(err, &verr) && verr.Field("name") != "" {
			continue
		}
		return t, err
	}
	return nil, models.Conflictf("There are already 100 copies of %s.", src.Name)
}

// ReviewTemplate records an admin's decision: approve, or reject with a
// reason the author will read.
func (s *Templates) ReviewTemplate(ctx context.Context, id uint64, approve bool, reason string) (*Template, error) {
	reason = strings.TrimSpace(reason)
	status := TemplateApproved
	if !approve {
		status = TemplateRejected
		switch {
		case reason == "":
			return nil, models.Invalid("reason", "Say why the template is rejected, so its author can fix it.")
		case utf8.RuneCountInString(reason) > maxReviewReason:
			return nil, models.Invalid("reason", "Use at most 1000 characters.")
		}
	} else {
		reason = ""
	}
	defer s.usable.Forget(id)
	res := s.Gorm.WithContext(ctx).Model(&Template{ID: id}).
		Updates(map[string]any{"status": status, "review_reason": reason, "updated_at": s.Now()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return s.GetTemplate(ctx, id)
}

// ErrTemplateNotApproved is returned by UsableTemplate for a template that
// waits for review or was rejected.
var ErrTemplateNotApproved = errors.New("template is not approved")

// TemplateNotApprovedError says why a template cannot be used yet.
type TemplateNotApprovedError struct {
	Name   string
	Status TemplateStatus
	Reason string
}

func (e *TemplateNotApprovedError) Error() string {
	if e.Status == TemplateRejected {
		return fmt.Sprintf("template %q was rejected: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("template %q is waiting for an admin's review", e.Name)
}

func (e *TemplateNotApprovedError) Is(target error) bool { return target == ErrTemplateNotApproved }

// UsableTemplate loads a template a task or API call wants to send with:
// ErrNotFound when it does not exist, a *TemplateNotApprovedError (matching
// ErrTemplateNotApproved) when it is pending or rejected.
// Every SendEmail with a template makes it, so an approved template is
// kept a moment (usableKeep) and forgotten when this process changes it.
func (s *Templates) UsableTemplate(ctx context.Context, id uint64) (*Template, error) {
	if t, ok := s.usable.Get(id, s.Now()); ok {
		return &t, nil
	}
	t, err := s.GetTemplate(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status != TemplateApproved {
		return nil, &TemplateNotApprovedError{Name: t.Name, Status: t.Status, Reason: t.ReviewReason}
	}
	s.usable.Put(id, *t, s.Now())
	return t, nil
}

// CountTemplatesByStatus says how many templates wait for review, for the
// admins' notice.
func (s *Templates) CountTemplatesByStatus(ctx context.Context, status TemplateStatus) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&Template{}).Where("status = ?", status).Count(&n).Error
	return n, err
}

// TemplateByName is the newest template named name: the Amazon SES API
// names templates, where the console and the Tencent API number them.
func (s *Templates) TemplateByName(ctx context.Context, name string) (*Template, error) {
	var t Template
	err := s.Gorm.WithContext(ctx).Where("name = ?", strings.TrimSpace(name)).Order("id DESC").Take(&t).Error
	if err != nil {
		return nil, db.NotFound(err)
	}
	return &t, nil
}
