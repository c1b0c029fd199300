package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/rsasign"
	"github.com/sesame-email/sesame/models"
)

// /metrics names what makes RSA DKIM signatures: OpenSSL where libcrypto 3
// loads, unless SESAME_DKIM_SIGNER=go asks for crypto/rsa.
func TestMetricsNameTheDKIMSigner(t *testing.T) {
	auto := outgoing.SignerOpenSSL
	if err := rsasign.Available(); err != nil {
		t.Logf("no libcrypto here (%v): auto means go", err)
		auto = outgoing.SignerGo
	}
	for env, want := range map[string]outgoing.RSASigner{"auto": auto, "go": outgoing.SignerGo} {
		cfg, err := loadConfig(func(name string) string {
			if name == "SESAME_DKIM_SIGNER" {
				return env
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		app := launchApp(t, models.SystemClock{}, false, func(c *Config) { c.DKIMSigner = cfg.DKIMSigner })
		res, err := http.Get(app.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if line := `sesame_dkim_signer{impl="` + string(want) + `"} 1`; !strings.Contains(string(body), line) {
			t.Errorf("SESAME_DKIM_SIGNER=%s: /metrics lacks %s", env, line)
		}
	}
}
