package components

import "github.com/sesame-email/sesame/models/identity"

// recordStatus maps a DNS check result to its badge class and words.
func recordStatus(s identity.RecordStatus) (string, string) {
	switch s {
	case identity.RecordPass:
		return "status-good", "Verified"
	case identity.RecordFail:
		return "status-bad", "Wrong value"
	case identity.RecordMissing:
		return "status-bad", "Not found"
	case identity.RecordWarning:
		return "status-warn", "Advised"
	case identity.RecordUnknown:
		return "status-warn", "Could not check"
	default:
		return "status-muted", "Not checked yet"
	}
}
