package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/tc3"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
)

// The API implements every action of the SDK's client, and nothing else.
func TestEveryActionOfTheSDKIsServed(t *testing.T) {
	var sdk []string
	ct := reflect.TypeOf(&ses.Client{})
	for i := 0; i < ct.NumMethod(); i++ {
		name := ct.Method(i).Name
		if _, ok := ct.MethodByName(name + "WithContext"); ok {
			sdk = append(sdk, name)
		}
	}
	e := newEnv(t)
	served := api.New(compose.API(e.Store, api.Config{})).Actions()
	sort.Strings(sdk)
	sort.Strings(served)
	if len(sdk) != 35 || !reflect.DeepEqual(sdk, served) {
		t.Fatalf("SDK actions (%d):\n%v\nserved (%d):\n%v", len(sdk), sdk, len(served), served)
	}
}

func TestSignaturesThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	if _, err := e.marketer().ListEmailAddress(ses.NewListEmailAddressRequest()); err != nil {
		t.Fatalf("a good key: %v", err)
	}
	k, err := e.Store.Accounts.GetAPIKeyBySecretID(ctx, e.MarketerKey.SecretID)
	must(t, err)
	if k.LastUsedAt == nil {
		t.Error("the key's last use was not noted")
	}

	wrong := e.MarketerKey
	wrong.SecretKey = strings.Repeat("x", 40)
	_, err = e.client(wrong).ListEmailAddress(ses.NewListEmailAddressRequest())
	wantCode(t, err, "AuthFailure.SignatureFailure")

	unknown := tc3.Credential{SecretID: "AKIDnotakeyatall000000000000000000000", SecretKey: e.MarketerKey.SecretKey}
	_, err = e.client(unknown).ListEmailAddress(ses.NewListEmailAddressRequest())
	wantCode(t, err, "AuthFailure.SecretIdNotFound")

	// Timestamps more than 5 minutes from the server's time are refused,
	// either way.
	for _, skew := range []time.Duration{6 * time.Minute, -6 * time.Minute} {
		e.Clock.offset.Store(int64(skew))
		_, err = e.marketer().ListEmailAddress(ses.NewListEmailAddressRequest())
		wantCode(t, err, "AuthFailure.SignatureExpire")
	}
	e.Clock.offset.Store(int64(4 * time.Minute))
	if _, err := e.marketer().ListEmailAddress(ses.NewListEmailAddressRequest()); err != nil {
		t.Errorf("4 minutes of skew: %v", err)
	}
	e.Clock.offset.Store(0)

	// Revoking stops the key with its very next request.
	client := e.marketer()
	must(t, e.Store.Accounts.RevokeAPIKey(ctx, k.ID))
	_, err = client.ListEmailAddress(ses.NewListEmailAddressRequest())
	wantCode(t, err, "AuthFailure.SecretIdNotFound")

	// A disabled user's keys stop too.
	other, otherKey := e.userWithKey("cy@example.com", accounts.RoleMarketer)
	_, err = e.Store.Accounts.UpdateUser(ctx, other.ID, accounts.UserChange{Role: accounts.RoleMarketer, Disabled: true})
	must(t, err)
	_, err = e.client(otherKey).ListEmailAddress(ses.NewListEmailAddressRequest())
	wantCode(t, err, "AuthFailure.SecretIdNotFound")
}

