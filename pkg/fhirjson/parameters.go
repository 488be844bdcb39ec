package fhirjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// google/fhir/go v0.7.4 holds Parameters.parameter.resource as a protobuf
// Any and its decoder cannot fill one: every Parameters carrying a resource
// (a FHIRPath Patch adding a contained resource, an operation's input) would
// be refused. So the resources are taken out, each validated on its own,
// the rest of the Parameters validated without them, and the parsed
// resources packed into their Any fields.

// isParameters reports a body whose resourceType is Parameters.
func isParameters(data []byte) bool {
	if !bytes.Contains(data, []byte(`"Parameters"`)) {
		return false
	}
	var head struct{ ResourceType string }
	return json.Unmarshal(data, &head) == nil && head.ResourceType == "Parameters"
}

// heldResource is a resource taken out of a Parameters.
type heldResource struct {
	path  string // FHIRPath of the element holding it: Parameters.parameter[0].part[1].resource
	index []int  // parameter index, then part indexes
	body  []byte
}

func parseParameters(data []byte) (*Resource, error) {
	issues, _ := lint(data, "Parameters") // on the whole body: duplicates hide once decoded
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, &ValidationError{Issues: []Issue{{Code: "structure", Message: "invalid JSON: " + err.Error()}}}
	}
	var held []heldResource
	params, _ := tree["parameter"].([]any)
	for i, p := range params {
		held = holdResources(p, "Parameters.parameter["+strconv.Itoa(i)+"]", []int{i}, held)
	}
	if len(held) == 0 {
		if len(issues) > 0 {
			return nil, &ValidationError{Issues: issues}
		}
		return parse(data)
	}
	stripped, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("fhirjson.Parse: %w", err)
	}
	res, err := parse(stripped)
	if err != nil {
		ve, ok := err.(*ValidationError)
		if !ok {
			return nil, err
		}
		issues = append(issues, ve.Issues...)
	}
	for _, h := range held {
		inner, err := Parse(h.body)
		if err != nil {
			ve, ok := err.(*ValidationError)
			if !ok {
				return nil, err
			}
			for _, is := range ve.Issues {
				is.Path = rebase(is.Path, h.path)
				issues = append(issues, is)
			}
			continue
		}
		if res != nil {
			if err := res.setParameterResource(h.index, inner); err != nil {
				return nil, err
			}
		}
	}
	if len(issues) > 0 {
		return nil, &ValidationError{Issues: issues}
	}
	return res, nil
}

// holdResources takes the resource out of a parameter and its parts.
func holdResources(p any, path string, index []int, held []heldResource) []heldResource {
	m, ok := p.(map[string]any)
	if !ok {
		return held
	}
	if r, ok := m["resource"]; ok {
		if body, err := json.Marshal(r); err == nil {
			held = append(held, heldResource{path: path + ".resource", index: index, body: body})
			delete(m, "resource")
		}
	}
	parts, _ := m["part"].([]any)
	for j, part := range parts {
		held = holdResources(part, path+".part["+strconv.Itoa(j)+"]", append(append([]int(nil), index...), j), held)
	}
	return held
}

// rebase moves an issue path from a resource's root ("Patient.name[0]") to
// where the resource sits (".../resource.name[0]").
func rebase(path, at string) string {
	if path == "" {
		return at
	}
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return at + path[i:]
	}
	return at
}

// setParameterResource packs a parsed resource into the Any of the
// parameter (and parts) that index names.
func (r *Resource) setParameterResource(index []int, inner *Resource) error {
	msg := r.inner
	field := "parameter"
	for _, i := range index {
		list := msg.Get(msg.Descriptor().Fields().ByName(protoreflect.Name(field))).List()
		if i >= list.Len() {
			return fmt.Errorf("fhirjson.Parse: parameter index %d out of range", i)
		}
		msg = list.Get(i).Message()
		field = "part"
	}
	packed, err := anypb.New(inner.contained)
	if err != nil {
		return fmt.Errorf("fhirjson.Parse: %w", err)
	}
	msg.Set(msg.Descriptor().Fields().ByName("resource"), protoreflect.ValueOfMessage(packed.ProtoReflect()))
	return nil
}
