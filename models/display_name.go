package models

// CheckDisplayName checks a From display name given with a send (as a
// sender address's is checked) and returns it trimmed.
func CheckDisplayName(name string) (string, error) {
	verr := &ValidationError{}
	name = validateDisplayName(name, verr)
	return name, verr.OrNil()
}
