package outgoing

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// Attachment is a file sent with a message (API sends only).
type Attachment struct {
	FileName    string `json:"name"`
	ContentType string `json:"type"`
	Data        []byte `json:"data"`
}

// EncodeAttachments stores attachments in a message content row.
func EncodeAttachments(atts []Attachment) string {
	if len(atts) == 0 {
		return ""
	}
	b, _ := json.Marshal(atts)
	return string(b)
}

// ErrHeaderInjection is a header value with a line break: refused, never
// passed through, since it would let the value add headers of its own.
var ErrHeaderInjection = errors.New("a header value contains a line break")

// dkimHeaders are the fields every signature covers. Absent ones are signed
// as absent, so nobody can add them in transit.
var dkimHeaders = []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "List-Unsubscribe", "List-Unsubscribe-Post"}

// Outgoing is everything needed to build one recipient's message.
type Outgoing struct {
	Message  *queue.Message
	Content  *queue.MessageContent
	Template *Template // the content compiled; nil for raw submissions
	Domain   string    // the sender's domain, signing domain and Message-ID host
	Keys     []identity.SigningKey
}

// Built is a message ready for the wire.
type Built struct {
	Data    []byte
	Subject string

	buf  *bytes.Buffer // Data's storage, when it can serve the next message
	pool *sync.Pool
}

// Release hands the message's memory back for another message to be built
// in; Data must not be used after. A Built never released is simply
// collected: releasing saves allocating, zeroing and collecting a buffer
// the size of a message for every message.
func (b *Built) Release() {
	if b.buf != nil {
		b.pool.Put(b.buf)
		b.buf, b.Data = nil, nil
	}
}

// Builder turns queued messages into signed MIME.
type Builder struct {
	links   *Links
	buffers sync.Pool // of *bytes.Buffer, see Built.Release
}

// NewBuilder builds messages whose links point at links' public URL.
func NewBuilder(links *Links) *Builder { return &Builder{links: links} }

func checkHeaderValue(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return ErrHeaderInjection
	}
	return nil
}

// Unsigned rebuilds a queued message as it is sent, without its DKIM
// signatures, for the console to show.
func (b *Builder) Unsigned(m *queue.Message, c *queue.MessageContent, domain string) (*Built, error) {
	o := &Outgoing{Message: m, Content: c, Domain: domain}
	if c.Raw == nil {
		t, err := Compile(c.Subject, c.HTML, c.Text)
		if err != nil {
			return nil, err
		}
		o.Template = t
	}
	return b.Build(o)
}

// Build renders, assembles and signs one message.
func (b *Builder) Build(o *Outgoing) (*Built, error) {
	body := b.buffer()
	// Room for a raw submission and the header added to it: one allocation
	// instead of a doubling series (writeAlternative sizes built messages).
	body.Grow(len(o.Content.Raw) + 4096)
	var (
		subject string
		err     error
	)
	if o.Content.Raw != nil {
		subject, err = b.writeRaw(body, o)
	} else {
		subject, err = b.writeMIME(body, o)
	}
	if err != nil {
		return nil, err
	}
	if body.Len() > content.MaxMessageBytes {
		return nil, ErrMessageTooLarge
	}
	if len(o.Keys) == 0 {
		return &Built{Data: body.Bytes(), Subject: subject, buf: body, pool: &b.buffers}, nil
	}
	sigs, err := signatures(body.Bytes(), o.Domain, o.Keys)
	if err != nil {
		b.buffers.Put(body)
		return nil, err
	}
	signed := b.buffer()
	signed.Grow(len(sigs) + body.Len())
	signed.Write(sigs)
	signed.Write(body.Bytes())
	b.buffers.Put(body)
	return &Built{Data: signed.Bytes(), Subject: subject, buf: signed, pool: &b.buffers}, nil
}

// buffer is an empty buffer from the pool, or a new one.
func (b *Builder) buffer() *bytes.Buffer {
	buf, _ := b.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		return new(bytes.Buffer)
	}
	buf.Reset()
	return buf
}

// Variables are what fills the placeholders of t for a message: its
// recipient's values, and the content's defaults for those that are empty
// or missing, names matched as models.FillVariables matches them.
func Variables(m *queue.Message, c *queue.MessageContent, t *Template) (map[string]string, error) {
	vars, err := models.ParseVariables(m.Variables)
	if err != nil {
		return nil, fmt.Errorf("stored variables: %w", err)
	}
	var defaults map[string]string
	if c.VariableDefaults != "" {
		if defaults, err = models.ParseVariables(c.VariableDefaults); err != nil {
			return nil, fmt.Errorf("stored defaults: %w", err)
		}
	}
	models.FillVariables(vars, t.Variables(), defaults)
	return vars, nil
}

