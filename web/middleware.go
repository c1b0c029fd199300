package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// Keys of values the middleware leaves in the echo context.
const (
	ctxUser    = "sesame.user"
	ctxSession = "sesame.session"
	ctxCSRF    = "csrf"
	ctxServer  = "sesame.server"
)

// requestContext gives every request an id (kept from a sane X-Request-Id),
// echoes it back, puts it in the context for log lines, and logs the request.
func (s *Server) requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = strings.ToLower(rand.Text()[:20])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.Set(ctxServer, s)
		ctx := WithRequestID(req.Context(), id)
		c.SetRequest(req.WithContext(ctx))
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		// Click redirects come by the thousand a second: they are logged
		// only when debugging (the pixel, a direct route, never gets here).
		level := slog.LevelInfo
		if access, _ := s.accessOf(c); access == Signed && strings.HasPrefix(c.Path(), "/t/") {
			level = slog.LevelDebug
		}
		s.log.Log(ctx, level, "request", "method", req.Method, "path", req.URL.Path, "route", c.Path(),
			"status", c.Response().Status, "bytes", c.Response().Size, "duration_ms", time.Since(start).Milliseconds(), "ip", c.RealIP())
		return nil
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// contentSecurityPolicy allows nothing inline and nothing from elsewhere.
// Previews of user HTML live in sandboxed srcdoc frames.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(https bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if https {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// httpMetrics counts requests and their latency by route; the middleware
// and the direct routes (direct.go) feed the same series.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sesame_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sesame_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.duration.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// metricsAccess serves the metrics only to who may read them. With a token
// configured, that is a request bearing it, from anywhere. Without one, it
// is a loopback client whose request no untrusted proxy forwarded: a reverse
// proxy on the same host makes every client look local, and its forwarding
// headers are what give it away.
func (s *Server) metricsAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if token := s.cfg.MetricsToken; token != "" {
			got, ok := strings.CutPrefix(req.Header.Get(echo.HeaderAuthorization), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "The metrics need the bearer token set in SESAME_METRICS_TOKEN.")
			}
			return next(c)
		}
		ip, err := netip.ParseAddr(c.RealIP())
		forwarded := req.Header.Get(echo.HeaderXForwardedFor) != "" || req.Header.Get("Forwarded") != "" || req.Header.Get(echo.HeaderXRealIP) != ""
		if err != nil || !ip.IsLoopback() || (forwarded && !s.trustedProxy(req)) {
			return echo.NewHTTPError(http.StatusForbidden, "The metrics are served to loopback clients only; set SESAME_METRICS_TOKEN to scrape them from elsewhere.")
		}
		return next(c)
	}
}

// trustedProxy reports whether the request's peer is a trusted proxy.
func (s *Server) trustedProxy(req *http.Request) bool {
	peer, err := netip.ParseAddrPort(req.RemoteAddr)
	for _, p := range s.cfg.TrustedProxies {
		if err == nil && p.Contains(peer.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// limitBody caps the body at the route's limit and parses URL-encoded forms
// up front, so an oversized or malformed form gets a clear 413 or 400 page
// instead of silently empty fields.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit, ok := s.bodyLimit[routeKey(req.Method, c.Path())]
		switch {
		case len(s.claims[routeKey(req.Method, c.Path())]) > 0 && s.claimOf(c) != nil:
			limit = NoBodyLimit // the claiming handler limits its body (claims.go)
		case !ok:
			limit = DefaultBodyLimit
		}
		if limit == NoBodyLimit {
			return next(c)
		}
		if req.ContentLength > limit {
			return errBodyTooLarge(limit)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
			if err := req.ParseForm(); err != nil {
				if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
					return errBodyTooLarge(limit)
				}
				return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Reload the page and try again.")
			}
		}
		return next(c)
	}
}

func errBodyTooLarge(limit int64) error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		"The request is larger than the "+strconv.FormatInt(limit>>20, 10)+" MB this page accepts.")
}

// crossOrigin refuses state-changing requests a browser sent from another
// origin (Go's fetch-metadata check). Signed routes are exempt: their callers
// are servers, and each request proves itself.
func (s *Server) crossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	if u := s.cfg.PublicURL; u != nil {
		_ = cop.AddTrustedOrigin((&url.URL{Scheme: u.Scheme, Host: u.Host}).String())
	}
	return func(c echo.Context) error {
		if s.skipsBrowserChecks(c) {
			return next(c)
		}
		if err := cop.Check(c.Request()); err != nil {
			return errCSRF
		}
		return next(c)
	}
}

