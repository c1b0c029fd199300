package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// A claim is a Signed handler that takes the requests of a route it
// recognises, ahead of the route's own handler. The APIs share "/" with the
// console: the Tencent API's GET calls and Amazon's query calls are told
// from the dashboard (and from each other) by their signature headers, not
// by their path, as the SDKs send them all to the root of one host.
type claim struct {
	recognise func(*http.Request) bool
	serve     echo.HandlerFunc
}

// ctxClaim caches, per request, the claim that took it (or noClaim).
const ctxClaim = "sesame.claim"

// noClaim marks a request no claim of its route recognised.
var noClaim = &claim{}

// AddClaim registers h as a Signed handler for the requests on method and
// path that recognise accepts; the other requests go to the route's own
// handler (Add), or are not found. recognise must only read the headers
// and the URL: the body is the handler's. A claimed request skips
// sessions, CSRF and the body limit, as a Signed route does: its handler
// authenticates it and limits its body itself.
func (s *Server) AddClaim(method, path string, recognise func(*http.Request) bool, h echo.HandlerFunc) {
	key := routeKey(method, path)
	s.claims[key] = append(s.claims[key], &claim{recognise: recognise, serve: h})
	if _, ok := s.policy[key]; !ok {
		s.policy[key] = Signed // until the route gets an own handler
	}
	s.register(key)
}

// register (re)installs a route's echo handler: its own, behind the claims
// when it has any.
func (s *Server) register(key route) {
	own := s.own[key]
	h := own
	if len(s.claims[key]) > 0 {
		h = func(c echo.Context) error {
			if cl := s.claimOf(c); cl != nil {
				return cl.serve(c)
			}
			if own == nil {
				return echo.ErrNotFound
			}
			return own(c)
		}
	}
	s.Echo.Add(key.method, key.path, h)
}

// claimOf is the claim that takes the request, nil for none; it is worked
// out once per request.
func (s *Server) claimOf(c echo.Context) *claim {
	if cl, ok := c.Get(ctxClaim).(*claim); ok {
		if cl == noClaim {
			return nil
		}
		return cl
	}
	found := noClaim
	for _, cl := range s.claims[routeKey(c.Request().Method, c.Path())] {
		if cl.recognise(c.Request()) {
			found = cl
			break
		}
	}
	c.Set(ctxClaim, found)
	if found == noClaim {
		return nil
	}
	return found
}

// accessOf is the access rule of the request's route, Signed for a claimed
// request; known is false for a request that matched no route.
func (s *Server) accessOf(c echo.Context) (access Access, known bool) {
	key := routeKey(c.Request().Method, c.Path())
	if len(s.claims[key]) > 0 && s.claimOf(c) != nil {
		return Signed, true
	}
	access, known = s.policy[key]
	return access, known
}
