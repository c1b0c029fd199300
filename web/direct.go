package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DirectHandler serves a direct route. param is the rest of the path after
// the route's prefix, unchecked.
type DirectHandler func(w http.ResponseWriter, r *http.Request, param string)

// directRoute is a GET and HEAD route served ahead of echo's middleware
// chain. It is for public endpoints that mail clients and their proxies hit
// by the thousand a second (the open pixel): they read no session, take no
// form and render no page, so request ids, sessions, CSRF and the access
// log are cost without use. They keep what still matters: recovery from a
// panic, the request metrics, and the headers that matter for a response
// that is not a page (nosniff, HSTS over https).
type directRoute struct {
	prefix    string
	route     string
	serve     DirectHandler
	requests  map[string]prometheus.Counter  // by method, status 200
	durations map[string]prometheus.Observer // by method
}

// AddDirect registers h for GET and HEAD requests on path, a prefix ending
// in one parameter ("/t/o/:token"), as a Signed route served ahead of the
// middleware chain (see directRoute). The handler must answer 200, and
// authenticate whatever it acts on itself.
func (s *Server) AddDirect(path string, h DirectHandler) {
	prefix, _, ok := strings.Cut(path, ":")
	if !ok || !strings.HasSuffix(prefix, "/") || strings.Contains(path[len(prefix):], "/") {
		panic("web.AddDirect: " + path + " does not end in one parameter")
	}
	d := directRoute{prefix: prefix, route: path, serve: h, requests: map[string]prometheus.Counter{}, durations: map[string]prometheus.Observer{}}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		s.policy[routeKey(m, path)] = Signed
		if s.metrics != nil {
			// Resolved once: a label lookup per request costs more than
			// the increment.
			d.requests[m] = s.metrics.requests.WithLabelValues(m, path, "200")
			d.durations[m] = s.metrics.duration.WithLabelValues(m, path)
		}
	}
	s.direct = append(s.direct, d)
}

// Header values shared by every direct response; net/http only reads them.
var (
	nosniff = []string{"nosniff"}
	hsts    = []string{"max-age=63072000; includeSubDomains"}
)

// directFor returns the direct route of r and its parameter, or nil.
func (s *Server) directFor(r *http.Request) (*directRoute, string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, ""
	}
	for i := range s.direct {
		if param, ok := strings.CutPrefix(r.URL.Path, s.direct[i].prefix); ok {
			return &s.direct[i], param
		}
	}
	return nil, ""
}

func (s *Server) serveDirect(w http.ResponseWriter, r *http.Request, d *directRoute, param string) {
	start := time.Now()
	defer s.recoverDirect(w, r, d)
	h := w.Header()
	h["X-Content-Type-Options"] = nosniff
	if s.https {
		h["Strict-Transport-Security"] = hsts
	}
	d.serve(w, r, param)
	if s.metrics != nil {
		d.requests[r.Method].Inc()
		d.durations[r.Method].Observe(time.Since(start).Seconds())
	}
	// Not logged at info: a line per pixel would cost more than the pixel.
	// Enabled is asked first so the arguments cost nothing.
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "route", d.route,
			"duration_ms", time.Since(start).Milliseconds(), "ip", s.clientIP(r))
	}
}

// recoverDirect does for direct routes what the recover middleware does
// for the others: log the panic with its stack and answer 500.
func (s *Server) recoverDirect(w http.ResponseWriter, r *http.Request, d *directRoute) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	stack := make([]byte, 4<<10)
	stack = stack[:runtime.Stack(stack, false)]
	s.log.ErrorContext(r.Context(), "panic", "err", fmt.Sprint(v), "route", d.route, "stack", string(stack))
	if s.metrics != nil {
		s.metrics.requests.WithLabelValues(r.Method, d.route, "500").Inc()
	}
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}
