package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/views/components"
)

const flashKey = "_flash"

// IsHTMX reports a request made by htmx for a fragment (not a boosted
// navigation or a history restore, which need the whole page).
func IsHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") == "" && h.Get("HX-History-Restore-Request") == ""
}

func (s *Server) shell(c echo.Context) (components.Shell, error) {
	csrf, _ := c.Get(ctxCSRF).(string)
	if csrf == "" {
		// The CSRF check failed before it could set the token; the cookie
		// still holds it, and the error page's forms need it.
		if ck, err := c.Cookie(s.csrfCookie); err == nil {
			csrf = ck.Value
		}
	}
	sh := components.Shell{
		User:     CurrentUser(c),
		CSRF:     csrf,
		Path:     c.Request().URL.Path,
		Fragment: IsHTMX(c),
		Version:  s.cfg.Version,
		Sandbox:  s.cfg.Sandbox,
	}
	if sess := currentSession(c); sess != nil && sh.User != nil && !sh.Fragment {
		if flashes := sess.Flashes(flashKey); len(flashes) > 0 {
			for _, f := range flashes {
				if fl, ok := f.(components.Flash); ok {
					sh.Flashes = append(sh.Flashes, fl)
				}
			}
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return sh, err
			}
		}
	}
	return sh, nil
}

// Render writes a page (or, for htmx, its fragment) with status. The page is
// rendered into a buffer first, so a failure shows the error page rather than
// half a page.
func Render(c echo.Context, status int, page templ.Component) error {
	srv, _ := c.Get(ctxServer).(*Server)
	if srv == nil {
		return errors.New("web.Render outside a web.Server request")
	}
	sh, err := srv.shell(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := page.Render(components.WithShell(c.Request().Context(), sh), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// Flash queues a message for the next page the signed-in user sees.
func Flash(c echo.Context, kind components.FlashKind, message string) error {
	sess := currentSession(c)
	if sess == nil || CurrentUser(c) == nil {
		return nil
	}
	sess.AddFlash(components.Flash{Kind: kind, Message: message}, flashKey)
	return sess.Save(c.Request(), c.Response())
}

// Redirect sends the browser to url with a 303, or tells htmx to go there.
func Redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// RedirectWithFlash is the end of every successful form post.
func RedirectWithFlash(c echo.Context, url, message string) error {
	if err := Flash(c, components.FlashSuccess, message); err != nil {
		return err
	}
	return Redirect(c, url)
}

// handleError is the one place errors become pages. Users never see a
// stack trace; server errors are logged with the request id they are shown.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, message := classify(err)
	ctx := c.Request().Context()
	if status >= 500 {
		s.log.ErrorContext(ctx, "request failed", "err", err, "path", c.Request().URL.Path)
		message = "Something went wrong on our side. It has been logged with reference " + RequestID(ctx) + "."
	}
	var throttled *models.ThrottledError
	if errors.As(err, &throttled) {
		SetRetryAfter(c, throttled.RetryAt)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	c.Set(ctxServer, s)
	if rerr := Render(c, status, views.ErrorPage(status, http.StatusText(status), message)); rerr != nil {
		s.log.ErrorContext(ctx, "error page failed", "err", rerr)
		_ = c.String(status, message)
	}
}

func classify(err error) (int, string) {
	var (
		herr     *echo.HTTPError
		verr     *models.ValidationError
		conflict *models.ConflictError
		throttle *models.ThrottledError
	)
	switch {
	case errors.As(err, &herr):
		if msg, ok := herr.Message.(string); ok && herr.Internal == nil && !isEchoDefaultMessage(herr.Code, msg) {
			return herr.Code, msg
		}
		return herr.Code, defaultMessage(herr.Code)
	case errors.As(err, &verr):
		return http.StatusUnprocessableEntity, verr.Error()
	case errors.As(err, &conflict):
		return http.StatusConflict, conflict.Message
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, "That change conflicts with the current state. Reload and try again."
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, defaultMessage(http.StatusNotFound)
	case errors.As(err, &throttle):
		return http.StatusTooManyRequests, "Too many attempts. Try again after " + throttle.RetryAt.UTC().Format("15:04 UTC") + "."
	default:
		return http.StatusInternalServerError, ""
	}
}

func isEchoDefaultMessage(code int, msg string) bool {
	return msg == http.StatusText(code) || msg == fmt.Sprint(code)
}

func defaultMessage(code int) string {
	switch code {
	case http.StatusNotFound:
		return "There is nothing at this address. It may have been deleted, or the link is mistyped."
	case http.StatusForbidden:
		return "You do not have access to this page."
	case http.StatusUnauthorized:
		return "Sign in to continue."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	case http.StatusRequestEntityTooLarge:
		return "The request is too large."
	case http.StatusBadRequest:
		return "The request could not be understood."
	default:
		return http.StatusText(code)
	}
}

// SetRetryAfter tells the client when to try again.
func SetRetryAfter(c echo.Context, at time.Time) {
	secs := 1
	if srv, _ := c.Get(ctxServer).(*Server); srv != nil {
		secs = max(1, int(at.Sub(srv.cfg.Clock.Now()).Seconds())+1)
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
}

func FlashAndRedirect(c echo.Context, kind components.FlashKind, path, message string) error {
	if err := Flash(c, kind, message); err != nil {
		return err
	}
	return Redirect(c, path)
}
