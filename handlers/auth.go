// Package handlers translates HTTP requests into calls on the models and
// mailer and renders the result: bind, call, render or redirect. Rules live in
// models; these files only translate.
package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// LoginService checks sign-in attempts.
type LoginService interface {
	Login(ctx context.Context, in accounts.LoginInput) (*accounts.User, error)
}

// SessionStarter starts a console session for a user.
type SessionStarter interface {
	SignIn(c echo.Context, u *accounts.User) error
}

// Auth serves sign-in and sign-out.
type Auth struct {
	svc      LoginService
	sessions SessionStarter
}

// NewAuth builds the sign-in handlers.
func NewAuth(svc LoginService, sessions SessionStarter) *Auth {
	return &Auth{svc: svc, sessions: sessions}
}

// Form shows the sign-in page, or the dashboard to a signed-in user.
func (h *Auth) Form(c echo.Context) error {
	if web.CurrentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return web.Render(c, http.StatusOK, views.Login(views.LoginForm{
		Next:      c.QueryParam("next"),
		SignedOut: c.QueryParam("signed_out") == "1",
	}))
}

// Login checks the credentials and starts a session.
func (h *Auth) Login(c echo.Context) error {
	form := views.LoginForm{Email: c.FormValue("email"), Next: c.FormValue("next")}
	u, err := h.svc.Login(c.Request().Context(), accounts.LoginInput{
		Email: form.Email, Password: c.FormValue("password"), ClientIP: c.RealIP(),
	})
	var (
		verr      *models.ValidationError
		throttled *models.ThrottledError
	)
	switch {
	case errors.As(err, &verr):
		form.Errors = verr
		return web.Render(c, http.StatusUnprocessableEntity, views.Login(form))
	case errors.Is(err, models.ErrInvalidCredentials):
		form.Error = "The email or password is incorrect."
		return web.Render(c, http.StatusUnauthorized, views.Login(form))
	case errors.As(err, &throttled) && throttled.Pace:
		form.Error = "Sign-ins to this account are slowed after failed attempts. Try again in a second."
		web.SetRetryAfter(c, throttled.RetryAt)
		return web.Render(c, http.StatusTooManyRequests, views.Login(form))
	case errors.As(err, &throttled):
		form.Error = "Too many failed sign-in attempts from your address. Try again after " + throttled.RetryAt.UTC().Format("15:04 UTC") + "."
		web.SetRetryAfter(c, throttled.RetryAt)
		return web.Render(c, http.StatusTooManyRequests, views.Login(form))
	case err != nil:
		return err
	}
	if err := h.sessions.SignIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(form.Next))
}

// Logout ends the session.
func (h *Auth) Logout(c echo.Context) error {
	if err := web.SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}

// safeNext keeps post-login redirects on this site. Browsers repair what
// they are given (they drop tabs and newlines, read \ as /, and take "//host"
// as another site), so only a plain local path passes: printable ASCII
// without backslashes, starting with one slash, as written and once decoded
// (a path that starts with a slash has no scheme, host or user).
func safeNext(next string) string {
	for i := 0; i < len(next); i++ {
		if next[i] <= ' ' || next[i] >= 0x7f || next[i] == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(u.Path, "//") || strings.ContainsRune(u.Path, '\\') {
		return "/"
	}
	return next
}