// skipsBrowserChecks is true for Signed routes, and for requests that match
// no route at all: those end in a harmless 404 or 405 page, which should say
// so rather than complain about a token.
func (s *Server) skipsBrowserChecks(c echo.Context) bool {
	access, known := s.accessOf(c)
	return !known || access == Signed
}

var errCSRF = echo.NewHTTPError(http.StatusForbidden,
	"This form has expired or was sent from another site. Go back, reload the page and try again.")

// csrf checks the synchronizer token on every state-changing request. Echo's
// middleware would accept any same-origin request without a token; the
// fetch-metadata check already ran in crossOrigin, so the token is demanded
// regardless, as a second, independent defence.
func (s *Server) csrf() echo.MiddlewareFunc {
	secure := s.sessions.secure
	check := echomw.CSRFWithConfig(echomw.CSRFConfig{
		Skipper: s.skipsBrowserChecks,
		// The header first: htmx sends it, and a streamed upload must not
		// have its multipart body parsed just to find the token.
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     ctxCSRF,
		CookieName:     s.csrfCookie,
		CookiePath:     "/",
		CookieMaxAge:   int((12 * time.Hour).Seconds()),
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := check(next)
		return func(c echo.Context) error {
			c.Request().Header.Del(echo.HeaderSecFetchSite)
			return checked(c)
		}
	}
}

// loadSession resolves the session cookie to a signed-in, active user.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if access, _ := s.accessOf(c); access == Signed {
			return next(c)
		}
		sess, err := s.sessions.Get(c.Request(), sessionName)
		if err != nil {
			return err
		}
		c.Set(ctxSession, sess)
		if uid, _ := sess.Values[userIDKey].(uint64); uid != 0 {
			u, err := s.store.GetUser(c.Request().Context(), uid)
			switch {
			case errors.Is(err, models.ErrNotFound) || (err == nil && u.Disabled):
				sess.Options.MaxAge = -1
				if err := sess.Save(c.Request(), c.Response()); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				c.Set(ctxUser, u)
			}
		}
		return next(c)
	}
}

// guard enforces a route's access rule.
func (s *Server) guard(access Access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch access {
			case Public, Signed:
				return next(c)
			case Member, AdminOnly:
				u := CurrentUser(c)
				if u == nil {
					return s.requireLogin(c)
				}
				if access == AdminOnly && !u.IsAdmin() {
					return echo.NewHTTPError(http.StatusForbidden, "This page is for admins. Ask an admin if you need access.")
				}
				c.Response().Header().Set("Cache-Control", "no-store")
				return next(c)
			default:
				s.log.ErrorContext(c.Request().Context(), "route has no access rule", "route", c.Path())
				return echo.NewHTTPError(http.StatusForbidden)
			}
		}
	}
}

func (s *Server) requireLogin(c echo.Context) error {
	req := c.Request()
	if req.Method != http.MethodGet || req.Header.Get("HX-Request") != "" {
		return echo.NewHTTPError(http.StatusUnauthorized, "Your session has ended. Sign in again.")
	}
	return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(req.URL.RequestURI()))
}

// CurrentUser is the signed-in user of the request, or nil.
func CurrentUser(c echo.Context) *accounts.User {
	u, _ := c.Get(ctxUser).(*accounts.User)
	return u
}

func currentSession(c echo.Context) *sessions.Session {
	sess, _ := c.Get(ctxSession).(*sessions.Session)
	return sess
}

// CurrentSessionID is the stored id of the request's session.
func CurrentSessionID(c echo.Context) string { return SessionID(currentSession(c)) }

// SignIn starts a new session for u, replacing whatever session the request
// had (a fresh id at every login defeats session fixation).
func (s *Server) SignIn(c echo.Context, u *accounts.User) error {
	if old := currentSession(c); old != nil && old.ID != "" {
		if err := s.store.DeleteSession(c.Request().Context(), tokenID(old.ID)); err != nil {
			return err
		}
	}
	sess := sessions.NewSession(s.sessions, sessionName)
	sess.Options = s.sessions.options(0)
	sess.Values[userIDKey] = u.ID
	if err := s.sessions.Save(c.Request(), c.Response(), sess); err != nil {
		return err
	}
	c.Set(ctxSession, sess)
	c.Set(ctxUser, u)
	return nil
}

// SignOut ends the request's session.
func SignOut(c echo.Context) error {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}
