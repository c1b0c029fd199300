// Package web is Sesame's HTTP front: the echo server with its middleware
// (request ids, security headers, sessions, CSRF, roles), the render helper and
// the one error page. Handlers register their routes on a Server, each with an
// access rule.
package web

import (
	"context"
	"encoding/gob"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/views/components"
)

func init() { gob.Register(components.Flash{}) }

// Store is what the web layer itself needs from the database.
type Store interface {
	SessionRepo
	GetUser(ctx context.Context, id uint64) (*accounts.User, error)
	Ping(ctx context.Context) error
	Migrated(ctx context.Context) (bool, error)
}

// Config configures a Server.
type Config struct {
	PublicURL       *url.URL
	HashKey         []byte // signs session cookies
	Version         string
	Logger          *slog.Logger
	Clock           models.Clock
	Metrics         *prometheus.Registry
	Static          fs.FS
	Sandbox         bool          // SESAME_DELIVERY=sandbox: pages say DNS is not needed yet
	SessionIdle     time.Duration // default 8h
	SessionAbsolute time.Duration // default 7 days
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (SESAME_TRUSTED_PROXIES); without any, the peer is the
	// client.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token every request for
	// /metrics needs; without one, only loopback clients get them.
	MetricsToken string
}

// Access is the rule a route is registered with. Every route has one; a
// route without one is refused (and a test lists the offender).
type Access int

const (
	// Public routes need no session: sign-in, health, static files.
	Public Access = iota + 1
	// Signed routes authenticate each request themselves (the API's request
	// signatures, one-click unsubscribe tokens); they skip cookies and CSRF.
	Signed
	// Member routes need any signed-in user.
	Member
	// AdminOnly routes need a signed-in admin.
	AdminOnly
)

func (a Access) String() string {
	return [...]string{"none", "public", "signed", "member", "admin"}[a]
}

// Server is the configured echo instance plus the route policy.
type Server struct {
	Echo       *echo.Echo
	store      Store
	sessions   *SessionStore
	log        *slog.Logger
	cfg        Config
	policy     map[route]Access
	bodyLimit  map[route]int64
	own        map[route]echo.HandlerFunc // each route's handler, behind its access rule
	claims     map[route][]*claim         // handlers that take some of a route's requests (claims.go)
	csrfCookie string
	metrics    *httpMetrics // nil without a registry
	direct     []directRoute
	https      bool
	clientIP   echo.IPExtractor
}

// DefaultBodyLimit caps request bodies of routes that do not say otherwise.
const DefaultBodyLimit = 2 << 20

// NoBodyLimit registers a route whose handler limits its body itself, to
// answer an oversized one in its own format (the API's JSON errors).
const NoBodyLimit = -1

// New builds the server with its middleware and the built-in routes
// (health, metrics, static files). Handlers add theirs with Add.
func New(cfg Config, store Store) *Server {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 8 * time.Hour
	}
	if cfg.SessionAbsolute == 0 {
		cfg.SessionAbsolute = 7 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = models.SystemClock{}
	}
	secure := cfg.PublicURL != nil && cfg.PublicURL.Scheme == "https"
	s := &Server{
		Echo:  echo.New(),
		store: store,
		sessions: NewSessionStore(store, SessionOptions{
			HashKey: cfg.HashKey, Secure: secure, Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute, Clock: cfg.Clock,
		}),
		log:       cfg.Logger.With("component", "web"),
		cfg:       cfg,
		policy:    map[route]Access{},
		bodyLimit: map[route]int64{},
		own:       map[route]echo.HandlerFunc{},
		claims:    map[route][]*claim{},
		https:     secure,
		clientIP:  echo.ExtractIPDirect(),
	}
	if len(cfg.TrustedProxies) > 0 {
		// Echo trusts loopback and private addresses by default; only the
		// configured proxies are trusted here.
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, p := range cfg.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
		}
		s.clientIP = echo.ExtractIPFromXFFHeader(trust...)
	}
	s.csrfCookie = "sesame_csrf"
	if secure {
		s.csrfCookie = "__Host-" + s.csrfCookie
	}
	e := s.Echo
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = s.clientIP
	e.HTTPErrorHandler = s.handleError

	e.Use(s.requestContext)
	e.Use(echomw.RecoverWithConfig(echomw.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.ErrorContext(c.Request().Context(), "panic", "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(securityHeaders(secure))
	if cfg.Metrics != nil {
		s.metrics = newHTTPMetrics(cfg.Metrics)
		e.Use(s.metrics.middleware)
	}
	e.Use(s.limitBody)
	e.Use(s.crossOrigin)
	e.Use(s.loadSession)
	e.Use(s.csrf())

	s.Add(http.MethodGet, "/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }, Public)
	s.Add(http.MethodGet, "/readyz", s.ready, Public)
	if cfg.Metrics != nil {
		s.Add(http.MethodGet, "/metrics", s.metricsAccess(echo.WrapHandler(promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{}))), Public)
	}
	if cfg.Static != nil {
		files := http.StripPrefix("/static/", http.FileServer(http.FS(filesOnly{cfg.Static})))
		s.Add(http.MethodGet, "/static/*", func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "public, max-age=86400")
			files.ServeHTTP(c.Response(), c.Request())
			return nil
		}, Public)
	}
	return s
}

// filesOnly hides the directories of an fs.FS, so that a file server
// serves its files but lists nothing.
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}

// ClientIP is the address a request came from: the peer's, or, when the
// peer is one of the trusted proxies, the right-most address of
// X-Forwarded-For that is not (login throttling keys on it, so the header
// is never taken on trust from anyone else).
func (s *Server) ClientIP(r *http.Request) string { return s.clientIP(r) }

// route keys the policy: a struct of two strings, so looking a request up
// allocates nothing.
type route struct{ method, path string }

func routeKey(method, path string) route { return route{method, path} }

// Add registers a route with its access rule.
func (s *Server) Add(method, path string, h echo.HandlerFunc, access Access) {
	key := routeKey(method, path)
	s.policy[key] = access
	s.own[key] = s.guard(access)(h)
	s.register(key)
}

// AddWithBodyLimit registers a route that accepts bodies up to limit bytes.
func (s *Server) AddWithBodyLimit(method, path string, h echo.HandlerFunc, access Access, limit int64) {
	s.bodyLimit[routeKey(method, path)] = limit
	s.Add(method, path, h, access)
}

// RoutesWithoutAccessRule lists registered routes that bypassed Add, for the
// test that keeps every route under a role rule.
func (s *Server) RoutesWithoutAccessRule() []string {
	var missing []string
	for _, r := range s.Echo.Routes() {
		if strings.HasPrefix(r.Name, "github.com/labstack/echo/v4.init") {
			continue // echo's own not-found and method-not-allowed handlers
		}
		if _, ok := s.policy[routeKey(r.Method, r.Path)]; !ok {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	return missing
}

// AccessOf returns the rule of a registered route (0 when none), for tests.
func (s *Server) AccessOf(method, path string) Access { return s.policy[routeKey(method, path)] }

// ServeHTTP lets the server be used as an http.Handler: direct routes
// first, everything else through echo.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d, param := s.directFor(r); d != nil {
		s.serveDirect(w, r, d, param)
		return
	}
	s.Echo.ServeHTTP(w, r)
}

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	if ok, err := s.store.Migrated(ctx); err != nil || !ok {
		return c.String(http.StatusServiceUnavailable, "database not migrated\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
