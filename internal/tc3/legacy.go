package tc3

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/url"
	"sort"
	"strings"
)

// The signature before TC3 (the SDKs' SignMethod "HmacSHA1" and
// "HmacSHA256"), still accepted by Tencent Cloud: every parameter, the
// action's flattened ones and the common ones (Action, Version, Region,
// Timestamp, Nonce, SecretId, SignatureMethod…), is a form field, sent as
// the query of a GET or the body of a form POST. The signature covers
//
//	<METHOD><host><path>?<name>=<value>&…
//
// with the parameters but Signature sorted by name and their values as
// they are (not encoded), and is the base64 of its HMAC under the secret
// key itself. It names no body hash and no clock window of its own; the
// Timestamp and the Nonce it covers are what keeps a request from being
// used twice.
const (
	HmacSHA1   = "HmacSHA1"
	HmacSHA256 = "HmacSHA256"
)

// LegacyStringToSign is what a legacy signature covers.
func LegacyStringToSign(method, host, path string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(method + host + path + "?")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params.Get(k))
	}
	return b.String()
}

// LegacySignature is the base64 signature of s by method (HmacSHA1 or
// HmacSHA256; anything else is HmacSHA1, as the SDKs default to it).
func LegacySignature(secretKey, method, s string) string {
	h := sha1.New
	if method == HmacSHA256 {
		h = sha256.New
	}
	m := hmac.New(func() hash.Hash { return h() }, []byte(secretKey))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