func (b *Builder) writeMIME(w *bytes.Buffer, o *Outgoing) (string, error) {
	m, c := o.Message, o.Content
	vars, err := Variables(m, c, o.Template)
	if err != nil {
		return "", err
	}
	unsubscribe := b.links.UnsubscribeURL(m.UID)
	vars[models.UnsubscribeVariable] = unsubscribe
	rendered, err := o.Template.Render(vars)
	if err != nil {
		return "", err
	}
	if rendered.HTML != "" && c.TrackClicks {
		rendered.HTML = rewriteLinks(rendered.HTML, func(target string) string { return b.links.ClickURL(m.UID, target) }, unsubscribe)
	}
	if rendered.HTML != "" && c.TrackOpens {
		rendered.HTML = appendBeforeBodyEnd(rendered.HTML, pixelTag(b.links.OpenURL(m.UID)))
	}
	// The footer link is added only to a template that has no
	// {{unsubscribe_url}} of its own: the author's link is enough.
	if footer := unsubscribeFooter(c.Unsubscribe); footer != nil && !slices.Contains(o.Template.Variables(), models.UnsubscribeVariable) {
		if !strings.Contains(rendered.Text, unsubscribe) {
			rendered.Text += "\r\n\r\n" + footer.text + ": " + unsubscribe + "\r\n"
		}
		if rendered.HTML != "" && !strings.Contains(rendered.HTML, html.EscapeString(unsubscribe)) {
			rendered.HTML = appendBeforeBodyEnd(rendered.HTML, `<p style="font-size:12px;color:#666">`+
				`<a href="`+unsubscribe+`">`+footer.text+`</a></p>`)
		}
	}
	for _, v := range []string{m.FromName, c.ReplyTo, c.HeaderTo, c.HeaderCc} {
		if err := checkHeaderValue(v); err != nil {
			return "", err
		}
	}

	var h mail.Header
	h.SetAddressList("From", []*mail.Address{{Name: m.FromName, Address: m.FromEmail}})
	if c.HeaderTo != "" {
		h.Set("To", c.HeaderTo)
	} else {
		h.SetAddressList("To", []*mail.Address{{Address: m.Recipient}})
	}
	if c.HeaderCc != "" {
		h.Set("Cc", c.HeaderCc)
	}
	if c.ReplyTo != "" {
		h.Set("Reply-To", c.ReplyTo)
	}
	h.SetSubject(rendered.Subject)
	h.SetDate(m.CreatedAt) // the same on every retry, like the Message-ID
	h.SetMessageID(MessageID(m.UID, o.Domain))
	h.Set("MIME-Version", "1.0")
	h.Set("List-Unsubscribe", "<"+unsubscribe+">")
	h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	if c.ExtraHeaders != "" {
		var extra map[string]string
		if err := json.Unmarshal([]byte(c.ExtraHeaders), &extra); err != nil {
			return "", fmt.Errorf("stored headers: %w", err)
		}
		for k, v := range extra {
			if err := checkHeaderValue(k + v); err != nil {
				return "", err
			}
			h.Set(k, v)
		}
	}

	var atts []Attachment
	if c.Attachments != "" {
		if err := json.Unmarshal([]byte(c.Attachments), &atts); err != nil {
			return "", fmt.Errorf("stored attachments: %w", err)
		}
	}
	if len(atts) == 0 {
		return rendered.Subject, writeAlternative(w, h, rendered)
	}
	mw, err := mail.CreateWriter(w, h)
	if err != nil {
		return "", err
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return "", err
	}
	if err := writeParts(iw, rendered); err != nil {
		return "", err
	}
	for _, a := range atts {
		var ah mail.AttachmentHeader
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(fileExt(a.FileName))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		ah.Set("Content-Type", ct)
		ah.SetFilename(a.FileName)
		ah.Set("Content-Transfer-Encoding", "base64")
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return "", err
		}
		if _, err := aw.Write(a.Data); err != nil {
			return "", err
		}
		if err := aw.Close(); err != nil {
			return "", err
		}
	}
	return rendered.Subject, mw.Close()
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// writeAlternative writes a message without attachments: text and HTML as
// multipart/alternative, or a single text part. It lays the parts out
// itself, quoted-printable encoded straight into the message's buffer:
// go-message's part writers went through the encoder a byte at a time, on
// every message. The header is still go-message's, folded and encoded.
func writeAlternative(w *bytes.Buffer, h mail.Header, r *Message) error {
	// Room for the header and the parts with quoted-printable's escapes and
	// soft breaks (a quarter more covers HTML's "=3D"s): one allocation.
	w.Grow((len(r.Text)+len(r.HTML))*5/4 + 4096)
	if r.HTML == "" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		if err := textproto.WriteHeader(w, h.Header.Header); err != nil {
			return err
		}
		w.Write(appendQP(w.AvailableBuffer(), r.Text))
		return nil
	}
	var random [30]byte
	if _, err := rand.Read(random[:]); err != nil {
		return err
	}
	boundary := hex.EncodeToString(random[:]) // hex never looks like quoted-printable's "=" lines
	h.SetContentType("multipart/alternative", map[string]string{"boundary": boundary})
	if err := textproto.WriteHeader(w, h.Header.Header); err != nil {
		return err
	}
	for _, p := range []struct{ ct, body string }{{"text/plain; charset=utf-8", r.Text}, {"text/html; charset=utf-8", r.HTML}} {
		w.WriteString("--" + boundary + "\r\nContent-Type: " + p.ct + "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		w.Write(appendQP(w.AvailableBuffer(), p.body))
		w.WriteString("\r\n")
	}
	w.WriteString("--" + boundary + "--\r\n")
	return nil
}

