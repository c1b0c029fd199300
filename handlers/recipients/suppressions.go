package recipients

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// SuppressionService is what the suppression list page needs.
type SuppressionService interface {
	ListSuppressions(ctx context.Context, q audience.SuppressionQuery) ([]audience.Suppression, int64, error)
	AddSuppression(ctx context.Context, in audience.SuppressionInput) (*audience.Suppression, bool, error)
	RemoveSuppression(ctx context.Context, id uint64) error
	ImportSuppressions(ctx context.Context, r io.Reader, source string) (*audience.SuppressionImportReport, error)
	EachSuppression(ctx context.Context, fn func(*audience.Suppression) error) error
}

// Suppressions serves the suppression list.
type Suppressions struct{ svc SuppressionService }

// NewSuppressions builds the suppression list handlers.
func NewSuppressions(svc SuppressionService) *Suppressions { return &Suppressions{svc: svc} }

const suppressionsPerPage = 50

func (h *Suppressions) List(c echo.Context) error {
	return h.render(c, http.StatusOK, views.SuppressionPage{Form: views.SuppressionForm{Reason: string(audience.ReasonManual)}})
}

func (h *Suppressions) render(c echo.Context, status int, p views.SuppressionPage) error {
	p.Query = c.QueryParam("q")
	p.Reason = c.QueryParam("reason")
	p.Offset = web.QueryInt(c, "offset")
	p.PerPage = suppressionsPerPage
	q := audience.SuppressionQuery{Prefix: p.Query, Offset: p.Offset, Limit: suppressionsPerPage}
	if r := audience.SuppressionReason(p.Reason); r.Valid() {
		q.Reasons = []audience.SuppressionReason{r}
	}
	var err error
	if p.Entries, p.Total, err = h.svc.ListSuppressions(c.Request().Context(), q); err != nil {
		return err
	}
	return web.Render(c, status, views.Suppressions(p))
}

func (h *Suppressions) Add(c echo.Context) error {
	u := web.CurrentUser(c)
	form := views.SuppressionForm{Value: c.FormValue("value"), Reason: c.FormValue("reason"),
		ScopeDomain: c.FormValue("scope_domain"), ExpiresAt: c.FormValue("expires_at")}
	in := audience.SuppressionInput{Value: form.Value, Reason: audience.SuppressionReason(form.Reason),
		ScopeDomain: form.ScopeDomain, Source: "console: " + u.Email}
	if form.ExpiresAt != "" {
		t, ok := audience.ParseTimeInput(form.ExpiresAt, u.Location())
		if !ok {
			form.Errors = models.Invalid("expires_at", "Enter a date and time, or leave empty for never.")
			return h.render(c, http.StatusUnprocessableEntity, views.SuppressionPage{Form: form})
		}
		in.ExpiresAt = &t
	}
	entry, created, err := h.svc.AddSuppression(c.Request().Context(), in)
	if errors.As(err, &form.Errors) {
		return h.render(c, http.StatusUnprocessableEntity, views.SuppressionPage{Form: form})
	}
	if err != nil {
		return err
	}
	msg := entry.Value + " is on the suppression list."
	if !created {
		msg = entry.Value + " was already on the suppression list for this reason."
	}
	return web.RedirectWithFlash(c, "/suppressions", msg)
}

func (h *Suppressions) Remove(c echo.Context) error {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.RemoveSuppression(c.Request().Context(), id); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/suppressions", "Entry removed: mail to it is allowed again.")
}

// Import adds the rows of an uploaded CSV file, streamed from the request.
func (h *Suppressions) Import(c echo.Context) error {
	u := web.CurrentUser(c)
	var rep *audience.SuppressionImportReport
	err := web.WithUploadedFile(c, "file", func(name string, body io.Reader) error {
		var err error
		rep, err = h.svc.ImportSuppressions(c.Request().Context(), body, "import of "+name+" by "+u.Email)
		return err
	})
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.render(c, http.StatusUnprocessableEntity, views.SuppressionPage{ImportErrors: verr, Form: views.SuppressionForm{Reason: string(audience.ReasonManual)}})
	}
	if err != nil {
		return err
	}
	if rep.Invalid > 0 {
		return h.render(c, http.StatusOK, views.SuppressionPage{Import: rep, Form: views.SuppressionForm{Reason: string(audience.ReasonManual)}})
	}
	return web.RedirectWithFlash(c, "/suppressions", "Import finished: "+rep.String())
}

// Export downloads the whole list as CSV, in the import's format.
func (h *Suppressions) Export(c echo.Context) error {
	w := web.CSVDownload(c, "suppressions.csv")
	_ = w.Write([]string{"email", "reason", "scope_domain", "expires_at", "source", "created_at"})
	err := h.svc.EachSuppression(c.Request().Context(), func(s *audience.Suppression) error {
		expires := ""
		if s.ExpiresAt != nil {
			expires = s.ExpiresAt.UTC().Format(time.RFC3339)
		}
		// A domain is written bare (example.com), which the import reads as
		// a domain: "@example.com" would be defused as a formula.
		return w.Write([]string{web.CSVSafe(s.Value), string(s.Reason), s.ScopeDomain, expires, web.CSVSafe(s.Source), s.CreatedAt.UTC().Format(time.RFC3339)})
	})
	w.Flush()
	return err
}
