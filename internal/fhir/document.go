package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Document is a resource as a generic JSON tree, decoded once per write: the
// server stamps id and meta on it, finds its references in it and renders the
// bytes to store from it. (Re-rendering through google/fhir/go's protos cost
// three times as much for the same bytes.)
type Document struct {
	tree map[string]any
}

// ParseDocument decodes resource JSON that has already been validated.
// Numbers keep their literal text, so 1.50 stays 1.50.
func ParseDocument(body []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("fhir.ParseDocument: %w", err)
	}
	return &Document{tree: tree}, nil
}

// DocumentOf wraps a resource tree built in code, to render it the way
// stored resources are rendered (resourceType first).
func DocumentOf(tree map[string]any) *Document { return &Document{tree: tree} }

// Type is resourceType.
func (d *Document) Type() string { s, _ := d.tree["resourceType"].(string); return s }

// ID is the resource id, "" when absent.
func (d *Document) ID() string { s, _ := d.tree["id"].(string); return s }

// SetID sets the resource id.
func (d *Document) SetID(id string) { d.tree["id"] = id }

// SetVersion sets meta.versionId and meta.lastUpdated, keeping the rest of meta.
func (d *Document) SetVersion(version int64, lastUpdated time.Time) {
	meta, _ := d.tree["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		d.tree["meta"] = meta
	}
	meta["versionId"] = strconv.FormatInt(version, 10)
	meta["lastUpdated"] = Instant(lastUpdated)
}

// References lists the document's literal references; see References.
func (d *Document) References(base string) []Ref { return References(d.Type(), d.tree, base) }

// Tree exposes the decoded tree to readers such as search indexing. Callers
// must not modify it.
func (d *Document) Tree() map[string]any { return d.tree }

// Marshal renders compact JSON: resourceType, id and meta first, then the
// other elements in name order; nested objects in name order.
func (d *Document) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(4096)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // narrative XHTML stays readable
	keys := make([]string, 0, len(d.tree))
	for k := range d.tree {
		switch k {
		case "resourceType", "id", "meta":
		default:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	buf.WriteByte('{')
	n := 0
	for _, k := range append([]string{"resourceType", "id", "meta"}, keys...) {
		v, ok := d.tree[k]
		if !ok {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(strconv.Quote(k))
		buf.WriteByte(':')
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("fhir.Document.Marshal: %w", err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