func writeParts(iw *mail.InlineWriter, r *Message) error {
	parts := []struct{ ct, body string }{{"text/plain; charset=utf-8", r.Text}}
	if r.HTML != "" {
		parts = append(parts, struct{ ct, body string }{"text/html; charset=utf-8", r.HTML})
	}
	for _, p := range parts {
		var ph mail.InlineHeader
		ph.Set("Content-Type", p.ct)
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := iw.CreatePart(ph)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return iw.Close()
}

// writeRaw passes an SMTP submission through, adding the Message-ID and Date
// it lacks and removing a Bcc header, as Postfix's cleanup does: every
// recipient gets the same header, and blind copies must stay blind.
func (b *Builder) writeRaw(w io.Writer, o *Outgoing) (string, error) {
	ent, err := message.Read(bytes.NewReader(o.Content.Raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return "", fmt.Errorf("stored submission: %w", err)
	}
	h := mail.Header{Header: ent.Header}
	h.Del("Bcc")
	if id, _ := h.MessageID(); id == "" {
		h.SetMessageID(MessageID(o.Message.UID, o.Domain))
	}
	if !h.Has("Date") {
		h.SetDate(o.Message.CreatedAt)
	}
	subject, _ := h.Subject()
	if err := writeHeader(w, h); err != nil {
		return "", err
	}
	// The body as submitted, byte for byte.
	raw := o.Content.Raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		_, err = w.Write(raw[i+4:])
	}
	return subject, err
}

func writeHeader(w io.Writer, h mail.Header) error {
	var buf bytes.Buffer
	fields := h.Fields()
	for fields.Next() {
		raw, err := fields.Raw()
		if err != nil {
			return err
		}
		buf.Write(raw)
	}
	buf.WriteString("\r\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// Headline is a message's subject and Message-ID (without brackets) as
// they were sent, without building the message: what a webhook callback
// says about it. A submission keeps its own Message-ID if it had one.
func Headline(m *queue.Message, c *queue.MessageContent) (subject, messageID string, err error) {
	domain := models.DomainOf(m.FromEmail)
	if c.Raw != nil {
		ent, err := message.Read(bytes.NewReader(c.Raw))
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return "", "", fmt.Errorf("stored submission: %w", err)
		}
		h := mail.Header{Header: ent.Header}
		subject, _ = h.Subject()
		if id, _ := h.MessageID(); id != "" {
			return subject, id, nil
		}
		return subject, MessageID(m.UID, domain), nil
	}
	t, err := Compile(c.Subject, "", "")
	if err != nil {
		return "", "", err
	}
	vars, err := Variables(m, c, t)
	if err != nil {
		return "", "", err
	}
	return t.Subject(vars), MessageID(m.UID, domain), nil
}
