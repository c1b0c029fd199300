package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/web"
)

// A claim takes the requests of a route it recognises, without a session,
// a CSRF token or the default body limit; the route's own handler keeps
// the rest under its own rule, whichever was registered first.
func TestClaimsShareARoute(t *testing.T) {
	pub, _ := url.Parse("https://sesame.test")
	srv := web.New(web.Config{PublicURL: pub, HashKey: make([]byte, 64)}, nil)
	signed := func(name string) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.Header.Get("X-Signed") == name }
	}
	answer := func(who string) echo.HandlerFunc {
		return func(c echo.Context) error {
			b, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return err
			}
			return c.String(http.StatusOK, who+":"+string(b[:min(len(b), 3)]))
		}
	}
	srv.AddClaim(http.MethodGet, "/", signed("a"), answer("a")) // before the route's own handler
	srv.Add(http.MethodGet, "/", answer("page"), web.Member)
	srv.AddClaim(http.MethodGet, "/", signed("b"), answer("b"))
	srv.AddClaim(http.MethodPost, "/only-claimed", signed("a"), answer("a"))
	serve := func(method, path, who string, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if who != "" {
			r.Header.Set("X-Signed", who)
		}
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}

	for _, who := range []string{"a", "b"} {
		if w := serve(http.MethodGet, "/?Action=x", who, ""); w.Code != http.StatusOK || w.Body.String() != who+":" {
			t.Errorf("GET / signed %s: %d %q", who, w.Code, w.Body.String())
		}
	}
	if w := serve(http.MethodGet, "/", "", ""); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("GET / unsigned should ask to sign in: %d %v", w.Code, w.Header())
	}
	if w := serve(http.MethodGet, "/", "c", ""); w.Code != http.StatusSeeOther {
		t.Errorf("GET / with an unknown signature should ask to sign in: %d", w.Code)
	}
	// A claimed POST needs no CSRF token, and its handler reads a body
	// over the default limit itself.
	big := strings.Repeat("x", web.DefaultBodyLimit+10)
	if w := serve(http.MethodPost, "/only-claimed", "a", big); w.Code != http.StatusOK || w.Body.String() != "a:xxx" {
		t.Errorf("claimed POST: %d %q", w.Code, w.Body.String())
	}
	if w := serve(http.MethodPost, "/only-claimed", "", "x=1"); w.Code != http.StatusNotFound {
		t.Errorf("unclaimed POST to a route without its own handler: %d", w.Code)
	}
	if missing := srv.RoutesWithoutAccessRule(); len(missing) > 0 {
		t.Errorf("routes without a rule: %v", missing)
	}
	if a := srv.AccessOf(http.MethodGet, "/"); a != web.Member {
		t.Errorf("GET / is %s, want member", a)
	}
}
