package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// UserService is what the admin's user pages need.
type UserService interface {
	ListUsers(ctx context.Context) ([]accounts.User, error)
	GetUser(ctx context.Context, id uint64) (*accounts.User, error)
	CreateUser(ctx context.Context, in accounts.NewUser) (*accounts.User, error)
	UpdateUser(ctx context.Context, id uint64, ch accounts.UserChange) (*accounts.User, error)
	ResetPassword(ctx context.Context, id uint64, password string) error
}

// Users serves the admin's user management.
type Users struct{ svc UserService }

// NewUsers builds the user management handlers.
func NewUsers(svc UserService) *Users { return &Users{svc: svc} }

func (h *Users) List(c echo.Context) error {
	users, err := h.svc.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.UserList(users))
}

func (h *Users) New(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.UserNew(views.NewUserForm{Role: string(accounts.RoleMarketer)}))
}

func (h *Users) Create(c echo.Context) error {
	form := views.NewUserForm{Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, err := h.svc.CreateUser(c.Request().Context(), accounts.NewUser{
		Email: form.Email, Password: c.FormValue("password"), Role: accounts.Role(form.Role),
	})
	if errors.As(err, &form.Errors) {
		return web.Render(c, http.StatusUnprocessableEntity, views.UserNew(form))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/admin/users", "User "+u.Email+" created.")
}

func (h *Users) Edit(c echo.Context) error {
	u, err := h.load(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.UserEdit(h.form(c, u)))
}

func (h *Users) Update(c echo.Context) error {
	u, err := h.load(c)
	if err != nil {
		return err
	}
	updated, err := h.svc.UpdateUser(c.Request().Context(), u.ID, accounts.UserChange{
		Role: accounts.Role(c.FormValue("role")), Disabled: c.FormValue("disabled") == "1",
	})
	form := h.form(c, u)
	var conflict *models.ConflictError
	switch {
	case errors.As(err, &form.Errors):
		return web.Render(c, http.StatusUnprocessableEntity, views.UserEdit(form))
	case errors.As(err, &conflict):
		form.Error = conflict.Message
		return web.Render(c, http.StatusConflict, views.UserEdit(form))
	case err != nil:
		return err
	}
	msg := "Saved " + updated.Email + ": " + updated.Role.Label() + "."
	if updated.Disabled {
		msg = updated.Email + " is disabled and has been signed out."
	}
	return web.RedirectWithFlash(c, "/admin/users", msg)
}

func (h *Users) ResetPassword(c echo.Context) error {
	u, err := h.load(c)
	if err != nil {
		return err
	}
	err = h.svc.ResetPassword(c.Request().Context(), u.ID, c.FormValue("password"))
	form := h.form(c, u)
	if errors.As(err, &form.PasswordErrors) {
		return web.Render(c, http.StatusUnprocessableEntity, views.UserEdit(form))
	}
	if err != nil {
		return err
	}
	if u.ID == web.CurrentUser(c).ID {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return web.RedirectWithFlash(c, "/admin/users", "New password set for "+u.Email+"; their sessions have ended.")
}

func (h *Users) load(c echo.Context) (*accounts.User, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.svc.GetUser(c.Request().Context(), id)
}

func (h *Users) form(c echo.Context, u *accounts.User) views.UserEditForm {
	return views.UserEditForm{User: *u, Self: u.ID == web.CurrentUser(c).ID}
}