func TestSignaturesByHand(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{}`)
	key := e.MarketerKey

	ok := e.raw("ListEmailAddress", body, &key, time.Time{}, nil)
	wantRawCode(t, ok, "")
	if _, has := ok.Body["Response"].(map[string]any)["EmailSenders"]; !has {
		t.Errorf("no EmailSenders: %s", ok.Raw)
	}

	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Now().Add(-6*time.Minute), nil), "AuthFailure.SignatureExpire")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Now().Add(-4*time.Minute), nil), "")

	// The body is signed: changing it after signing breaks the signature.
	wantRawCode(t, e.raw("ListEmailTemplates", []byte(`{"Limit":1}`), &key, time.Time{}, func(r *http.Request) {
		b := []byte(`{"Limit":2}`)
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}), "AuthFailure.SignatureFailure")
	// So is the host.
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) {
		r.Host = "evil.example:80"
	}), "AuthFailure.SignatureFailure")
	// Unless the client says the payload is unsigned, as the SDK may.
	wantRawCode(t, e.raw("ListEmailAddress", body, nil, time.Time{}, func(r *http.Request) {
		r.Header.Set("X-TC-Content-SHA256", tc3.UnsignedPayload)
		signUnsigned(r, key)
	}), "")

	// Header values signed lowercased, as Tencent's documentation has it.
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) {
		r.Header.Set("Content-Type", "Application/JSON")
	}), "")

	wrong := tc3.Credential{SecretID: key.SecretID, SecretKey: "not the key at all, but long enough 1234"}
	wantRawCode(t, e.raw("ListEmailAddress", body, &wrong, time.Time{}, nil), "AuthFailure.SignatureFailure")
	ghost := tc3.Credential{SecretID: "AKIDghost", SecretKey: key.SecretKey}
	wantRawCode(t, e.raw("ListEmailAddress", body, &ghost, time.Time{}, nil), "AuthFailure.SecretIdNotFound")

	wantRawCode(t, e.raw("ListEmailAddress", body, nil, time.Time{}, nil), "AuthFailure.InvalidAuthorization")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer abc")
	}), "AuthFailure.InvalidAuthorization")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) {
		r.Header.Del("X-TC-Timestamp")
	}), "MissingParameter")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=content-type;host", "SignedHeaders=content-type", 1))
	}), "AuthFailure.InvalidAuthorization")
	wantRawCode(t, e.raw("", body, &key, time.Time{}, nil), "MissingParameter")
	wantRawCode(t, e.raw("SendNothing", body, &key, time.Time{}, nil), "InvalidAction")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) { r.Header.Del("X-TC-Version") }), "MissingParameter")
	wantRawCode(t, e.raw("ListEmailAddress", body, &key, time.Time{}, func(r *http.Request) { r.Header.Set("X-TC-Version", "2017-03-12") }), "InvalidParameterValue")

	// Bodies: bad JSON, wrong types and unknown fields are told apart.
	wantRawCode(t, e.raw("ListEmailTemplates", []byte(`{"Limit":`), &key, time.Time{}, nil), "InvalidParameter")
	wantRawCode(t, e.raw("ListEmailTemplates", []byte(`{"Limit":"ten"}`), &key, time.Time{}, nil), "InvalidParameter")
	wantRawCode(t, e.raw("ListEmailTemplates", []byte(`{"Limitt":10}`), &key, time.Time{}, nil), "UnknownParameter")
	wantRawCode(t, e.raw("ListEmailTemplates", []byte(`[]`), &key, time.Time{}, nil), "InvalidParameter")

	// More than 8 MB is refused with a Tencent error, not a page.
	big := []byte(`{"TemplateName":"x","TemplateContent":{"Html":"` + strings.Repeat("A", 8<<20) + `"}}`)
	wantRawCode(t, e.raw("CreateEmailTemplate", big, &key, time.Time{}, nil), "RequestSizeLimitExceeded")

	// The console's GET / is still the dashboard; a POST / without an
	// action is the API's, and answers in JSON.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(e.URL + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET / signed out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantRawCode(t, e.raw("", nil, nil, time.Time{}, nil), "MissingParameter")
}

func TestRolesOfKeys(t *testing.T) {
	e := newEnv(t)
	req := ses.NewCreateEmailIdentityRequest()
	req.EmailIdentity = common.StringPtr("mail.example.com")
	_, err := e.marketer().CreateEmailIdentity(req)
	wantCode(t, err, "AuthFailure.UnauthorizedOperation")
	if _, err := e.admin().CreateEmailIdentity(req); err != nil {
		t.Fatal(err)
	}
	// What marketers may read, they read with their keys.
	get := ses.NewGetEmailIdentityRequest()
	get.EmailIdentity = common.StringPtr("mail.example.com")
	if _, err := e.marketer().GetEmailIdentity(get); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error {
			r := ses.NewUpdateEmailIdentityRequest()
			r.EmailIdentity = common.StringPtr("mail.example.com")
			_, err := e.marketer().UpdateEmailIdentity(r)
			return err
		},
		func() error {
			r := ses.NewDeleteEmailIdentityRequest()
			r.EmailIdentity = common.StringPtr("mail.example.com")
			_, err := e.marketer().DeleteEmailIdentity(r)
			return err
		},
	} {
		wantCode(t, call(), "AuthFailure.UnauthorizedOperation")
	}
	// A user promoted to admin acts as one with the same key.
	_, err = e.Store.Accounts.UpdateUser(ctx, e.Marketer.ID, accounts.UserChange{Role: accounts.RoleAdmin})
	must(t, err)
	r := ses.NewUpdateEmailIdentityRequest()
	r.EmailIdentity = common.StringPtr("mail.example.com")
	if _, err := e.marketer().UpdateEmailIdentity(r); err != nil {
		t.Fatal(err)
	}
}

// failingStore breaks one read, to show what a fault inside an action
// becomes: a Tencent error, never a page or a dropped connection.
type failingStore struct {
	api.SenderStore
	panics bool
}

func (s failingStore) ListSenders(context.Context) ([]identity.SenderAddress, error) {
	if s.panics {
		panic("boom")
	}
	return nil, errors.New("database down")
}

func TestFaultsBecomeInternalErrors(t *testing.T) {
	for _, panics := range []bool{false, true} {
		e := newEnvWith(t, envOptions{wrap: func(cfg *api.Config) { cfg.Senders = failingStore{SenderStore: cfg.Senders, panics: panics} }})
		_, err := e.marketer().ListEmailAddress(ses.NewListEmailAddressRequest())
		wantCode(t, err, "InternalError")
		if !strings.Contains(err.Error(), "logged with reference") {
			t.Errorf("message: %v", err)
		}
		// The server goes on answering.
		if _, err := e.marketer().ListEmailTemplates(ses.NewListEmailTemplatesRequest()); err != nil {
			t.Fatal(err)
		}
	}
}

// signUnsigned signs r as the SDK does with its unsigned-payload option:
// the payload hash is that of "UNSIGNED-PAYLOAD", whatever the body.
func signUnsigned(r *http.Request, cred tc3.Credential) {
	ts := time.Now().Unix()
	c := &tc3.Canonical{Method: http.MethodPost, Path: "/",
		Headers:     []tc3.Header{{Name: "content-type", Value: r.Header.Get("Content-Type")}, {Name: "host", Value: r.URL.Host}},
		PayloadHash: tc3.HashHex([]byte(tc3.UnsignedPayload))}
	a := tc3.Authorization{SecretID: cred.SecretID, Date: tc3.Date(ts), Service: api.Service,
		SignedHeaders: []string{"content-type", "host"}, Signature: tc3.Signature(cred.SecretKey, api.Service, ts, c)}
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	r.Header.Set("Authorization", a.Format())
}
