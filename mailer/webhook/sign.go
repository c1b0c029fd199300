package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Signature is the X-Sesame-Signature header of a body posted at unix
// time t: t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>"> for each secret that
// signs (two during a rotation's grace; a receiver accepts any match).
func Signature(secrets [][]byte, t int64, body string) string {
	ts := strconv.FormatInt(t, 10)
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, s := range secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write([]byte(body))
		b.WriteString(",v1=" + hex.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
