package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// SandboxService is what the sandbox mailbox needs.
type SandboxService interface {
	SandboxPage(ctx context.Context, before uint64, limit int) ([]queue.SandboxMessage, error)
	GetSandboxMessage(ctx context.Context, id uint64) (*queue.SandboxMessage, error)
	ClearSandbox(ctx context.Context) (int64, error)
}

// MessageByID loads the queue's message a sandbox copy was kept of.
type MessageByID interface {
	GetMessage(ctx context.Context, id uint64) (*queue.Message, error)
}

// Sandbox serves the mailbox of the sandbox transport.
type Sandbox struct {
	svc      SandboxService
	messages MessageByID
	delivery string
}

// NewSandbox builds the sandbox mailbox; delivery is SESAME_DELIVERY.
func NewSandbox(svc SandboxService, messages MessageByID, delivery string) *Sandbox {
	if delivery == "" {
		delivery = "sandbox"
	}
	return &Sandbox{svc: svc, messages: messages, delivery: delivery}
}

const sandboxPageSize = 50

func (h *Sandbox) List(c echo.Context) error {
	var before uint64 // the first page
	if raw := c.QueryParam("before"); raw != "" {
		var err error
		if before, err = models.ParseID(raw); err != nil {
			return err
		}
	}
	msgs, err := h.svc.SandboxPage(c.Request().Context(), before, sandboxPageSize+1)
	if err != nil {
		return err
	}
	p := views.SandboxList{Messages: msgs, Delivery: h.delivery}
	if len(msgs) > sandboxPageSize {
		p.Messages = msgs[:sandboxPageSize]
		p.Next = p.Messages[sandboxPageSize-1].ID
	}
	return web.Render(c, http.StatusOK, views.Sandbox(p))
}

func (h *Sandbox) load(c echo.Context) (*queue.SandboxMessage, *outgoing.ParsedMessage, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, nil, err
	}
	m, err := h.svc.GetSandboxMessage(c.Request().Context(), id)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := outgoing.ParseMessage(m.Raw)
	if err != nil {
		parsed = &outgoing.ParsedMessage{Subject: m.Subject, Text: "This message could not be parsed: " + err.Error()}
	}
	return m, parsed, nil
}

func (h *Sandbox) Show(c echo.Context) error {
	m, parsed, err := h.load(c)
	if err != nil {
		return err
	}
	p := views.SandboxMessagePage{Message: *m, Parsed: parsed}
	if m.MessageID != nil {
		if qm, err := h.messages.GetMessage(c.Request().Context(), *m.MessageID); err == nil {
			p.MessageUID = qm.UID
		}
	}
	return web.Render(c, http.StatusOK, views.SandboxMessage(p))
}

// HTML serves the message's HTML part for the sandboxed frame.
func (h *Sandbox) HTML(c echo.Context) error {
	_, parsed, err := h.load(c)
	if err != nil {
		return err
	}
	return writeConfinedHTML(c, http.StatusOK, parsed.HTML)
}

// Raw downloads the message as it was kept.
func (h *Sandbox) Raw(c echo.Context) error {
	m, _, err := h.load(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="sandbox-`+strconv.FormatUint(m.ID, 10)+`.eml"`)
	return c.Blob(http.StatusOK, "message/rfc822", m.Raw)
}

func (h *Sandbox) Clear(c echo.Context) error {
	n, err := h.svc.ClearSandbox(c.Request().Context())
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/sandbox", "Deleted "+models.Plural(n, "message", "messages")+" from the sandbox mailbox.")
}
