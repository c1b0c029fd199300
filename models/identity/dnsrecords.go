package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// RecordKind is the purpose of a DNS record Sesame asks a domain to publish.
type RecordKind string

const (
	RecordOwnership     RecordKind = "ownership"
	RecordSPF           RecordKind = "spf"
	RecordDKIM          RecordKind = "dkim"
	RecordDMARC         RecordKind = "dmarc"
	RecordReturnPath    RecordKind = "return_path"
	RecordReturnPathSPF RecordKind = "return_path_spf"
)

// RecordStatus is the outcome of checking one record.
type RecordStatus string

const (
	RecordPass    RecordStatus = "pass"
	RecordFail    RecordStatus = "fail"    // present but wrong
	RecordMissing RecordStatus = "missing" // not published
	RecordWarning RecordStatus = "warning" // not required, but advised
	RecordUnknown RecordStatus = "unknown" // could not check: timeout, SERVFAIL
	// RecordUnchecked is only shown: the record has not been looked up yet.
	RecordUnchecked RecordStatus = "unchecked"
)

// DNSRecord is one record to publish, with the result of its last check.
type DNSRecord struct {
	Kind     RecordKind
	Type     string // TXT or MX
	Name     string // fully qualified, without the trailing dot
	Value    string // what to publish
	Required bool   // needed for the domain to be verified for sending
	DKIMKey  *DKIMKey

	Current     string
	Status      RecordStatus
	Explanation string
	CheckedAt   *time.Time
}

// Label names the record for people.
func (r *DNSRecord) Label() string {
	switch r.Kind {
	case RecordOwnership:
		return "Ownership"
	case RecordSPF:
		return "SPF"
	case RecordDKIM:
		label := "DKIM " + r.DKIMKey.Label()
		if r.DKIMKey.State == DKIMPending {
			label += ", new"
		}
		return label
	case RecordDMARC:
		return "DMARC"
	case RecordReturnPath:
		return "Return path"
	case RecordReturnPathSPF:
		return "Return path SPF"
	}
	return string(r.Kind)
}

// Host is the record's name relative to the domain, as most DNS providers
// ask for it ("@" for the domain itself).
func (r *DNSRecord) Host(domain string) string {
	if r.Name == domain {
		return "@"
	}
	return strings.TrimSuffix(r.Name, "."+domain)
}

// ZoneValue is the value as a zone file writes it: TXT values longer than
// 255 bytes split into several quoted strings (RFC 1035 character-strings).
func (r *DNSRecord) ZoneValue() string {
	if r.Type != "TXT" {
		return r.Value
	}
	var parts []string
	for v := r.Value; v != ""; {
		n := min(255, len(v))
		parts = append(parts, `"`+v[:n]+`"`)
		v = v[n:]
	}
	return strings.Join(parts, " ")
}

// Passed reports whether the last check found the record right.
func (r *DNSRecord) Passed() bool { return r.Status == RecordPass }

const ownershipPrefix = "sesame-verification="

// expectedRecords lists what a domain must publish. spfValue is computed by
// the caller from the domain's sending IPs.
func (s *Domains) expectedRecords(d *Domain, keys []DKIMKey, spfValue string) []DNSRecord {
	bounceHost := strings.TrimSuffix(s.config.BounceHost, ".")
	recs := []DNSRecord{
		{Kind: RecordOwnership, Type: "TXT", Name: "_sesame." + d.Name, Value: ownershipPrefix + d.VerifyToken, Required: true},
		{Kind: RecordSPF, Type: "TXT", Name: d.Name, Value: spfValue, Required: true},
	}
	signing := signingRSAKey(keys)
	if s.config.RelaySigns(d) {
		keys = nil // the relay's key signs, and its owner publishes its record
	}
	for i := range keys {
		k := &keys[i]
		recs = append(recs, DNSRecord{Kind: RecordDKIM, Type: "TXT", Name: k.RecordName(d.Name), Value: k.RecordValue(), Required: k == signing, DKIMKey: k})
	}
	recs = append(recs,
		DNSRecord{Kind: RecordDMARC, Type: "TXT", Name: "_dmarc." + d.Name, Value: "v=DMARC1; p=none; rua=mailto:dmarc-reports@" + d.Name},
		DNSRecord{Kind: RecordReturnPath, Type: "MX", Name: d.BounceDomain(), Value: "10 " + bounceHost},
		DNSRecord{Kind: RecordReturnPathSPF, Type: "TXT", Name: d.BounceDomain(), Value: spfValue},
	)
	return recs
}

