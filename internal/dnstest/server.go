// Package dnstest is a real DNS server for tests: it answers UDP and TCP on
// loopback from zones the test edits while it runs, and can be told to fail
// a name with SERVFAIL or to never answer it.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/sesame-email/sesame/models/identity"
)

// Server serves the records a test sets.
type Server struct {
	Addr string // host:port, for SESAME_DNS_RESOLVER

	mu       sync.Mutex
	records  map[string][]dns.RR // by lowercased FQDN
	servfail map[string]bool
	silent   map[string]bool
	servers  []*dns.Server
}

// Start listens on a free loopback port (UDP and TCP) until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, servfail: map[string]bool{}, silent: map[string]bool{}}
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for attempt := 0; attempt < 20; attempt++ {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatalf("dnstest: no free port for UDP and TCP: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	handler := dns.HandlerFunc(s.serve)
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: ln, Handler: handler}
	s.servers = []*dns.Server{udp, tcp}
	for _, srv := range s.servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
	}
	t.Cleanup(func() {
		for _, srv := range s.servers {
			_ = srv.Shutdown()
		}
	})
	return s
}

// Set replaces every record of the names in rrs with rrs, given in zone-file
// syntax ("example.com. 300 IN TXT \"v=spf1 -all\"").
func (s *Server) Set(t testing.TB, rrs ...string) {
	t.Helper()
	parsed := map[string][]dns.RR{}
	for _, text := range rrs {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("dnstest: bad record %q: %v", text, err)
		}
		name := strings.ToLower(rr.Header().Name)
		parsed[name] = append(parsed[name], rr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, list := range parsed {
		s.records[name] = list
		delete(s.servfail, name)
		delete(s.silent, name)
	}
}

// Remove deletes every record of name.
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, strings.ToLower(dns.Fqdn(name)))
}

// ServFail makes every question about name fail with SERVFAIL.
func (s *Server) ServFail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servfail[strings.ToLower(dns.Fqdn(name))] = true
}

// Silence makes the server never answer questions about name, so clients
// time out.
func (s *Server) Silence(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent[strings.ToLower(dns.Fqdn(name))] = true
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	silent, servfail := s.silent[name], s.servfail[name]
	all := s.records[name]
	exists := len(all) > 0 || s.hasChildren(name)
	s.mu.Unlock()
	if silent {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	switch {
	case servfail:
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range all {
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(dnsUDPSize(req))
	}
	_ = w.WriteMsg(m)
}

// hasChildren keeps an empty non-terminal (a name with records only below
// it) from answering NXDOMAIN; the caller holds mu.
func (s *Server) hasChildren(name string) bool {
	for n := range s.records {
		if strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}

func dnsUDPSize(req *dns.Msg) int {
	if opt := req.IsEdns0(); opt != nil {
		return int(opt.UDPSize())
	}
	return dns.MinMsgSize
}

// Publish serves records exactly as Sesame asks a domain to publish them,
// TXT values in their zone-file form (several strings when long).
func (s *Server) Publish(t testing.TB, recs []identity.DNSRecord) {
	t.Helper()
	byName := map[string][]string{}
	var names []string
	for _, r := range recs {
		if _, seen := byName[r.Name]; !seen {
			names = append(names, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r.Name+". 300 IN "+r.Type+" "+r.ZoneValue())
	}
	for _, name := range names {
		s.Set(t, byName[name]...)
	}
}
