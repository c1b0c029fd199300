// Package api is Sesame's Tencent Cloud SES–compatible API (version
// 2020-10-02): `POST /` with an X-TC-Action header and a TC3-HMAC-SHA256
// signature, JSON in and out, so the official SDKs work unchanged against
// Sesame. Every answer is HTTP 200 with {"Response": {…, "RequestId"}} or
// {"Response": {"Error": {"Code", "Message"}, "RequestId"}}, never an HTML
// page; domain errors become Tencent codes in errors.go, and only there.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/web"
)

const (
	// Version is the API version every request must name.
	Version = "2020-10-02"
	// Service is the signature's service name.
	Service = "ses"
	// MaxBodyBytes is the largest request body, as Tencent's 8 MB.
	MaxBodyBytes = 8 << 20
	// MaxClockSkew is how far a request's timestamp may be from now.
	MaxClockSkew = 5 * time.Minute
)

// TaskCreator creates sending tasks with their schedule checked (the
// scheduler's Tasks, which the console uses too).
type TaskCreator interface {
	Create(ctx context.Context, in tasks.TaskInput) (*tasks.Task, error)
}

// Authenticator checks API keys and the signatures they made.
type Authenticator interface {
	AuthenticateAPIKey(ctx context.Context, secretID string) (*accounts.APIKeyAuth, error)
	UseSignature(ctx context.Context, u accounts.SignatureUse) error
	SignatureGuard(u accounts.SignatureUse, ran *bool) queue.Guard
	SweepSignatures(ctx context.Context) error
}

// API serves the actions: the protocol (signatures, JSON, errors) here,
// each resource's actions in its own type.
type API struct {
	dates
	keys    Authenticator
	log     *slog.Logger
	actions map[string]action
}

// New builds the API.
func New(cfg Config) *API {
	a := &API{dates: dates{clock: cfg.Clock, loc: cfg.Location}, keys: cfg.Keys, log: cfg.Logger}
	if a.clock == nil {
		a.clock = models.SystemClock{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "api")
	if a.loc == nil {
		a.loc = time.UTC
	}
	a.actions = register(cfg, a.dates)
	return a
}

// Mount registers the API on srv: `POST /`, and the `GET /` requests that
// carry an action (the dashboard keeps the others), signed by each request
// itself (no session, no CSRF token), with the body limit enforced here so
// that an oversized body still gets a Tencent error.
func (a *API) Mount(srv *web.Server) {
	srv.AddWithBodyLimit(http.MethodPost, "/", a.Handle, web.Signed, web.NoBodyLimit)
	srv.AddClaim(http.MethodGet, "/", IsTencentGET, a.Handle)
}

// Caller is who a request acts for: the key that signed it and its user.
type Caller struct {
	User *accounts.User
	Key  *accounts.APIKey

	// use is the request's signature use: recorded before the action
	// runs, or by the action's own transaction through guard.
	use      accounts.SignatureUse
	replayed func(*accounts.ReplayedError) error // the refusal of a replay of this request
	guard    queue.Guard
	guarded  bool // guard ran
}

// action is one API action: whether it needs an admin, and how it runs.
type action struct {
	adminOnly bool
	shape     func() any // a new request, for reading flattened parameters
	run       func(ctx context.Context, c *Caller, body []byte) (any, error)
	// guardsUse marks an action that records the signature's use in the
	// transaction of its own writes (Caller.guard), not in one before it.
	guardsUse bool
}

// guarded marks an action that passes Caller.guard to what it writes.
func guarded(a action) action {
	a.guardsUse = true
	return a
}

// handle makes an action from a typed function: the body is decoded into a
// fresh Req, unknown fields refused.
func handle[Req any, Resp any](adminOnly bool, fn func(ctx context.Context, c *Caller, req *Req) (*Resp, error)) action {
	return action{adminOnly: adminOnly, shape: func() any { return new(Req) }, run: func(ctx context.Context, c *Caller, body []byte) (any, error) {
		req := new(Req)
		if err := decodeBody(body, req); err != nil {
			return nil, err
		}
		if err := checkIDs(reflect.ValueOf(req).Elem()); err != nil {
			return nil, err
		}
		return fn(ctx, c, req)
	}}
}

// Handle is the one HTTP handler of the API.
func (a *API) Handle(c echo.Context) error {
	r := c.Request()
	id := newRequestID()
	var (
		name string
		out  any
		err  error
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				a.log.ErrorContext(r.Context(), "panic in API action", "action", name, "panic", p, "stack", string(debug.Stack()))
				out, err = nil, fmt.Errorf("panic: %v", p)
			}
		}()
		out, err = a.serve(r, &name)
	}()
	body, merr := responseBody(out, err, id, func(e error) *wire.Error { return a.toAPIError(r.Context(), name, id, e) })
	if merr != nil {
		a.log.ErrorContext(r.Context(), "encode API response", "err", merr)
		body, _ = responseBody(nil, errf(wire.CodeInternalError, "The answer could not be encoded."), id, nil)
	}
	h := c.Response().Header()
	h.Set("X-TC-RequestId", id)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/json", body)
}