// SigningKeys is which of Sesame's keys sign a domain's mail: the active
// ones; when none is, next is the RSA key that will once its DNS record
// verifies (nil when there is none).
func SigningKeys(keys []DKIMKey) (active []DKIMKey, next *DKIMKey) {
	for _, k := range keys {
		if k.State == DKIMActive {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		next = signingRSAKey(keys)
	}
	return active, next
}

// signingRSAKey is the RSA key whose record must verify: the active one, or
// the first key of a domain not yet verified.
func signingRSAKey(keys []DKIMKey) *DKIMKey {
	var pending *DKIMKey
	for i := range keys {
		k := &keys[i]
		if k.Algorithm != DKIMRSA {
			continue
		}
		if k.State == DKIMActive {
			return k
		}
		if pending == nil && k.State == DKIMPending {
			pending = k
		}
	}
	return pending
}

// spfTargets is what a domain's SPF record must authorise: every address
// its mail may leave from (sourcePool).
type spfTargets struct {
	ips          []net.IP // the registered addresses among them
	defaultRoute bool     // the default route is among them
	include      string   // SESAME_SPF_INCLUDE
	host         string   // the bounce host, which stands in for the default route
}

// value is the SPF record Sesame suggests: the addresses as ip4:/ip6:
// terms, and for the default route the bounce host, as a:host, or as an
// ip4:/ip6: term when it is an IP literal (a: takes only a domain name,
// RFC 7208 5.3).
func (t spfTargets) value() string {
	if t.include != "" {
		return "v=spf1 include:" + t.include + " ~all"
	}
	var b strings.Builder
	b.WriteString("v=spf1")
	for _, ip := range t.ips {
		b.WriteString(" " + spfTerm(ip))
	}
	if t.defaultRoute {
		if ip := net.ParseIP(t.host); ip != nil {
			b.WriteString(" " + spfTerm(ip))
		} else {
			b.WriteString(" a:" + t.host)
		}
	}
	b.WriteString(" ~all")
	return b.String()
}

// addresses are the addresses the record must authorise; the bounce
// host's are looked up when the default route sends.
func (t spfTargets) addresses(ctx context.Context, dns DNSLookup) ([]net.IP, error) {
	if !t.defaultRoute {
		return t.ips, nil
	}
	if ip := net.ParseIP(t.host); ip != nil {
		return append(slices.Clip(t.ips), ip), nil
	}
	hostIPs, err := dns.LookupIP(ctx, t.host)
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(t.ips), hostIPs...), nil
}

// checkResult is the outcome of looking one record up.
type checkResult struct {
	current     string
	status      RecordStatus
	explanation string
}

func couldNotCheck(err error) checkResult {
	var lerr *DNSLookupError
	if errors.As(err, &lerr) {
		return checkResult{status: RecordUnknown, explanation: "Could not check: the DNS lookup of " + lerr.Name + " " + lerr.Reason + ". Sesame will try again."}
	}
	return checkResult{status: RecordUnknown, explanation: "Could not check: " + err.Error() + ". Sesame will try again."}
}

func (s *Domains) checkRecord(ctx context.Context, dns DNSLookup, r *DNSRecord, spf spfTargets) checkResult {
	switch r.Kind {
	case RecordOwnership:
		return checkOwnership(ctx, dns, r)
	case RecordSPF, RecordReturnPathSPF:
		return checkSPF(ctx, dns, r, spf)
	case RecordDKIM:
		return checkDKIM(ctx, dns, r)
	case RecordDMARC:
		return checkDMARC(ctx, dns, r)
	case RecordReturnPath:
		return checkReturnPath(ctx, dns, r, s.config.BounceHost)
	}
	return checkResult{status: RecordUnknown, explanation: "Unknown record kind."}
}

func checkOwnership(ctx context.Context, dns DNSLookup, r *DNSRecord) checkResult {
	txts, err := dns.LookupTXT(ctx, r.Name)
	if errors.Is(err, ErrNoRecords) {
		return checkResult{status: RecordMissing, explanation: "No TXT record at " + r.Name + ". Publish it to prove you control the domain."}
	}
	if err != nil {
		return couldNotCheck(err)
	}
	var found []string
	for _, t := range txts {
		if strings.TrimSpace(t) == r.Value {
			return checkResult{current: t, status: RecordPass, explanation: "The verification token matches."}
		}
		if strings.HasPrefix(strings.TrimSpace(t), ownershipPrefix) {
			found = append(found, t)
		}
	}
	if len(found) > 0 {
		return checkResult{current: strings.Join(found, " | "), status: RecordFail, explanation: "The token differs from this domain's token; copy the value again."}
	}
	return checkResult{current: strings.Join(txts, " | "), status: RecordMissing, explanation: "TXT records exist at " + r.Name + ", but none holds the verification token."}
}

