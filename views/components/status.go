package components

import "github.com/sesame-email/sesame/models"

// recordStatus maps a DNS check result to its badge class and words.
func recordStatus(s models.RecordStatus) (string, string) {
	switch s {
	case models.RecordPass:
		return "status-good", "Verified"
	case models.RecordFail:
		return "status-bad", "Wrong value"
	case models.RecordMissing:
		return "status-bad", "Not found"
	case models.RecordWarning:
		return "status-warn", "Advised"
	case models.RecordUnknown:
		return "status-warn", "Could not check"
	default:
		return "status-muted", "Not checked yet"
	}
}
