package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// spfResult is an RFC 7208 check_host() result.
type spfResult string

const (
	spfPass      spfResult = "pass"
	spfFail      spfResult = "fail"
	spfSoftFail  spfResult = "softfail"
	spfNeutral   spfResult = "neutral"
	spfNone      spfResult = "none"
	spfPermError spfResult = "permerror"
	spfTempError spfResult = "temperror"
)

// spfLookupLimit is RFC 7208 section 4.6.4: at most 10 terms that cause DNS
// lookups per evaluation.
const spfLookupLimit = 10

// spfCheck evaluates one SPF policy for one address.
type spfCheck struct {
	ctx     context.Context
	dns     DNSLookup
	lookups int
	// includes collects every include: target walkIncludes reaches, so a
	// record can be checked for SESAME_SPF_INCLUDE.
	includes map[string]bool
	// why explains a permerror or temperror.
	why string
}

// spfRecords returns the v=spf1 records among the TXT records of domain.
func spfRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		l := strings.ToLower(strings.TrimSpace(t))
		if l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ") {
			out = append(out, strings.TrimSpace(t))
		}
	}
	return out
}

func (c *spfCheck) perm(format string, args ...any) spfResult {
	if c.why == "" {
		c.why = fmt.Sprintf(format, args...)
	}
	return spfPermError
}

func (c *spfCheck) temp(err error) spfResult {
	if c.why == "" {
		c.why = err.Error()
	}
	return spfTempError
}

// countLookup charges one DNS-querying term against the limit.
func (c *spfCheck) countLookup() bool {
	c.lookups++
	return c.lookups <= spfLookupLimit
}

// checkHost is RFC 7208 check_host() without macros (a term using them is
// reported as not evaluable).
func (c *spfCheck) checkHost(ip net.IP, domain string) spfResult {
	txts, err := c.dns.LookupTXT(c.ctx, domain)
	if errors.Is(err, ErrNoRecords) {
		return spfNone
	}
	if err != nil {
		return c.temp(err)
	}
	records := spfRecords(txts)
	switch len(records) {
	case 0:
		return spfNone
	case 1:
	default:
		return c.perm("%s has %d SPF records", domain, len(records))
	}
	var redirect string
	for _, term := range strings.Fields(records[0])[1:] {
		if name, value, ok := strings.Cut(term, "="); ok && isSPFName(name) {
			if strings.EqualFold(name, "redirect") {
				redirect = value
			}
			continue // exp= and unknown modifiers do not change the result
		}
		qualifier := spfPass
		switch term[0] {
		case '+':
			term = term[1:]
		case '-':
			qualifier, term = spfFail, term[1:]
		case '~':
			qualifier, term = spfSoftFail, term[1:]
		case '?':
			qualifier, term = spfNeutral, term[1:]
		}
		matched, res := c.mechanism(ip, domain, term)
		if res != "" {
			return res
		}
		if matched {
			return qualifier
		}
	}
	if redirect != "" {
		if strings.Contains(redirect, "%") {
			return c.perm("redirect=%s uses macros, which Sesame cannot evaluate", redirect)
		}
		if !c.countLookup() {
			return c.perm("more than %d DNS lookups", spfLookupLimit)
		}
		res := c.checkHost(ip, redirect)
		if res == spfNone {
			return c.perm("redirect=%s has no SPF record", redirect)
		}
		return res
	}
	return spfNeutral
}