func checkSPF(ctx context.Context, dns DNSLookup, r *DNSRecord, t spfTargets) checkResult {
	txts, err := dns.LookupTXT(ctx, r.Name)
	if err != nil && !errors.Is(err, ErrNoRecords) {
		return couldNotCheck(err)
	}
	records := spfRecords(txts)
	switch len(records) {
	case 0:
		return checkResult{status: RecordMissing, explanation: "No SPF record on " + r.Name + ". Publish the value below."}
	case 1:
	default:
		return checkResult{current: strings.Join(records, " | "), status: RecordFail,
			explanation: fmt.Sprintf("%d SPF records found; RFC 7208 makes receivers treat that as an error. Merge them into one.", len(records))}
	}
	current := records[0]
	if t.include != "" {
		check := &spfCheck{ctx: ctx, dns: dns, includes: map[string]bool{}}
		switch check.walkIncludes(r.Name) {
		case spfTempError:
			return couldNotCheck(errors.New(check.why))
		case spfPermError:
			return checkResult{current: current, status: RecordFail, explanation: "The SPF record is invalid: " + check.why + "."}
		}
		if !check.includes[strings.ToLower(t.include)] {
			return checkResult{current: current, status: RecordFail, explanation: "Does not include " + t.include + ". Add include:" + t.include + " to this record."}
		}
		return checkResult{current: current, status: RecordPass, explanation: "Includes " + t.include + "."}
	}
	ips, err := t.addresses(ctx, dns)
	if errors.Is(err, ErrNoRecords) {
		return checkResult{current: current, status: RecordUnknown, explanation: "Could not check: " + t.host + " (this server) has no address records to compare with."}
	}
	if err != nil {
		return couldNotCheck(err)
	}
	for _, ip := range ips {
		check := &spfCheck{ctx: ctx, dns: dns}
		switch res := check.checkHost(ip, r.Name); res {
		case spfPass:
		case spfTempError:
			return couldNotCheck(errors.New(check.why))
		case spfPermError:
			return checkResult{current: current, status: RecordFail, explanation: "The SPF record is invalid: " + check.why + "."}
		default:
			return checkResult{current: current, status: RecordFail, explanation: fmt.Sprintf(
				"Does not authorise %s (the result is %s). Add %s to this record rather than publishing a second one.", ip, res, spfTerm(ip))}
		}
	}
	return checkResult{current: current, status: RecordPass, explanation: "Authorises every address Sesame sends from."}
}

func spfTerm(ip net.IP) string {
	if ip.To4() != nil {
		return "ip4:" + ip.String()
	}
	return "ip6:" + ip.String()
}

// dkimTags parses a DKIM key record (RFC 6376 3.6.1): tag=value pairs, with
// whitespace inside values (the record may have been folded) removed.
func dkimTags(record string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		tags[strings.ToLower(strings.TrimSpace(k))] = strings.Join(strings.Fields(v), "")
	}
	return tags
}

func checkDKIM(ctx context.Context, dns DNSLookup, r *DNSRecord) checkResult {
	txts, err := dns.LookupTXT(ctx, r.Name)
	if errors.Is(err, ErrNoRecords) {
		return checkResult{status: RecordMissing, explanation: "No TXT record at " + r.Name + ". Publish the key below."}
	}
	if err != nil {
		return couldNotCheck(err)
	}
	key := r.DKIMKey
	var keyRecords []string
	for _, t := range txts {
		tags := dkimTags(t)
		if _, hasKey := tags["p"]; !hasKey {
			continue
		}
		keyRecords = append(keyRecords, t)
		if tags["p"] != key.PublicKey {
			continue
		}
		if alg := strings.ToLower(tags["k"]); alg != "" && alg != string(key.Algorithm) || alg == "" && key.Algorithm != DKIMRSA {
			return checkResult{current: t, status: RecordFail, explanation: "The key matches but k= says " + tags["k"] + "; it must be k=" + string(key.Algorithm) + "."}
		}
		return checkResult{current: t, status: RecordPass, explanation: "The published key matches selector " + key.Selector + "."}
	}
	switch len(keyRecords) {
	case 0:
		return checkResult{current: strings.Join(txts, " | "), status: RecordMissing, explanation: "The TXT record at " + r.Name + " holds no DKIM key (no p= tag)."}
	case 1:
		if dkimTags(keyRecords[0])["p"] == "" {
			return checkResult{current: keyRecords[0], status: RecordFail, explanation: "p= is empty, which revokes the key. Publish the value below."}
		}
		return checkResult{current: keyRecords[0], status: RecordFail, explanation: "The published key differs from Sesame's key for selector " + key.Selector + " (an old key, or a copy error)."}
	default:
		return checkResult{current: strings.Join(keyRecords, " | "), status: RecordFail, explanation: fmt.Sprintf("%d DKIM records at %s and none holds Sesame's key; keep only the value below.", len(keyRecords), r.Name)}
	}
}

