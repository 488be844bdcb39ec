package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// subsettedTag marks a resource returned with elements left out (_summary,
// _elements), as the spec requires.
const subsettedTag = `{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"SUBSETTED","display":"Subsetted"}`

// Subset keeps resourceType, id, meta and the top-level elements keep
// accepts, and tags meta as SUBSETTED. keep is asked JSON member names
// (valueQuantity); a primitive's "_name" twin follows its value.
func Subset(body []byte, keep func(element string) bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("fhir.Subset: %w", err)
	}
	var out bytes.Buffer
	out.WriteByte('{')
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("fhir.Subset: %w", err)
		}
		name := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("fhir.Subset: %w", err)
		}
		if name == "meta" {
			val = tagSubsetted(val)
		} else if name != "resourceType" && name != "id" && !keep(strings.TrimPrefix(name, "_")) {
			continue
		}
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		fmt.Fprintf(&out, "%q:", name)
		out.Write(val)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// tagSubsetted adds the SUBSETTED tag to a meta object.
func tagSubsetted(meta json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(meta, &m) != nil {
		return meta
	}
	var tags []json.RawMessage
	_ = json.Unmarshal(m["tag"], &tags)
	tags = append(tags, json.RawMessage(subsettedTag))
	b, err := json.Marshal(tags)
	if err != nil {
		return meta
	}
	m["tag"] = b
	b, err = json.Marshal(m)
	if err != nil {
		return meta
	}
	return b
}
