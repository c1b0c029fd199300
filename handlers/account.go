package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// AccountService is what a user's own account page needs.
type AccountService interface {
	ChangePassword(ctx context.Context, id uint64, current, next, confirm, keepSessionID string) error
	SetTimeZone(ctx context.Context, id uint64, tz string) error
}

// Account serves the signed-in user's own settings.
type Account struct{ svc AccountService }

// NewAccount builds the account handlers.
func NewAccount(svc AccountService) *Account { return &Account{svc: svc} }

func (h *Account) Show(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.Account(views.AccountForm{TimeZone: web.CurrentUser(c).TimeZone}))
}

func (h *Account) ChangePassword(c echo.Context) error {
	u := web.CurrentUser(c)
	err := h.svc.ChangePassword(c.Request().Context(), u.ID,
		c.FormValue("current_password"), c.FormValue("new_password"), c.FormValue("confirm_password"), web.CurrentSessionID(c))
	form := views.AccountForm{TimeZone: u.TimeZone}
	if errors.As(err, &form.PasswordErrors) {
		return web.Render(c, http.StatusUnprocessableEntity, views.Account(form))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/account", "Password changed. Other devices have been signed out.")
}

func (h *Account) SetTimeZone(c echo.Context) error {
	u := web.CurrentUser(c)
	tz := c.FormValue("time_zone")
	err := h.svc.SetTimeZone(c.Request().Context(), u.ID, tz)
	form := views.AccountForm{TimeZone: tz}
	if errors.As(err, &form.ZoneErrors) {
		return web.Render(c, http.StatusUnprocessableEntity, views.Account(form))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/account", "Time zone set to "+tz+".")
}