var dmarcPolicies = map[string]bool{"none": true, "quarantine": true, "reject": true}

func checkDMARC(ctx context.Context, dns DNSLookup, r *DNSRecord) checkResult {
	txts, err := dns.LookupTXT(ctx, r.Name)
	if err != nil && !errors.Is(err, ErrNoRecords) {
		return couldNotCheck(err)
	}
	var records []string
	for _, t := range txts {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=dmarc1") {
			records = append(records, t)
		}
	}
	switch len(records) {
	case 0:
		return checkResult{status: RecordWarning, explanation: "No DMARC record. Not required to send, but mailbox providers expect one: start with p=none."}
	case 1:
	default:
		return checkResult{current: strings.Join(records, " | "), status: RecordFail, explanation: fmt.Sprintf("%d DMARC records; receivers then ignore DMARC (RFC 7489). Keep one.", len(records))}
	}
	rec := records[0]
	tags := map[string]string{}
	for i, part := range strings.Split(rec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return checkResult{current: rec, status: RecordFail, explanation: fmt.Sprintf("Tag %q has no value.", part)}
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if i == 0 && (k != "v" || v != "DMARC1") {
			return checkResult{current: rec, status: RecordFail, explanation: "The record must start with v=DMARC1."}
		}
		tags[k] = v
	}
	p, ok := tags["p"]
	if !ok {
		return checkResult{current: rec, status: RecordFail, explanation: "The p= tag (policy) is missing."}
	}
	if !dmarcPolicies[strings.ToLower(p)] {
		return checkResult{current: rec, status: RecordFail, explanation: "p=" + p + " is not a policy; use none, quarantine or reject."}
	}
	if sp, ok := tags["sp"]; ok && !dmarcPolicies[strings.ToLower(sp)] {
		return checkResult{current: rec, status: RecordFail, explanation: "sp=" + sp + " is not a policy; use none, quarantine or reject."}
	}
	for _, uriTag := range []string{"rua", "ruf"} {
		if v, ok := tags[uriTag]; ok {
			for _, uri := range strings.Split(v, ",") {
				if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(uri)), "mailto:") {
					return checkResult{current: rec, status: RecordFail, explanation: uriTag + "= must list mailto: addresses."}
				}
			}
		}
	}
	if strings.EqualFold(p, "none") {
		return checkResult{current: rec, status: RecordPass, explanation: "Valid, in monitoring mode (p=none): tighten it once reports look clean."}
	}
	return checkResult{current: rec, status: RecordPass, explanation: "Valid, with policy " + strings.ToLower(p) + "."}
}

func checkReturnPath(ctx context.Context, dns DNSLookup, r *DNSRecord, bounceHost string) checkResult {
	want := strings.ToLower(strings.TrimSuffix(bounceHost, "."))
	mxs, err := dns.LookupMX(ctx, r.Name)
	if errors.Is(err, ErrNoRecords) {
		return checkResult{status: RecordWarning, explanation: "No MX record for " + r.Name + ": bounces will not reach Sesame, and the envelope sender will not align for SPF."}
	}
	if err != nil {
		return couldNotCheck(err)
	}
	var hosts []string
	for _, mx := range mxs {
		host := strings.ToLower(strings.TrimSuffix(mx.Host, "."))
		hosts = append(hosts, fmt.Sprintf("%d %s", mx.Pref, host))
		if host == want {
			return checkResult{current: strings.Join(hosts, ", "), status: RecordPass, explanation: "Bounces for " + r.Name + " reach Sesame."}
		}
	}
	return checkResult{current: strings.Join(hosts, ", "), status: RecordFail, explanation: "The MX points elsewhere; it must name " + want + " so bounces reach Sesame."}
}
