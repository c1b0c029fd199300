package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sesame-email/sesame/web"
)

// Direct routes skip the middleware chain but not its safety: a panic is
// a logged 500, requests are counted, nosniff and HSTS are sent, and other
// methods and paths still go through echo.
func TestDirectRoutes(t *testing.T) {
	reg := prometheus.NewRegistry()
	pub, _ := url.Parse("https://sesame.test")
	srv := web.New(web.Config{PublicURL: pub, HashKey: make([]byte, 64), Metrics: reg}, nil)
	var got string
	srv.AddDirect("/d/:param", func(w http.ResponseWriter, r *http.Request, param string) {
		got = param
		w.WriteHeader(http.StatusOK)
	})
	srv.AddDirect("/boom/:param", func(http.ResponseWriter, *http.Request, string) { panic("boom") })
	serve := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}

	for _, m := range []string{http.MethodGet, http.MethodHead} {
		w := serve(m, "/d/abc.gif")
		if w.Code != http.StatusOK || got != "abc.gif" || w.Header().Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(w.Header().Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: %d %q %v", m, w.Code, got, w.Header())
		}
		if a := srv.AccessOf(m, "/d/:param"); a != web.Signed {
			t.Errorf("%s: access %s", m, a)
		}
	}
	if n := (count(t, reg, "GET", "/d/:param", "200")); n != 1 {
		t.Errorf("GET counted %v times", n)
	}
	if w := serve(http.MethodGet, "/boom/x"); w.Code != http.StatusInternalServerError {
		t.Errorf("panic: %d", w.Code)
	}
	if n := (count(t, reg, "GET", "/boom/:param", "500")); n != 1 {
		t.Errorf("panic counted %v times", n)
	}
	got = ""
	if w := serve(http.MethodPost, "/d/abc"); w.Code != http.StatusNotFound || got != "" {
		t.Errorf("POST: %d, handler saw %q", w.Code, got)
	}
}

// count reads the sesame_http_requests_total series of a route.
func count(t *testing.T, reg *prometheus.Registry, method, route, code string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "sesame_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
