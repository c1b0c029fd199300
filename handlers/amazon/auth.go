package amazon

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-email/sesame/internal/tc3"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// Algorithm names Signature Version 4 in the Authorization header.
const Algorithm = "AWS4-HMAC-SHA256"

// IsSigV4 recognises a request signed for Amazon, on a route it shares
// with the Tencent API or the console.
func IsSigV4(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), Algorithm+" ")
}

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseSigV4 reads "AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
// SignedHeaders=<a;b>, Signature=<hex>".
func parseSigV4(v string) (*sigV4Auth, bool) {
	// Fields SigV4 does not know are ignored, as Amazon does.
	credential, signed, signature, _, ok := tc3.AuthorizationFields(v, Algorithm)
	if !ok {
		return nil, false
	}
	a := sigV4Auth{signature: strings.ToLower(signature)}
	f := strings.Split(credential, "/")
	if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" || signed == "" || len(a.signature) != 64 {
		return nil, false
	}
	if _, err := hex.DecodeString(a.signature); err != nil {
		return nil, false
	}
	a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
	a.signedHeaders = strings.Split(signed, ";")
	return &a, true
}

// authenticate checks the request's Signature Version 4, and that it is
// not a replay (the same rule as the Tencent API's: accounts.UseSignature),
// and returns the key and the region the client signed for.
func (a *API) authenticate(r *http.Request, body []byte, action string) (*accounts.APIKeyAuth, string, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, "", &Error{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token: sign it with AWS Signature Version 4, a Sesame API key's SecretId and SecretKey as the access key pair."}
	}
	auth, ok := parseSigV4(raw)
	if !ok {
		return nil, "", &Error{Status: http.StatusBadRequest, Code: "IncompleteSignature", Message: "The Authorization header is not a valid AWS4-HMAC-SHA256 signature."}
	}
	if auth.service != Service {
		return nil, "", &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The credential scope names service " + truncate(auth.service, 32) + "; it must be ses."}
	}
	stamp := r.Header.Get("X-Amz-Date")
	at, err := time.Parse("20060102T150405Z", stamp)
	if err != nil {
		return nil, "", &Error{Status: http.StatusBadRequest, Code: "IncompleteSignature", Message: "The X-Amz-Date header must be the signing time, such as 20261207T120000Z."}
	}
	if skew := a.clock.Now().Sub(at); skew > MaxClockSkew || skew < -MaxClockSkew {
		return nil, "", &Error{Status: http.StatusBadRequest, Code: "RequestExpired", Message: "Request has expired: its X-Amz-Date is " + skew.Abs().Round(time.Second).String() + " away from the server's time; it may be at most 5 minutes off. Check the client's clock."}
	}
	if auth.date != at.Format("20060102") {
		return nil, "", &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The credential scope's date is not the date of X-Amz-Date."}
	}
	key, err := a.cfg.Keys.AuthenticateAPIKey(r.Context(), auth.accessKey)
	switch {
	case errors.Is(err, models.ErrNotFound), errors.Is(err, accounts.ErrKeyDisabled):
		return nil, "", &Error{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid: no active Sesame API key has the access key id " + truncate(auth.accessKey, 64) + "."}
	case err != nil:
		return nil, "", err
	}
	if !hmac.Equal([]byte(expectedSignature(r, body, auth, key.SecretKey, at)), []byte(auth.signature)) {
		return nil, "", &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your Sesame API key's SecretKey and signing method."}
	}
	err = a.cfg.Keys.UseSignature(r.Context(), accounts.SignatureUse{Signature: auth.signature, Action: action, ReadOnly: readOnly(action),
		ExpiresAt: at.Add(MaxClockSkew)})
	var replayed *accounts.ReplayedError
	switch {
	case errors.As(err, &replayed):
		return nil, "", &Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: "The request was replayed: its signature was first used " +
			a.clock.Now().Sub(replayed.FirstUsedAt).Round(time.Second).String() + " ago, for " + replayed.Action + ". Sign every request afresh."}
	case err != nil:
		return nil, "", err
	}
	return key, auth.region, nil
}

// expectedSignature signs, with the SDKs' own signer, a copy of the
// request holding only the headers the client signed, and returns the
// signature; the client's must equal it.
func expectedSignature(r *http.Request, body []byte, auth *sigV4Auth, secret string, at time.Time) string {
	u := *r.URL
	clone := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, h := range auth.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			clone.ContentLength = int64(len(body))
		default:
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: auth.accessKey, SecretAccessKey: secret}, clone,
		hex.EncodeToString(sum[:]), auth.service, auth.region, at)
	if err != nil {
		return ""
	}
	got, ok := parseSigV4(clone.Header.Get("Authorization"))
	if !ok || strings.Join(got.signedHeaders, ";") != strings.Join(auth.signedHeaders, ";") {
		return ""
	}
	return got.signature
}

// readOnly reports whether an action only reads.
func readOnly(action string) bool {
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
