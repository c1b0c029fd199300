// Package recipients serves the console's recipient groups (their
// recipients, imports and exports) and the suppression list.
package recipients

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// GroupService is what the recipient group pages need.
type GroupService interface {
	ListGroups(ctx context.Context, f audience.GroupFilter) ([]audience.RecipientGroup, int64, error)
	GetGroup(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
	CreateGroup(ctx context.Context, in audience.GroupInput) (*audience.RecipientGroup, error)
	UpdateGroup(ctx context.Context, id uint64, in audience.GroupInput) (*audience.RecipientGroup, error)
	DeleteGroup(ctx context.Context, id uint64) error
	AddRecipients(ctx context.Context, groupID uint64, in []audience.RecipientInput) (*audience.AddReport, error)
	DeleteRecipient(ctx context.Context, groupID uint64, email string) error
	ListRecipients(ctx context.Context, groupID uint64, q audience.RecipientQuery) (*audience.RecipientPage, error)
	EachRecipient(ctx context.Context, groupID uint64, fn func(*audience.Recipient) error) error
	CreateImportJob(ctx context.Context, groupID uint64, fileName string, body io.Reader, createdBy *uint64) (*audience.ImportJob, error)
	GetImportJob(ctx context.Context, groupID, jobID uint64) (*audience.ImportJob, error)
	ListImportJobs(ctx context.Context, groupID uint64, limit int) ([]audience.ImportJob, error)
	ImportErrorsPreview(ctx context.Context, jobID uint64, limit int) ([]audience.ImportError, error)
	EachImportError(ctx context.Context, jobID uint64, fn func(*audience.ImportError) error) error
}

// SuppressionLookup finds which addresses are suppressed, for any sender.
type SuppressionLookup interface {
	SuppressionsOf(ctx context.Context, emails []string) (map[string]audience.Suppression, error)
}

// Groups serves recipient groups: lists, recipients, imports and exports.
type Groups struct {
	svc          GroupService
	suppressions SuppressionLookup
}

// NewGroups builds the recipient group handlers.
func NewGroups(svc GroupService, suppressions SuppressionLookup) *Groups {
	return &Groups{svc: svc, suppressions: suppressions}
}

// UploadBodyLimit is what a CSV upload request may carry: the 200 MB file
// plus room for the multipart framing.
const UploadBodyLimit = audience.MaxImportBytes + 512<<10

const (
	recipientsPerPage = 50
	groupsPerPage     = 50
	problemsShown     = 20
)

func (h *Groups) List(c echo.Context) error {
	return h.renderList(c, http.StatusOK, views.GroupForm{})
}

func (h *Groups) renderList(c echo.Context, status int, form views.GroupForm) error {
	keyword := c.QueryParam("q")
	offset := web.QueryInt(c, "offset")
	groups, total, err := h.svc.ListGroups(c.Request().Context(), audience.GroupFilter{Keyword: keyword, Offset: offset, Limit: groupsPerPage})
	if err != nil {
		return err
	}
	return web.Render(c, status, views.GroupList(views.GroupListPage{
		Groups: groups, Total: total, Keyword: keyword, Offset: offset, PerPage: groupsPerPage, Form: form,
	}))
}

func (h *Groups) Create(c echo.Context) error {
	form := views.GroupForm{Name: c.FormValue("name"), Description: c.FormValue("description")}
	g, err := h.svc.CreateGroup(c.Request().Context(), audience.GroupInput{Name: form.Name, Description: form.Description})
	if errors.As(err, &form.Errors) {
		return h.renderList(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), "Group "+g.Name+" created. Add recipients below.")
}

func groupPath(id uint64) string { return "/groups/" + strconv.FormatUint(id, 10) }

func (h *Groups) Show(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	return h.renderGroup(c, http.StatusOK, views.GroupPage{Group: g})
}

// renderGroup fills in the recipients page, the statuses and the latest
// import around whatever form state p already carries.
func (h *Groups) renderGroup(c echo.Context, status int, p views.GroupPage) error {
	ctx := c.Request().Context()
	p.Query = strings.TrimSpace(c.QueryParam("q"))
	p.After = c.QueryParam("after")
	page, err := h.svc.ListRecipients(ctx, p.Group.ID, audience.RecipientQuery{Prefix: p.Query, After: p.After, Limit: recipientsPerPage})
	if err != nil {
		return err
	}
	p.Recipients = page
	emails := make([]string, len(page.Recipients))
	for i, r := range page.Recipients {
		emails[i] = r.Email
	}
	if p.Suppressed, err = h.suppressions.SuppressionsOf(ctx, emails); err != nil {
		return err
	}
	jobs, err := h.svc.ListImportJobs(ctx, p.Group.ID, 1)
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		if p.Import, err = h.importView(ctx, p.Group, &jobs[0]); err != nil {
			return err
		}
	}
	if p.Form.Name == "" && p.Form.Errors == nil {
		p.Form = views.GroupForm{Name: p.Group.Name, Description: p.Group.Description}
	}
	return web.Render(c, status, views.GroupShow(p))
}

func (h *Groups) importView(ctx context.Context, g *audience.RecipientGroup, job *audience.ImportJob) (*views.ImportView, error) {
	v := &views.ImportView{Group: g, Job: job}
	if job.Finished() && job.Invalid+job.Duplicates > 0 {
		var err error
		if v.Problems, err = h.svc.ImportErrorsPreview(ctx, job.ID, problemsShown); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (h *Groups) Update(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	form := views.GroupForm{Name: c.FormValue("name"), Description: c.FormValue("description")}
	updated, err := h.svc.UpdateGroup(c.Request().Context(), g.ID, audience.GroupInput{Name: form.Name, Description: form.Description})
	if errors.As(err, &form.Errors) {
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, Form: form})
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), "Group "+updated.Name+" saved.")
}

