// Package mailer turns queued messages into delivered mail: template
// rendering, MIME, DKIM, transports, retries and bounces. It also owns the
// DNS resolver that delivery and identity checks share.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/sesame-email/sesame/models/identity"
)

// Resolver asks DNS servers directly (SESAME_DNS_RESOLVER, else those of
// /etc/resolv.conf), so answers are told apart precisely: a missing record
// is ErrNoRecords, while a timeout or SERVFAIL is a DNSLookupError ("could
// not check"), never mistaken for either a pass or a fail.
type Resolver struct {
	servers []string
	udp     *dns.Client
	tcp     *dns.Client
}

var _ identity.DNSLookup = (*Resolver)(nil)

// NewResolver uses the DNS server at addr (host:port), or the system's
// resolvers when addr is empty.
func NewResolver(addr string, timeout time.Duration) (*Resolver, error) {
	var servers []string
	if addr != "" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("DNS resolver %q: want host:port", addr)
		}
		servers = []string{addr}
	} else {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(conf.Servers) == 0 {
			return nil, fmt.Errorf("no DNS resolver: set SESAME_DNS_RESOLVER or fix /etc/resolv.conf")
		}
		for _, s := range conf.Servers {
			servers = append(servers, net.JoinHostPort(s, conf.Port))
		}
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Resolver{
		servers: servers,
		udp:     &dns.Client{Net: "udp", Timeout: timeout, UDPSize: 4096},
		tcp:     &dns.Client{Net: "tcp", Timeout: timeout},
	}, nil
}

func (r *Resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(4096, false)
	var lastErr error = &identity.DNSLookupError{Name: name, Reason: "no resolver answered"}
	for _, server := range r.servers {
		resp, _, err := r.udp.ExchangeContext(ctx, m, server)
		if err == nil && resp.Truncated {
			resp, _, err = r.tcp.ExchangeContext(ctx, m, server)
		}
		if err != nil {
			reason := "no answer"
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
				reason = "timed out"
			}
			lastErr = &identity.DNSLookupError{Name: name, Reason: reason}
			continue
		}
		switch resp.Rcode {
		case dns.RcodeSuccess:
			var out []dns.RR
			for _, rr := range resp.Answer {
				if rr.Header().Rrtype == qtype {
					out = append(out, rr)
				}
			}
			if len(out) == 0 {
				return nil, identity.ErrNoRecords
			}
			return out, nil
		case dns.RcodeNameError:
			return nil, identity.ErrNoRecords
		default:
			lastErr = &identity.DNSLookupError{Name: name, Reason: dns.RcodeToString[resp.Rcode]}
		}
	}
	return nil, lastErr
}

// LookupTXT returns each TXT record of name with its strings joined, as
// DKIM and SPF read them (RFC 6376 3.6.2.2, RFC 7208 3.3).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, nil
}

// LookupMX returns the MX records of name in preference order.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.query(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	out := make([]*net.MX, 0, len(rrs))
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pref < out[j].Pref })
	return out, nil
}

// LookupIP returns the IPv4 and IPv6 addresses of host. One family missing
// is normal; both missing is ErrNoRecords.
func (r *Resolver) LookupIP(ctx context.Context, host string) ([]net.IP, error) {
	var out []net.IP
	var firstErr error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, host, qtype)
		if err != nil {
			if !errors.Is(err, identity.ErrNoRecords) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				out = append(out, v.A)
			case *dns.AAAA:
				out = append(out, v.AAAA)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, identity.ErrNoRecords
}
