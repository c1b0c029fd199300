package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// EngagementRecorder takes opens and clicks (buffered, written in batches).
type EngagementRecorder interface {
	Record(e tracking.Engagement)
}

// MessageLookup finds a message by its id.
type MessageLookup interface {
	GetMessageByUID(ctx context.Context, uid string) (*queue.Message, error)
}

// Unsubscriber applies unsubscribes.
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, uid, via string) (bool, error)
}

// Tracking serves the links Sesame puts into mail: the open pixel, click
// redirects and unsubscribe pages. They are public, and trust nothing but
// the signed token in their path.
type Tracking struct {
	links    *outgoing.Links
	tracker  EngagementRecorder
	messages MessageLookup
	unsub    Unsubscriber
	clock    models.Clock
	// clientIP is the web server's: the client behind trusted proxies.
	clientIP func(*http.Request) string
}

// NewTracking builds the tracking handlers.
func NewTracking(links *outgoing.Links, tracker EngagementRecorder, messages MessageLookup, unsub Unsubscriber, clock models.Clock,
	clientIP func(*http.Request) string) *Tracking {
	return &Tracking{links: links, tracker: tracker, messages: messages, unsub: unsub, clock: clock, clientIP: clientIP}
}

// pixel is a transparent 1×1 GIF, sent with fixed headers (values shared
// by every response: net/http only reads them).
var (
	pixel       = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	pixelType   = []string{"image/gif"}
	pixelLength = []string{strconv.Itoa(len(pixel))}
	noStore     = []string{"no-store, max-age=0"}
)

func (h *Tracking) engagement(r *http.Request, uid string, kind tracking.EngagementKind, url string) tracking.Engagement {
	return tracking.Engagement{UID: uid, Kind: kind, URL: url, At: h.clock.Now(), UserAgent: r.UserAgent(), ClientIP: h.clientIP(r),
		Prefetch: r.Method == http.MethodHead}
}

// Open answers every request with the pixel, and counts the valid ones. It
// is a direct route (web.AddDirect), the busiest of Sesame's endpoints.
func (h *Tracking) Open(w http.ResponseWriter, r *http.Request, token string) {
	if uid, ok := h.links.ParseOpen(token); ok {
		h.tracker.Record(h.engagement(r, uid, tracking.EngagementOpen, ""))
	}
	hdr := w.Header()
	hdr["Content-Type"] = pixelType
	hdr["Content-Length"] = pixelLength
	hdr["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(pixel) // a client that hung up is no error of ours
	}
}

// Click counts a click and sends the browser to the link's original URL.
// A token that does not verify gets the 404 page: never an open redirect.
func (h *Tracking) Click(c echo.Context) error {
	uid, target, ok := h.links.ParseClick(c.Param("token"))
	if !ok || !(strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://")) {
		return models.ErrNotFound
	}
	h.tracker.Record(h.engagement(c.Request(), uid, tracking.EngagementClick, target))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, target)
}

// UnsubscribeForm asks before unsubscribing: link scanners follow GET
// links, so a GET never unsubscribes.
func (h *Tracking) UnsubscribeForm(c echo.Context) error {
	m, err := h.message(c)
	if err != nil {
		return err
	}
	f := unsubscribeForm(m)
	f.Token, f.Done = c.Param("token"), m.UnsubscribedAt != nil
	return web.Render(c, http.StatusOK, views.UnsubscribePage(f))
}

// unsubscribeForm names the sender and the scope of an unsubscribe: the
// sender's domain, as the suppression it adds is scoped.
func unsubscribeForm(m *queue.Message) views.UnsubscribeForm {
	sender := m.FromEmail
	if m.FromName != "" {
		sender = m.FromName + ", " + m.FromEmail
	}
	return views.UnsubscribeForm{Email: m.Recipient, Sender: sender, Scope: models.DomainOf(m.FromEmail)}
}

// Unsubscribe is both the page's button and RFC 8058's one-click POST,
// which comes without cookies or CSRF token and wants a plain 200.
func (h *Tracking) Unsubscribe(c echo.Context) error {
	m, err := h.message(c)
	if err != nil {
		return err
	}
	oneClick := c.FormValue("List-Unsubscribe") == "One-Click"
	via := "unsubscribe page"
	if oneClick {
		via = "one-click (RFC 8058)"
	}
	if _, err := h.unsub.Unsubscribe(c.Request().Context(), m.UID, via); err != nil {
		return err
	}
	if oneClick {
		return c.String(http.StatusOK, "unsubscribed\n")
	}
	f := unsubscribeForm(m)
	f.Done = true
	return web.Render(c, http.StatusOK, views.UnsubscribePage(f))
}

func (h *Tracking) message(c echo.Context) (*queue.Message, error) {
	uid, ok := h.links.ParseUnsubscribe(c.Param("token"))
	if !ok {
		return nil, models.ErrNotFound
	}
	m, err := h.messages.GetMessageByUID(c.Request().Context(), uid)
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.ErrNotFound
	}
	return m, err
}