func (h *Groups) Delete(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteGroup(c.Request().Context(), g.ID); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/groups", "Group "+g.Name+" and its recipients deleted.")
}

// AddRecipient adds one address with its variables, given as JSON.
func (h *Groups) AddRecipient(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	form := views.RecipientForm{Email: c.FormValue("email"), Variables: c.FormValue("variables")}
	vars, verr := models.ParseVariables(form.Variables)
	if verr != nil {
		form.Errors = models.Invalid("variables", "Variables are "+verr.Error()+".")
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, Add: form})
	}
	rep, err := h.svc.AddRecipients(c.Request().Context(), g.ID, []audience.RecipientInput{{Email: form.Email, Variables: vars}})
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		form.Errors = models.Invalid("email", recipientProblemMessage(rep.Problems[0].Reason))
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, Add: form})
	}
	msg := "Recipient added."
	if rep.Inserted == 0 {
		msg = "The recipient was already in the group; its variables are updated."
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), msg)
}

func recipientProblemMessage(p audience.RowProblem) string {
	switch p {
	case audience.ProblemEmpty:
		return "Enter an email address."
	case audience.ProblemTooLong:
		return "The address or its variables are too long."
	case audience.ProblemBadData:
		return "A variable name is not valid: use letters, digits, _, - and ."
	default:
		return "This is not a valid email address."
	}
}

// Paste adds a pasted list of addresses.
func (h *Groups) Paste(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	text := c.FormValue("addresses")
	list := audience.ParseRecipientList(text)
	if len(list) == 0 {
		form := views.PasteForm{Text: text, Errors: models.Invalid("addresses", "Paste at least one address.")}
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, Paste: form})
	}
	rep, err := h.svc.AddRecipients(c.Request().Context(), g.ID, list)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		// Show what was refused beside the form; the good ones are in.
		form := views.PasteForm{Text: text, Report: rep}
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, Paste: form})
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), "Pasted list: "+rep.String())
}

func (h *Groups) DeleteRecipient(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	email := c.FormValue("email")
	if err := h.svc.DeleteRecipient(c.Request().Context(), g.ID, email); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), email+" removed from the group.")
}

// Upload streams a CSV file to disk and queues its import. The CSRF token
// comes in a header (htmx sends it) so the body is never parsed as a
// form, and the file goes straight from the request to the data dir.
func (h *Groups) Upload(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	uid := web.CurrentUser(c).ID
	var job *audience.ImportJob
	err = web.WithUploadedFile(c, "file", func(name string, body io.Reader) error {
		job, err = h.svc.CreateImportJob(c.Request().Context(), g.ID, name, body, &uid)
		return err
	})
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderGroup(c, http.StatusUnprocessableEntity, views.GroupPage{Group: g, UploadErrors: verr})
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, groupPath(g.ID), "Importing "+job.FileName+": the progress is shown below.")
}

// ImportStatus is the import card, polled by htmx while the job runs.
func (h *Groups) ImportStatus(c echo.Context) error {
	g, job, err := h.loadJob(c)
	if err != nil {
		return err
	}
	if !web.IsHTMX(c) {
		return web.Redirect(c, groupPath(g.ID))
	}
	v, err := h.importView(c.Request().Context(), g, job)
	if err != nil {
		return err
	}
	if job.Finished() {
		// The counts and the list below changed: reload the whole page.
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return web.Render(c, http.StatusOK, views.ImportCard(v))
}

// ImportReport downloads an import's invalid and duplicate rows as CSV.
func (h *Groups) ImportReport(c echo.Context) error {
	_, job, err := h.loadJob(c)
	if err != nil {
		return err
	}
	w := web.CSVDownload(c, "import-"+strconv.FormatUint(job.ID, 10)+"-invalid-rows.csv")
	_ = w.Write([]string{"line", "email", "reason"})
	err = h.svc.EachImportError(c.Request().Context(), job.ID, func(e *audience.ImportError) error {
		return w.Write([]string{strconv.FormatInt(e.Line, 10), web.CSVSafe(e.Email), string(e.Reason)})
	})
	w.Flush()
	return err
}

// Export downloads the group as CSV: email, then one column per variable.
func (h *Groups) Export(c echo.Context) error {
	g, err := h.load(c)
	if err != nil {
		return err
	}
	names := g.Variables()
	w := web.CSVDownload(c, "group-"+strconv.FormatUint(g.ID, 10)+".csv")
	_ = w.Write(append([]string{"email"}, names...))
	row := make([]string, len(names)+1)
	err = h.svc.EachRecipient(c.Request().Context(), g.ID, func(r *audience.Recipient) error {
		vars := r.Vars()
		row[0] = web.CSVSafe(r.Email)
		for i, n := range names {
			row[i+1] = web.CSVSafe(vars[n])
		}
		return w.Write(row)
	})
	w.Flush()
	return err
}

func (h *Groups) loadJob(c echo.Context) (*audience.RecipientGroup, *audience.ImportJob, error) {
	g, err := h.load(c)
	if err != nil {
		return nil, nil, err
	}
	jobID, err := web.IDParam(c, "job")
	if err != nil {
		return nil, nil, err
	}
	job, err := h.svc.GetImportJob(c.Request().Context(), g.ID, jobID)
	return g, job, err
}

func (h *Groups) load(c echo.Context) (*audience.RecipientGroup, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.svc.GetGroup(c.Request().Context(), id)
}
