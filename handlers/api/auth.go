package api

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/internal/tc3"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// IsTencentGET recognises a Tencent API call among the GET requests of /:
// a TC3 one names its action in X-TC-Action, an HmacSHA one in the query
// with its SecretId and Signature. Anything else is the dashboard's.
func IsTencentGET(r *http.Request) bool {
	if r.Header.Get("X-TC-Action") != "" || strings.HasPrefix(r.Header.Get("Authorization"), tc3.Algorithm+" ") {
		return true
	}
	q := r.URL.Query()
	return q.Has("Action") && (q.Has("SecretId") || q.Has("Signature"))
}

// isLegacy tells the HmacSHA1/HmacSHA256 signature, which has no
// Authorization header and carries everything as form fields, from TC3.
func isLegacy(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-TC-Action") != "" {
		return false
	}
	if r.Method == http.MethodGet {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// legacyParams are the form fields of an HmacSHA request: a GET's query or
// a form POST's body. Each is given once: the signature covers one value.
func legacyParams(r *http.Request, body []byte) (url.Values, error) {
	raw := r.URL.RawQuery
	if r.Method != http.MethodGet {
		raw = string(body)
	}
	params, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errf(wire.CodeInvalidParameter, "The parameters are not valid form encoding.")
	}
	for k, v := range params {
		if len(v) > 1 {
			return nil, errf(wire.CodeInvalidParameter, "The parameter %s is given %d times; give it once.", truncate(k, 64), len(v))
		}
	}
	return params, nil
}

// authenticate checks the TC3-HMAC-SHA256 signature, and that it is not a
// replay of an earlier request, and returns the caller.
func (a *API) authenticate(r *http.Request, body []byte, action string) (*Caller, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, errf(wire.CodeInvalidAuthorization, "The Authorization header is missing: sign the request with TC3-HMAC-SHA256.")
	}
	auth, err := tc3.ParseAuthorization(raw)
	if err != nil {
		return nil, errf(wire.CodeInvalidAuthorization, "The Authorization header is not a valid TC3-HMAC-SHA256 signature.")
	}
	tsRaw := r.Header.Get("X-TC-Timestamp")
	if tsRaw == "" {
		return nil, errf(wire.CodeMissingParameter, "The X-TC-Timestamp header is missing.")
	}
	ts, err := a.timestamp(tsRaw, "X-TC-Timestamp")
	if err != nil {
		return nil, err
	}
	if auth.Service != Service {
		return nil, errf(wire.CodeInvalidAuthorization, "The credential scope names service %q; it must be %s.", truncate(auth.Service, 32), Service)
	}
	if auth.Date != tc3.Date(ts) {
		return nil, errf(wire.CodeInvalidAuthorization, "The credential scope's date %s is not the UTC date of X-TC-Timestamp (%s).", auth.Date, tc3.Date(ts))
	}
	signed := map[string]bool{}
	for _, h := range auth.SignedHeaders {
		signed[h] = true
	}
	if !signed["content-type"] || !signed["host"] {
		return nil, errf(wire.CodeInvalidAuthorization, "SignedHeaders must include content-type and host.")
	}
	key, err := a.key(r.Context(), auth.SecretID)
	if err != nil {
		return nil, err
	}
	payloadHash := tc3.HashHex(body)
	if strings.EqualFold(r.Header.Get("X-TC-Content-SHA256"), tc3.UnsignedPayload) {
		payloadHash = tc3.HashHex([]byte(tc3.UnsignedPayload))
	}
	// The SDKs sign header values as sent; Tencent's documentation has
	// them lowercased. Either is accepted. A GET's canonical query is its
	// query as sent.
	got := strings.ToLower(auth.Signature)
	canonical := tc3.CanonicalOf(r, auth, payloadHash, false)
	ok := tc3.Equal(tc3.Signature(key.SecretKey, auth.Service, ts, canonical), got)
	if lower := tc3.CanonicalOf(r, auth, payloadHash, true); !ok && lower.String() != canonical.String() {
		ok = tc3.Equal(tc3.Signature(key.SecretKey, auth.Service, ts, lower), got)
	}
	if !ok {
		return nil, errf(wire.CodeSignatureFailure, "The signature does not match: check the SecretKey and that the request is signed as sent.")
	}
	use := accounts.SignatureUse{Signature: got, Action: action, ReadOnly: readOnly(action), ExpiresAt: time.Unix(ts, 0).Add(MaxClockSkew)}
	return &Caller{User: key.User, Key: key.Key, use: use, replayed: func(r *accounts.ReplayedError) error {
		return errf(wire.CodeSignatureFailure, "The request was replayed: its signature was first used %s ago, for %s. Sign every request afresh.",
			a.clock.Now().Sub(r.FirstUsedAt).Round(time.Second), r.Action)
	}}, nil
}

// maxNonce caps a Nonce's length: the SDKs send a random integer.
const maxNonce = 64

