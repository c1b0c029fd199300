package views

import (
	"html"
	"strings"
)

// TemplateCheck is what the editor shows beside the form: the variables,
// syntax errors and lint warnings, and the subject and text rendered with
// the sample data.
type TemplateCheck struct {
	Variables []string
	Missing   []string // used in the template, absent from the sample data
	Errors    []string
	Warnings  []string
	Rendered  bool
	Subject   string
	Text      string
}

// PartLabel names a template field for messages.
func PartLabel(field string) string {
	switch field {
	case "html":
		return "HTML"
	case "text":
		return "Text"
	case "sample_data":
		return "Sample data"
	default:
		return "Subject"
	}
}

// PreviewMessage is the preview frame's document when there is nothing to
// show. It is served under the preview's own policy, which allows inline
// styles.
func PreviewMessage(msg string) string {
	return `<!DOCTYPE html><html><body style="font:15px system-ui,sans-serif;color:#64748b;padding:1.5rem">` +
		html.EscapeString(msg) + `</body></html>`
}

// PreviewText shows a text-only template in the preview frame.
func PreviewText(text string) string {
	return `<!DOCTYPE html><html><body><pre style="font:14px ui-monospace,monospace;white-space:pre-wrap;padding:1rem">` +
		html.EscapeString(strings.TrimSpace(text)) + `</pre></body></html>`
}