// serve authenticates a request and runs its action, and sets *name to the
// action it names. A request comes in one of the SDK's three forms: a TC3
// POST (JSON body, action in X-TC-Action), a TC3 GET (the parameters
// flattened into the query) or the older HmacSHA1/HmacSHA256 signature
// (every parameter, the action's and the common ones, flattened into a
// GET's query or a form POST's body). All end as the same JSON, decoded
// and refused alike.
func (a *API) serve(r *http.Request, name *string) (out any, err error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errf(wire.CodeRequestSizeLimitExceeded, "The request body is %d bytes; at most 8 MB (%d bytes) is accepted.", r.ContentLength, MaxBodyBytes)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, errf(wire.CodeInvalidParameter, "The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return nil, errf(wire.CodeRequestSizeLimitExceeded, "The request body is larger than 8 MB (%d bytes).", MaxBodyBytes)
	}
	legacy := isLegacy(r)
	var params url.Values // the flattened parameters, if the request is not a TC3 POST
	version := r.Header.Get("X-TC-Version")
	switch {
	case legacy:
		if params, err = legacyParams(r, body); err != nil {
			return nil, err
		}
		*name, version = strings.TrimSpace(params.Get("Action")), params.Get("Version")
	default:
		*name = strings.TrimSpace(r.Header.Get("X-TC-Action"))
		if r.Method == http.MethodGet {
			params = r.URL.Query()
		}
	}
	if *name == "" {
		if legacy {
			return nil, errf(wire.CodeMissingParameter, "The Action parameter is missing: name the action, such as SendEmail.")
		}
		return nil, errf(wire.CodeMissingParameter, "The X-TC-Action header is missing: name the action, such as SendEmail.")
	}
	act, ok := a.actions[*name]
	if !ok {
		return nil, errf(wire.CodeInvalidAction, "The action %q does not exist in ses version %s.", truncate(*name, 64), Version)
	}
	switch version {
	case Version:
	case "":
		return nil, errf(wire.CodeMissingParameter, "The version is missing (X-TC-Version, or the Version parameter): it must be %s.", Version)
	default:
		return nil, errf(wire.CodeInvalidParameterValue, "The version %q is not supported: use %s.", truncate(version, 32), Version)
	}
	var caller *Caller
	if legacy {
		caller, err = a.authenticateLegacy(r, params, *name)
	} else {
		caller, err = a.authenticate(r, body, *name)
	}
	if err != nil {
		return nil, err
	}
	if act.guardsUse {
		caller.guard = a.keys.SignatureGuard(caller.use, &caller.guarded)
		defer func() { out, err = a.settleUse(r.Context(), caller, out, err) }()
	} else if err := a.useSignature(r.Context(), caller); err != nil {
		return nil, err
	}
	if act.adminOnly && !caller.User.IsAdmin() {
		return nil, errf(wire.CodeUnauthorizedOperation, "%s needs an admin's key; %s is a %s.", *name, caller.User.Email, strings.ToLower(caller.User.Role.Label()))
	}
	if params == nil {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				return nil, errf(wire.CodeInvalidParameter, "The Content-Type must be application/json.")
			}
		}
	} else if body, err = wire.FlatJSON(params, act.shape()); err != nil {
		return nil, errf(wire.CodeInvalidParameter, "%s.", upperFirst(err.Error()))
	}
	return act.run(r.Context(), caller, body)
}

