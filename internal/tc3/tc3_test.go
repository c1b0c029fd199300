package tc3_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/tc3"
)

const (
	secretID  = "AKIDexampleexampleexampleexample0000"
	secretKey = "exampleSecretKeyExampleSecretKey0000"
)

// verify checks a received request's signature with the package, as the
// API does.
func verify(t *testing.T, r *http.Request, body []byte, key string) bool {
	t.Helper()
	a, err := tc3.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("parse %q: %v", r.Header.Get("Authorization"), err)
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if a.SecretID != secretID || a.Service != "ses" || a.Date != tc3.Date(ts) || strings.Join(a.SignedHeaders, ";") != "content-type;host" {
		t.Errorf("authorization %+v", a)
	}
	want := tc3.Signature(key, a.Service, ts, tc3.CanonicalOf(r, a, tc3.HashHex(body), false))
	return tc3.Equal(want, a.Signature)
}

// The official SDK's requests verify; with another key they do not.
func TestVerifiesWhatTheSDKSigns(t *testing.T) {
	got := make(chan bool, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- verify(t, r, body, secretKey)
		got <- verify(t, r, body, secretKey+"x")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"Response":{"EmailSenders":[],"RequestId":"00000000-0000-4000-8000-000000000000"}}`)
	}))
	defer srv.Close()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = strings.TrimPrefix(srv.URL, "http://"), "http"
	c, err := ses.NewClient(common.NewCredential(secretID, secretKey), "ap-hongkong", prof)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListEmailAddress(ses.NewListEmailAddressRequest()); err != nil {
		t.Fatal(err)
	}
	if !<-got {
		t.Error("the SDK's signature does not verify")
	}
	if <-got {
		t.Error("the signature verifies with the wrong key")
	}
}

// What Sign makes verifies, and a changed body does not.
func TestSignRoundTrip(t *testing.T) {
	body := []byte(`{"Limit":10}`)
	r, _ := http.NewRequest(http.MethodPost, "http://sesame.example:8080/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	tc3.Sign(r, body, tc3.Credential{SecretID: secretID, SecretKey: secretKey}, "ses", time.Unix(1_700_000_000, 0))
	if r.Header.Get("X-TC-Timestamp") != "1700000000" || !strings.Contains(r.Header.Get("Authorization"), "Credential="+secretID+"/2023-11-14/ses/tc3_request") {
		t.Fatalf("headers %v", r.Header)
	}
	r.Host = r.URL.Host // as the server sees it
	if !verify(t, r, body, secretKey) {
		t.Error("Sign's signature does not verify")
	}
	if verify(t, r, []byte(`{"Limit":11}`), secretKey) {
		t.Error("a changed body verifies")
	}
}

func TestParseAuthorizationRefusesMalformedHeaders(t *testing.T) {
	good := "TC3-HMAC-SHA256 Credential=AKID1/2026-01-02/ses/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("ab", 32)
	if _, err := tc3.ParseAuthorization(good); err != nil {
		t.Fatalf("good header: %v", err)
	}
	for _, h := range []string{
		"",
		"Bearer x",
		strings.Replace(good, "TC3-HMAC-SHA256", "HMAC-SHA1", 1),
		strings.Replace(good, "/tc3_request", "/v4_request", 1),
		strings.Replace(good, "2026-01-02", "yesterday", 1),
		strings.Replace(good, "content-type;host", "Content-Type;host", 1),
		strings.Replace(good, "Signature="+strings.Repeat("ab", 32), "Signature=zz", 1),
		good + ", Extra=1",
		"TC3-HMAC-SHA256 Credential=AKID1/2026-01-02/ses/tc3_request",
	} {
		if _, err := tc3.ParseAuthorization(h); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
}

// The SDK's older signatures, by either method, over a GET's query or a
// form POST's body, verify; with another key they do not.
func TestVerifiesTheSDKsLegacySignatures(t *testing.T) {
	for _, method := range []string{tc3.HmacSHA1, tc3.HmacSHA256} {
		for _, httpMethod := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+" "+httpMethod, func(t *testing.T) {
				got := make(chan [2]bool, 1)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := r.ParseForm(); err != nil {
						t.Error(err)
					}
					params := r.Form
					if params.Get("SignatureMethod") != method || r.Method != httpMethod || params.Get("Nonce") == "" {
						t.Errorf("%s %v", r.Method, params)
					}
					s := tc3.LegacyStringToSign(r.Method, r.Host, r.URL.Path, params)
					got <- [2]bool{tc3.Equal(tc3.LegacySignature(secretKey, method, s), params.Get("Signature")),
						tc3.Equal(tc3.LegacySignature(secretKey+"x", method, s), params.Get("Signature"))}
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"Response":{"RequestId":"00000000-0000-4000-8000-000000000000"}}`)
				}))
				defer srv.Close()
				prof := profile.NewClientProfile()
				prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = strings.TrimPrefix(srv.URL, "http://"), "http"
				prof.HttpProfile.ReqMethod, prof.SignMethod = httpMethod, method
				c, err := ses.NewClient(common.NewCredential(secretID, secretKey), "ap-hongkong", prof)
				if err != nil {
					t.Fatal(err)
				}
				req := ses.NewSendEmailRequest()
				req.Destination = []*string{common.StringPtr("a@example.com"), common.StringPtr("b c+d@example.com")}
				req.Template = &ses.Template{TemplateID: common.Uint64Ptr(7), TemplateData: common.StringPtr(`{"x":"1 & 2"}`)}
				if _, err := c.SendEmail(req); err != nil {
					t.Fatal(err)
				}
				if v := <-got; !v[0] || v[1] {
					t.Errorf("verifies with its key: %v, with another: %v", v[0], v[1])
				}
			})
		}
	}
}