func isSPFName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// mechanism reports whether term matches ip; a non-empty result ends the
// evaluation (an error).
func (c *spfCheck) mechanism(ip net.IP, domain, term string) (bool, spfResult) {
	// name, then ":arg" and/or "/cidr": a, a/24, a:host, a:host/24//64, ip4:net/8
	name, rest := term, ""
	if i := strings.IndexAny(term, ":/"); i >= 0 {
		name, rest = term[:i], term[i:]
	}
	name = strings.ToLower(name)
	arg, cidr := "", rest
	if strings.HasPrefix(rest, ":") {
		arg, cidr = rest[1:], ""
		if (name == "a" || name == "mx") && strings.Contains(arg, "/") {
			i := strings.IndexByte(arg, '/')
			arg, cidr = arg[:i], arg[i:]
		}
	}
	cidr4, cidr6 := 32, 128
	if cidr != "" {
		if name != "a" && name != "mx" {
			return false, c.perm("%q: a prefix length is allowed only on a and mx", term)
		}
		var err error
		if cidr4, cidr6, err = parseDualCIDR(cidr); err != nil {
			return false, c.perm("bad prefix length in %q", term)
		}
	}
	target := domain
	if arg != "" {
		target = arg
	}
	if strings.Contains(target, "%") {
		return false, c.perm("%q uses macros, which Sesame cannot evaluate", term)
	}
	switch name {
	case "all":
		return true, ""
	case "ip4", "ip6":
		return ipInPrefix(ip, arg), ""
	case "include":
		if arg == "" {
			return false, c.perm("include without a domain")
		}
		if !c.countLookup() {
			return false, c.perm("more than %d DNS lookups", spfLookupLimit)
		}
		switch res := c.checkHost(ip, arg); res {
		case spfPass:
			return true, ""
		case spfFail, spfSoftFail, spfNeutral:
			return false, ""
		case spfTempError:
			return false, res
		default:
			return false, c.perm("include:%s has no usable SPF record", arg)
		}
	case "a", "exists":
		if !c.countLookup() {
			return false, c.perm("more than %d DNS lookups", spfLookupLimit)
		}
		ips, err := c.dns.LookupIP(c.ctx, target)
		if errors.Is(err, ErrNoRecords) {
			return false, ""
		}
		if err != nil {
			return false, c.temp(err)
		}
		if name == "exists" {
			return len(ips) > 0, ""
		}
		return anyInNet(ip, ips, cidr4, cidr6), ""
	case "mx":
		if !c.countLookup() {
			return false, c.perm("more than %d DNS lookups", spfLookupLimit)
		}
		mxs, err := c.dns.LookupMX(c.ctx, target)
		if errors.Is(err, ErrNoRecords) {
			return false, ""
		}
		if err != nil {
			return false, c.temp(err)
		}
		for i, mx := range mxs {
			if i == spfLookupLimit {
				return false, c.perm("%s has more than %d MX hosts", target, spfLookupLimit)
			}
			ips, err := c.dns.LookupIP(c.ctx, mx.Host)
			if err != nil && !errors.Is(err, ErrNoRecords) {
				return false, c.temp(err)
			}
			if anyInNet(ip, ips, cidr4, cidr6) {
				return true, ""
			}
		}
		return false, ""
	case "ptr":
		// Deprecated by RFC 7208 and costly; counted, never matched.
		if !c.countLookup() {
			return false, c.perm("more than %d DNS lookups", spfLookupLimit)
		}
		return false, ""
	default:
		return false, c.perm("unknown mechanism %q", term)
	}
}

func parseDualCIDR(s string) (int, int, error) {
	v4, v6 := 32, 128
	parts := strings.Split(strings.TrimPrefix(s, "/"), "//")
	if parts[0] != "" {
		n, err := strconv.Atoi(parts[0])
		if err != nil || n < 0 || n > 32 {
			return 0, 0, errors.New("bad ip4 prefix")
		}
		v4 = n
	}
	if len(parts) > 1 {
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 || n > 128 {
			return 0, 0, errors.New("bad ip6 prefix")
		}
		v6 = n
	}
	return v4, v6, nil
}

func ipInPrefix(ip net.IP, spec string) bool {
	if !strings.Contains(spec, "/") {
		other := net.ParseIP(spec)
		return other != nil && other.Equal(ip)
	}
	_, n, err := net.ParseCIDR(spec)
	return err == nil && n.Contains(ip)
}

func anyInNet(ip net.IP, ips []net.IP, cidr4, cidr6 int) bool {
	for _, other := range ips {
		bits, size := cidr6, 128
		if other.To4() != nil {
			bits, size = cidr4, 32
		}
		mask := net.CIDRMask(bits, size)
		if (ip.To4() != nil) == (other.To4() != nil) && ip.Mask(mask).Equal(other.Mask(mask)) {
			return true
		}
	}
	return false
}

// walkIncludes follows every include: and redirect= of domain's policy,
// counting DNS-querying terms against the limit as an evaluation would, and
// records each include target reached. It answers "does this policy
// include X" independently of any address.
func (c *spfCheck) walkIncludes(domain string) spfResult {
	txts, err := c.dns.LookupTXT(c.ctx, domain)
	if errors.Is(err, ErrNoRecords) {
		return spfNone
	}
	if err != nil {
		return c.temp(err)
	}
	records := spfRecords(txts)
	if len(records) != 1 {
		if len(records) == 0 {
			return spfNone
		}
		return c.perm("%s has %d SPF records", domain, len(records))
	}
	for _, term := range strings.Fields(records[0])[1:] {
		term = strings.TrimLeft(term, "+-~?")
		name, arg, _ := strings.Cut(term, ":")
		if k, v, ok := strings.Cut(term, "="); ok && isSPFName(k) {
			if !strings.EqualFold(k, "redirect") {
				continue
			}
			name, arg = "redirect", v
		}
		switch strings.ToLower(strings.SplitN(name, "/", 2)[0]) {
		case "include", "redirect":
			if !c.countLookup() {
				return c.perm("more than %d DNS lookups", spfLookupLimit)
			}
			c.includes[strings.ToLower(strings.TrimSuffix(arg, "."))] = true
			if res := c.walkIncludes(arg); res == spfPermError || res == spfTempError {
				return res
			}
		case "a", "mx", "ptr", "exists":
			if !c.countLookup() {
				return c.perm("more than %d DNS lookups", spfLookupLimit)
			}
		}
	}
	return spfNeutral
}