// authenticateLegacy checks an HmacSHA1/HmacSHA256 signature over the
// request's parameters (tc3.LegacyStringToSign), and that its Nonce was
// not used before by the same key within the clock window, and returns
// the caller.
func (a *API) authenticateLegacy(r *http.Request, params url.Values, action string) (*Caller, error) {
	for _, k := range []string{"SecretId", "Timestamp", "Nonce", "Signature"} {
		if params.Get(k) == "" {
			return nil, errf(wire.CodeMissingParameter, "The %s parameter is missing: sign the request (TC3-HMAC-SHA256, or HmacSHA256 with SecretId, Timestamp, Nonce and Signature).", k)
		}
	}
	method := params.Get("SignatureMethod")
	switch method {
	case "":
		method = tc3.HmacSHA1 // Tencent's default
	case tc3.HmacSHA1, tc3.HmacSHA256:
	default:
		return nil, errf(wire.CodeInvalidParameterValue, "SignatureMethod is HmacSHA1 or HmacSHA256, not %q.", truncate(method, 32))
	}
	ts, err := a.timestamp(params.Get("Timestamp"), "Timestamp")
	if err != nil {
		return nil, err
	}
	nonce := params.Get("Nonce")
	if len(nonce) > maxNonce {
		return nil, errf(wire.CodeInvalidParameterValue, "Nonce is at most %d characters.", maxNonce)
	}
	id := params.Get("SecretId")
	key, err := a.key(r.Context(), id)
	if err != nil {
		return nil, err
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	s := tc3.LegacyStringToSign(r.Method, r.Host, path, params)
	if !tc3.Equal(tc3.LegacySignature(key.SecretKey, method, s), params.Get("Signature")) {
		return nil, errf(wire.CodeSignatureFailure, "The signature does not match: check the SecretKey and that the request is signed as sent.")
	}
	// The nonce, not the signature, is what the client promises never to
	// repeat: a second request with it is refused whatever it asks.
	use := accounts.SignatureUse{Signature: tc3.HashHex([]byte(id + "\n" + nonce)), Action: action, ReadOnly: readOnly(action),
		ExpiresAt: time.Unix(ts, 0).Add(MaxClockSkew), Once: true}
	return &Caller{User: key.User, Key: key.Key, use: use, replayed: func(r *accounts.ReplayedError) error {
		return errf(wire.CodeSignatureFailure, "The request was replayed: its Nonce %s was first used %s ago, for %s. Use a new Nonce for every request.",
			truncate(nonce, maxNonce), a.clock.Now().Sub(r.FirstUsedAt).Round(time.Second), r.Action)
	}}, nil
}

// useSignature records the request's signature use in a commit of its
// own, refusing a replay.
func (a *API) useSignature(ctx context.Context, c *Caller) error {
	err := a.keys.UseSignature(ctx, c.use)
	var replayed *accounts.ReplayedError
	if errors.As(err, &replayed) {
		return c.replayed(replayed)
	}
	return err
}

// settleUse ends an action that records its signature's use in its own
// transaction (action.guardsUse): a replay the guard refused becomes the
// API's refusal. A request refused before its transaction, or whose
// transaction failed and took the use with it, records its use now, so
// that it too cannot be replayed; no use of it is stored yet, so this one
// is its first.
func (a *API) settleUse(ctx context.Context, c *Caller, out any, err error) (any, error) {
	var replayed *accounts.ReplayedError
	if errors.As(err, &replayed) {
		return nil, c.replayed(replayed)
	}
	if !c.guarded || err != nil {
		if uerr := a.useSignature(ctx, c); uerr != nil {
			return nil, uerr
		}
	} else if serr := a.keys.SweepSignatures(ctx); serr != nil {
		a.log.WarnContext(ctx, "sweep expired API signatures", "err", serr)
	}
	return out, err
}

// timestamp reads a request's Unix time (named by field) and refuses one
// more than MaxClockSkew from the server's time.
func (a *API) timestamp(raw, field string) (int64, error) {
	ts, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || ts <= 0 {
		return 0, errf(wire.CodeInvalidAuthorization, "%s must be a Unix time in seconds.", field)
	}
	if skew := a.clock.Now().Sub(time.Unix(ts, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
		return 0, errf(wire.CodeSignatureExpire, "The request's timestamp is %s away from the server's time; it may be at most 5 minutes off. Check the client's clock.", skew.Abs().Round(time.Second))
	}
	return ts, nil
}

// key is the API key of a SecretId, with its user, refused when unknown,
// revoked or its user disabled.
func (a *API) key(ctx context.Context, secretID string) (*accounts.APIKeyAuth, error) {
	key, err := a.keys.AuthenticateAPIKey(ctx, secretID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, errf(wire.CodeSecretIdNotFound, "The SecretId %s does not exist or was revoked.", truncate(secretID, 64))
	case errors.Is(err, accounts.ErrKeyDisabled):
		return nil, errf(wire.CodeSecretIdNotFound, "The SecretId %s belongs to a disabled user.", truncate(secretID, 64))
	}
	return key, err
}