// readOnly reports whether an action only reads: Get… and List…; the others
// create, update, delete or send.
func readOnly(action string) bool {
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List")
}

// decodeBody reads a JSON object strictly: unknown fields and wrong types
// are errors the client can act on.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var (
			syntax *json.SyntaxError
			typ    *json.UnmarshalTypeError
		)
		switch {
		case errors.As(err, &syntax):
			return errf(wire.CodeInvalidParameter, "The body is not valid JSON (at byte %d).", syntax.Offset)
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				return errf(wire.CodeInvalidParameter, "The body must be a JSON object.")
			}
			return errf(wire.CodeInvalidParameter, "%s must be %s, not a JSON %s.", field, jsonKind(typ.Type.String()), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errf(wire.CodeUnknownParameter, "Unknown parameter %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return errf(wire.CodeInvalidParameter, "The body is not valid JSON.")
		}
	}
	if dec.More() {
		return errf(wire.CodeInvalidParameter, "The body must hold one JSON object.")
	}
	return nil
}

// idNotFoundCodes are the codes of an id that names nothing, by field;
// other ids are ResourceNotFound.
var idNotFoundCodes = map[string]string{"TemplateID": wire.CodeTemplateNotExist, "ReceiverId": wire.CodeReceiverNotExist}

// checkIDs refuses the ids of a request (its fields named …ID or …Id, and
// those of the structs it points to) that no row can have, as an id that
// names no row is refused: beyond models.MaxID the database driver would
// fail on it instead.
func checkIDs(v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, name := v.Field(i), t.Field(i).Name
		switch {
		case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.Struct:
			if err := checkIDs(f.Elem()); err != nil {
				return err
			}
		case f.Kind() == reflect.Uint64 && (strings.HasSuffix(name, "ID") || strings.HasSuffix(name, "Id")) && f.Uint() > models.MaxID:
			code := idNotFoundCodes[name]
			if code == "" {
				code = wire.CodeResourceNotFound
			}
			return errf(code, "There is no %s %d.", name, f.Uint())
		}
	}
	return nil
}

func jsonKind(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	default:
		return "an object"
	}
}

// responseBody writes {"Response": {...fields, "RequestId"}} or the error
// form.
func responseBody(out any, err error, requestID string, mapErr func(error) *wire.Error) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"Response":`)
	if err != nil {
		var e *wire.Error
		switch {
		case mapErr != nil:
			e = mapErr(err)
		case !errors.As(err, &e):
			e = &wire.Error{Code: wire.CodeInternalError, Message: "Internal error."}
		}
		inner, merr := json.Marshal(struct {
			Error     *wire.Error `json:"Error"`
			RequestId string      `json:"RequestId"`
		}{e, requestID})
		if merr != nil {
			return nil, merr
		}
		buf.Write(inner)
		buf.WriteByte('}')
		return buf.Bytes(), nil
	}
	fields, merr := json.Marshal(out)
	if merr != nil {
		return nil, merr
	}
	fields = bytes.TrimSpace(fields)
	if len(fields) < 2 || fields[0] != '{' {
		return nil, fmt.Errorf("response is not an object: %s", truncate(string(fields), 40))
	}
	buf.Write(fields[:len(fields)-1])
	if len(fields) > 2 {
		buf.WriteByte(',')
	}
	buf.WriteString(`"RequestId":`)
	id, _ := json.Marshal(requestID)
	buf.Write(id)
	buf.WriteString("}}")
	return buf.Bytes(), nil
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
