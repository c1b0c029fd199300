package handlers

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// Connection is where clients reach this Sesame, for the API & SMTP page.
type Connection struct {
	PublicURL *url.URL // the API endpoint (SESAME_PUBLIC_URL)
	SMTPHost  string   // the host name SMTP clients connect to
	SMTPAddr  string   // SESAME_SMTP_ADDR
	SMTPSAddr string   // SESAME_SMTPS_ADDR; empty when not configured
}

// SDKExample is the Go program the console and the README show: SendEmail
// through Tencent Cloud's SDK, pointed at Sesame.
func SDKExample(endpointHost, scheme string) string {
	return `package main

import (
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func main() {
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = "` + endpointHost + `", "` + scheme + `" // Sesame, not Tencent Cloud
	// TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY: the API key.
	cred, err := common.DefaultEnvProvider().GetCredential()
	if err != nil {
		panic(err)
	}
	client, _ := ses.NewClient(cred, "ap-guangzhou", prof) // any region

	req := ses.NewSendEmailRequest()
	req.FromEmailAddress = common.StringPtr("Example News <news@example.com>")
	req.Destination = common.StringPtrs([]string{"ann@example.org"})
	req.Subject = common.StringPtr("Welcome, {{name}}")
	req.Template = &ses.Template{TemplateID: common.Uint64Ptr(1), TemplateData: common.StringPtr(` + "`" + `{"name":"Ann"}` + "`" + `)}
	resp, err := client.SendEmail(req)
	if err != nil {
		panic(err)
	}
	fmt.Println("queued:", *resp.Response.MessageId)
}
`
}

// PythonExample is the same send through Tencent Cloud's Python SDK
// (pip install tencentcloud-sdk-python-ses), which reads the key from the
// same environment variables.
func PythonExample(endpointHost, scheme string) string {
	return `import json
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import ses_client, models

# TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY: the API key.
cred = credential.EnvironmentVariableCredential().get_credential()
http = HttpProfile(endpoint="` + endpointHost + `", protocol="` + scheme + `")  # Sesame, not Tencent Cloud
client = ses_client.SesClient(cred, "ap-guangzhou", ClientProfile(httpProfile=http))  # any region

req = models.SendEmailRequest()
req.from_json_string(json.dumps({
    "FromEmailAddress": "Example News <news@example.com>",
    "Destination": ["ann@example.org"],
    "Subject": "Welcome, {{name}}",
    "Template": {"TemplateID": 1, "TemplateData": json.dumps({"name": "Ann"})},
}))
print("queued:", client.SendEmail(req).MessageId)
`
}

// EnvExample sets the API key as the SDKs' environment credential
// provider and sesame api read it.
func EnvExample(secretID, secretKey string) string {
	return "export TENCENTCLOUD_SECRET_ID=" + secretID + "\nexport TENCENTCLOUD_SECRET_KEY=" + secretKey
}

// CLIExample is the same send with the sesame api command.
func CLIExample(endpoint string) string {
	return `export SESAME_ENDPOINT=` + endpoint + `
` + EnvExample("AKID…", "…") + `
sesame api SendEmail --json '{"FromEmailAddress": "news@example.com",
  "Destination": ["ann@example.org"], "Subject": "Welcome, {{name}}",
  "Template": {"TemplateID": 1, "TemplateData": "{\"name\":\"Ann\"}"}}'`
}

// APISMTP serves the page that says how to connect.
type APISMTP struct{ conn Connection }

// NewAPISMTP builds the page's handler.
func NewAPISMTP(conn Connection) *APISMTP { return &APISMTP{conn: conn} }

func port(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return ""
}

func (h *APISMTP) Show(c echo.Context) error {
	pub := h.conn.PublicURL
	if pub == nil {
		pub = &url.URL{Scheme: c.Scheme(), Host: c.Request().Host}
	}
	endpoint := pub.Scheme + "://" + pub.Host
	p := views.APISMTPPage{
		Endpoint: endpoint, EndpointHost: pub.Host, Scheme: pub.Scheme,
		SMTPHost: h.conn.SMTPHost, SMTPPort: port(h.conn.SMTPAddr), SMTPSPort: port(h.conn.SMTPSAddr),
		Example: SDKExample(pub.Host, pub.Scheme), PythonExample: PythonExample(pub.Host, pub.Scheme), CLIExample: CLIExample(endpoint),
	}
	if p.SMTPHost == "" {
		p.SMTPHost = strings.Split(pub.Host, ":")[0]
	}
	return web.Render(c, http.StatusOK, views.APISMTP(p))
}
