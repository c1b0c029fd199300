package web

import (
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
)

// CSVSafe defuses a cell a spreadsheet would run as a formula: one that
// starts with =, +, -, @, a tab or a carriage return gets a leading quote.
func CSVSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// CSVDownload sends the headers of a CSV attachment and returns a
// writer for its rows; the body streams as it is written.
func CSVDownload(c echo.Context, filename string) *csv.Writer {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	c.Response().WriteHeader(http.StatusOK)
	return csv.NewWriter(c.Response())
}

// WithUploadedFile hands fn the named file of a multipart request as a
// stream, without buffering it in memory or in a temporary file. When the
// form was already parsed (a browser without JavaScript sends the CSRF
// token as a form field, which makes the CSRF check parse the body), the
// parsed file is used instead.
func WithUploadedFile(c echo.Context, field string, fn func(name string, body io.Reader) error) error {
	req := c.Request()
	if req.MultipartForm != nil {
		fh, err := c.FormFile(field)
		if err != nil {
			return models.Invalid(field, "Choose a CSV file to upload.")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		return UploadError(fn(fh.Filename, f))
	}
	mr, err := req.MultipartReader()
	if err != nil {
		return models.Invalid(field, "Choose a CSV file to upload.")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return models.Invalid(field, "Choose a CSV file to upload.")
		}
		if err != nil {
			return UploadError(err)
		}
		if part.FormName() != field {
			continue
		}
		if part.FileName() == "" {
			return models.Invalid(field, "Choose a CSV file to upload.")
		}
		return UploadError(fn(part.FileName(), part))
	}
}

// UploadError turns a body over the route's limit into the message the
// form shows.
func UploadError(err error) error {
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return audience.UploadTooLarge()
	}
	return err
}
