package queue

// Rate is a share: Part out of Whole.
type Rate struct{ Part, Whole int64 }

// Known reports whether there is anything to take a share of.
func (r Rate) Known() bool { return r.Whole > 0 }

// Fraction is Part/Whole, 0 when unknown.
func (r Rate) Fraction() float64 {
	if r.Whole == 0 {
		return 0
	}
	return float64(r.Part) / float64(r.Whole)
}

// The rates of a rollup, as the dashboard and Tencent's statistics define
// them: what reached a receiver is judged against what was accepted for
// delivery, what people did against what was delivered.
func (r StatsRow) DeliveryRate() Rate    { return Rate{r.Delivered, r.Accepted} }
func (r StatsRow) BounceRate() Rate      { return Rate{r.Bounced, r.Accepted} }
func (r StatsRow) OpenRate() Rate        { return Rate{r.Opened, r.Delivered} }
func (r StatsRow) ClickRate() Rate       { return Rate{r.Clicked, r.Delivered} }
func (r StatsRow) UnsubscribeRate() Rate { return Rate{r.Unsubscribed, r.Delivered} }
func (r StatsRow) ComplaintRate() Rate   { return Rate{r.Complained, r.Delivered} }

// atLeast reports a known rate at or above limit. The limit is compared
// with a hair of tolerance: 5 of 100 is at 5%, though 0.05 has no exact
// binary form and a limit parsed from "0.1%" is not 1/1000 to the bit.
func (r Rate) atLeast(limit float64) bool {
	return r.Known() && r.Fraction() >= limit*(1-1e-9)
}

// ReputationLimits are the bounce and complaint rates (fractions) at which
// mailbox providers start to distrust a sender.
type ReputationLimits struct {
	BounceRate    float64
	ComplaintRate float64
}

// DefaultWarnLimits are the rates at which the dashboard warns: those at
// which AWS SES puts an account under review.
var DefaultWarnLimits = ReputationLimits{BounceRate: 0.05, ComplaintRate: 0.001}

// ReputationKind names what a warning is about.
type ReputationKind string

const (
	ReputationBounces    ReputationKind = "bounce"
	ReputationComplaints ReputationKind = "complaint"
)

// ReputationWarning is a rate at or above its limit.
type ReputationWarning struct {
	Kind  ReputationKind
	Rate  Rate
	Limit float64
}

// Check lists the rates of t at or above the limits.
func (l ReputationLimits) Check(t StatsRow) []ReputationWarning {
	var out []ReputationWarning
	if r := t.BounceRate(); r.atLeast(l.BounceRate) {
		out = append(out, ReputationWarning{Kind: ReputationBounces, Rate: r, Limit: l.BounceRate})
	}
	if r := t.ComplaintRate(); r.atLeast(l.ComplaintRate) {
		out = append(out, ReputationWarning{Kind: ReputationComplaints, Rate: r, Limit: l.ComplaintRate})
	}
	return out
}
