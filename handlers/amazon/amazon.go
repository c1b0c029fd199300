// Package amazon is Sesame's Amazon SES–compatible API, so that any app
// with an "Amazon SES" mail driver sends through Sesame by changing its
// endpoint: SES v2 (REST/JSON under /v2/email/...), signed with AWS
// Signature Version 4 (service "ses", any region) by a Sesame API key's
// SecretId and SecretKey as the access key pair. Every send goes through
// sending.Service, as the console's, SMTP's and the Tencent API's do; this
// package only decodes Amazon's shapes and words refusals in Amazon's
// error codes (errors.go).
package amazon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
	"github.com/sesame-email/sesame/web"
)

const (
	// Service is the signature's service name, as the SDKs sign for SES.
	Service = "ses"
	// MaxBodyBytes is the largest request, as Amazon's 40 MB for a raw
	// message in SES v2 is more than Sesame queues (10 MB) plus base64.
	MaxBodyBytes = 16 << 20
	// MaxClockSkew is how far X-Amz-Date may be from now.
	MaxClockSkew = 5 * time.Minute
)

// Config is what the API is built from.
type Config struct {
	Keys         Authenticator
	Senders      SenderFinder
	Sending      Submitter
	Templates    TemplateStore
	Suppressions SuppressionStore
	Domains      DomainStore
	Warmup       WarmupReader
	Stats        StatsReader
	Clock        models.Clock
	Logger       *slog.Logger
}

// The stores, as the interfaces the actions need.
type (
	Authenticator interface {
		AuthenticateAPIKey(ctx context.Context, secretID string) (*accounts.APIKeyAuth, error)
		UseSignature(ctx context.Context, u accounts.SignatureUse) error
	}
	SenderFinder interface {
		SenderForSending(ctx context.Context, email string) (*identity.SenderAddress, error)
	}
	Submitter interface {
		Submit(ctx context.Context, req sending.Request) ([]queue.Message, error)
	}
	TemplateStore interface {
		CreateTemplate(ctx context.Context, in content.TemplateInput, createdBy *uint64) (*content.Template, error)
		TemplateByName(ctx context.Context, name string) (*content.Template, error)
		ListTemplates(ctx context.Context, offset, limit int) (*content.TemplatePage, error)
		UpdateTemplate(ctx context.Context, id uint64, in content.TemplateInput) (*content.Template, error)
		DeleteTemplate(ctx context.Context, id uint64) error
	}
	SuppressionStore interface {
		AddSuppression(ctx context.Context, in audience.SuppressionInput) (*audience.Suppression, bool, error)
		SuppressionsOf(ctx context.Context, emails []string) (map[string]audience.Suppression, error)
		RemoveSuppressionsOf(ctx context.Context, values []string, reasons []audience.SuppressionReason) (int64, error)
		ListSuppressions(ctx context.Context, q audience.SuppressionQuery) ([]audience.Suppression, int64, error)
	}
	DomainStore interface {
		ListDomains(ctx context.Context) ([]identity.Domain, error)
		GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
		CanSend(d *identity.Domain) bool
	}
	WarmupReader interface {
		WarmupOverview(ctx context.Context) ([]queue.WarmupStatus, error)
	}
	StatsReader interface {
		DailyVolumes(ctx context.Context, from, to time.Time, loc *time.Location, f queue.StatsFilter) ([]queue.Volume, error)
	}
)

// API serves the Amazon SES actions.
type API struct {
	cfg   Config
	clock models.Clock
	log   *slog.Logger
}

// New builds the API.
func New(cfg Config) *API {
	a := &API{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	if a.clock == nil {
		a.clock = models.SystemClock{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "amazon")
	return a
}

// Mount registers SES v2's routes and SES v1's POST / (ahead of the
// Tencent API there, by IsV1), signed by each request itself (no session,
// no CSRF token), the body limit enforced here so that an oversized body
// still gets Amazon's error.
func (a *API) Mount(srv *web.Server) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		srv.AddWithBodyLimit(m, "/v2/email/*", a.handleV2, web.Signed, web.NoBodyLimit)
	}
	srv.AddClaim(http.MethodPost, "/", IsV1, a.handleV1)
}

// call is an authenticated request: its caller, its body, its region.
type call struct {
	ctx    context.Context
	r      *http.Request
	caller *accounts.APIKeyAuth
	body   []byte
	region string
}

// handleV2 is the one HTTP handler of SES v2: it authenticates, routes by
// method and path, and writes the JSON answer or Amazon's error.
func (a *API) handleV2(c echo.Context) error {
	r := c.Request()
	id := newRequestID()
	var (
		out    any
		err    error
		action string
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				a.log.ErrorContext(r.Context(), "panic in SES action", "panic", p, "stack", string(debug.Stack()))
				out, err = nil, fmt.Errorf("panic: %v", p)
			}
		}()
		var rt *v2Route
		var params map[string]string
		rt, params, err = matchV2(r.Method, r.URL.EscapedPath())
		if err != nil {
			return
		}
		action = rt.name
		var cl *call
		if cl, err = a.read(r, action); err != nil {
			return
		}
		out, err = rt.run(a, cl, params)
	}()
	h := c.Response().Header()
	h.Set("X-Amzn-RequestId", id)
	h.Set("Cache-Control", "no-store")
	if err != nil {
		e := a.toError(r.Context(), action, id, err)
		h.Set("X-Amzn-ErrorType", e.Code)
		return c.JSON(e.Status, map[string]string{"message": e.Message, "Message": e.Message})
	}
	return c.JSON(http.StatusOK, out)
}

// read reads the body and authenticates the request.
func (a *API) read(r *http.Request, action string) (*call, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("The request is larger than %d bytes.", MaxBodyBytes)}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, badRequest("The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("The request is larger than %d bytes.", MaxBodyBytes)}
	}
	key, region, err := a.authenticate(r, body, action)
	if err != nil {
		return nil, err
	}
	return &call{ctx: r.Context(), r: r, caller: key, body: body, region: region}, nil
}

// decode reads a JSON body into v. Unknown fields are ignored, as newer
// SDKs send fields Sesame has no use for.
func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("The body is not valid JSON for this action: " + err.Error())
	}
	return nil
}

// newRequestID is a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
