// Package tc3 is Tencent Cloud's request signature, TC3-HMAC-SHA256, as the
// official SDKs compute it: one implementation that `sesame api` signs with
// and the API verifies with.
//
// A signature covers a canonical request (method, path, query, the signed
// headers and the SHA-256 of the body) under a key derived from the secret
// key, the UTC date of the request's timestamp and the service:
//
//	kDate    = HMAC("TC3" + SecretKey, date)
//	kService = HMAC(kDate, service)
//	kSigning = HMAC(kService, "tc3_request")
//	signature = hex(HMAC(kSigning, "TC3-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + hex(sha256(canonical request))))
package tc3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Algorithm names the signature in the Authorization header.
const Algorithm = "TC3-HMAC-SHA256"

// UnsignedPayload is the X-TC-Content-SHA256 value of a request whose body
// the signature does not cover; the payload hash is then that of the
// string itself.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Terminator ends every credential scope.
const Terminator = "tc3_request"

// Date is the credential-scope date of a timestamp: its UTC day.
func Date(ts int64) string { return time.Unix(ts, 0).UTC().Format(time.DateOnly) }

// Scope is "<date>/<service>/tc3_request".
func Scope(date, service string) string { return date + "/" + service + "/" + Terminator }

// HashHex is the lowercase hex SHA-256 of b.
func HashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// SigningKey derives the key of one day and service from a secret key.
func SigningKey(secretKey, date, service string) []byte {
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, Terminator)
}

// Header is one signed header: its lowercase name and its value.
type Header struct{ Name, Value string }

// Canonical is what a signature covers.
type Canonical struct {
	Method      string
	Path        string // "/" for the API
	Query       string // the raw query string; empty for POST
	Headers     []Header
	PayloadHash string // hex SHA-256 of the body, or of UnsignedPayload
}

// SignedHeaders is the semicolon-separated list of the signed header names.
func (c *Canonical) SignedHeaders() string {
	names := make([]string, len(c.Headers))
	for i, h := range c.Headers {
		names[i] = h.Name
	}
	return strings.Join(names, ";")
}

// String is the canonical request.
func (c *Canonical) String() string {
	var b strings.Builder
	b.WriteString(c.Method)
	b.WriteByte('\n')
	b.WriteString(c.Path)
	b.WriteByte('\n')
	b.WriteString(c.Query)
	b.WriteByte('\n')
	for _, h := range c.Headers {
		b.WriteString(h.Name)
		b.WriteByte(':')
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(c.SignedHeaders())
	b.WriteByte('\n')
	b.WriteString(c.PayloadHash)
	return b.String()
}

// StringToSign is what the signing key signs.
func StringToSign(ts int64, scope string, c *Canonical) string {
	return Algorithm + "\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + HashHex([]byte(c.String()))
}

// Signature is the hex signature of c at timestamp ts for service.
func Signature(secretKey, service string, ts int64, c *Canonical) string {
	date := Date(ts)
	key := SigningKey(secretKey, date, service)
	return hex.EncodeToString(hmacSHA256(key, StringToSign(ts, Scope(date, service), c)))
}

// Authorization is a parsed Authorization header.
type Authorization struct {
	SecretID      string
	Date          string
	Service       string
	SignedHeaders []string // lowercase, in the order given
	Signature     string
}

// Format writes the header value.
func (a *Authorization) Format() string {
	return Algorithm + " Credential=" + a.SecretID + "/" + Scope(a.Date, a.Service) +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
}

// ErrMalformed is an Authorization header that is not TC3-HMAC-SHA256.
var ErrMalformed = errors.New("the Authorization header is not a TC3-HMAC-SHA256 signature")

// ParseAuthorization reads "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
// SignedHeaders=<a;b>, Signature=<hex>".
func ParseAuthorization(v string) (*Authorization, error) {
	credential, signed, signature, unknown, ok := AuthorizationFields(v, Algorithm)
	if !ok || unknown {
		return nil, ErrMalformed
	}
	a := Authorization{Signature: signature}
	fields := strings.Split(credential, "/")
	if len(fields) != 4 || fields[3] != Terminator || fields[0] == "" || fields[2] == "" {
		return nil, ErrMalformed
	}
	if _, err := time.Parse(time.DateOnly, fields[1]); err != nil {
		return nil, ErrMalformed
	}
	a.SecretID, a.Date, a.Service = fields[0], fields[1], fields[2]
	if signed == "" || a.Signature == "" || len(a.Signature) != 64 {
		return nil, ErrMalformed
	}
	if _, err := hex.DecodeString(a.Signature); err != nil {
		return nil, ErrMalformed
	}
	for _, h := range strings.Split(signed, ";") {
		if h == "" || h != strings.ToLower(h) {
			return nil, ErrMalformed
		}
		a.SignedHeaders = append(a.SignedHeaders, h)
	}
	return &a, nil
}

// AuthorizationFields reads an Authorization header of the form
// "<algorithm> Credential=…, SignedHeaders=…, Signature=…", which TC3 and
// AWS Signature Version 4 share; unknown tells whether it named other
// fields, ok whether it had that form at all.
func AuthorizationFields(v, algorithm string) (credential, signed, signature string, unknown, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), algorithm+" ")
	if !ok {
		return "", "", "", false, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", "", "", false, false
		}
		switch k {
		case "Credential":
			credential = val
		case "SignedHeaders":
			signed = val
		case "Signature":
			signature = val
		default:
			unknown = true
		}
	}
	return credential, signed, signature, unknown, true
}

// Equal compares two hex signatures in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// Credential is a key pair.
type Credential struct {
	SecretID  string
	SecretKey string
}

// Sign adds X-TC-Timestamp and Authorization to req, signing content-type
// and host as the SDK does, over body (which must be req's body). The
// request's Content-Type must be set; its host is req.Host or req.URL.Host.
func Sign(req *http.Request, body []byte, cred Credential, service string, now time.Time) {
	ts := now.Unix()
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	c := &Canonical{
		Method: req.Method, Path: "/", Query: req.URL.RawQuery,
		Headers:     []Header{{"content-type", req.Header.Get("Content-Type")}, {"host", host}},
		PayloadHash: HashHex(body),
	}
	a := Authorization{SecretID: cred.SecretID, Date: Date(ts), Service: service,
		SignedHeaders: []string{"content-type", "host"}, Signature: Signature(cred.SecretKey, service, ts, c)}
	req.Header.Set("Authorization", a.Format())
}

// CanonicalOf rebuilds the canonical request a client signed, from the
// request as received: the headers a names, in that order, with their
// values trimmed. lower lowercases the values, as Tencent's documentation
// describes (the SDKs send them as they are).
func CanonicalOf(req *http.Request, a *Authorization, payloadHash string, lower bool) *Canonical {
	c := &Canonical{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, PayloadHash: payloadHash}
	if c.Path == "" {
		c.Path = "/"
	}
	for _, name := range a.SignedHeaders {
		var v string
		if name == "host" {
			v = req.Host
		} else {
			v = strings.Join(req.Header.Values(name), ",")
		}
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(v)
		}
		c.Headers = append(c.Headers, Header{Name: name, Value: v})
	}
	return c
}
