package fhir

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Bundle is a response Bundle whose entry resources are raw stored JSON, so
// building one never parses a resource.
type Bundle struct {
	Type      string // searchset, history, batch-response, transaction-response
	Total     *int
	Links     []Link
	Entries   []Entry
	Timestamp time.Time
}

// Link is Bundle.link.
type Link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// Entry is Bundle.entry. Resource is raw JSON (nil for none).
type Entry struct {
	FullURL  string
	Resource []byte
	Search   *EntrySearch
	Request  *EntryRequest
	Response *EntryResponse
}

// EntrySearch is Bundle.entry.search.
type EntrySearch struct {
	Mode string `json:"mode,omitempty"`
}

// EntryRequest is Bundle.entry.request.
type EntryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// EntryResponse is Bundle.entry.response.
type EntryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
}

// NewID returns a random UUID (version 4) for Bundles and server-assigned ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("fhir.NewID: %v", err)) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Instant renders t as a FHIR instant in UTC with millisecond precision.
func Instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// MarshalJSON renders the Bundle with the entries' resources inlined as stored.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	ts := b.Timestamp
	if ts.IsZero() {
		ts = Now()
	}
	fmt.Fprintf(&buf, `{"resourceType":"Bundle","id":%q,"meta":{"lastUpdated":%q},"type":%q,"timestamp":%q`,
		NewID(), Instant(ts), b.Type, Instant(ts))
	if b.Total != nil {
		fmt.Fprintf(&buf, `,"total":%d`, *b.Total)
	}
	if len(b.Links) > 0 {
		buf.WriteString(`,"link":`)
		writeJSON(&buf, b.Links)
	}
	if len(b.Entries) > 0 {
		buf.WriteString(`,"entry":[`)
		for i, e := range b.Entries {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.write(&buf)
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (e *Entry) write(buf *bytes.Buffer) {
	buf.WriteByte('{')
	sep := ""
	field := func(name string) {
		buf.WriteString(sep + `"` + name + `":`)
		sep = ","
	}
	if e.FullURL != "" {
		field("fullUrl")
		writeJSON(buf, e.FullURL)
	}
	if len(e.Resource) > 0 {
		field("resource")
		buf.Write(e.Resource)
	}
	if e.Search != nil {
		field("search")
		writeJSON(buf, e.Search)
	}
	if e.Request != nil {
		field("request")
		writeJSON(buf, e.Request)
	}
	if e.Response != nil {
		field("response")
		writeJSON(buf, e.Response)
	}
	buf.WriteByte('}')
}

// writeJSON encodes values whose types cannot fail to marshal.
func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("fhir.writeJSON: %v", err))
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
}
