package models

// CheckDisplayName checks a From display name given with a send from own
// (as a sender address's is checked) and returns it trimmed.
func CheckDisplayName(name, own string) (string, error) {
	verr := &ValidationError{}
	name = validateDisplayName(name, own, verr)
	return name, verr.OrNil()
}
