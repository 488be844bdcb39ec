// Package fhirjson is sharedcare's one wrapper around github.com/google/fhir/go:
// it parses and validates FHIR R4 JSON (structure, primitive formats,
// cardinality, required bindings, reference target types) and renders a
// validated resource back to canonical JSON.
//
// It is importable by integrators and depends on nothing in sharedcare.
package fhirjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	d4pb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
)

// MaxDepth is the deepest JSON nesting Parse accepts. Real resources rarely
// pass 15 levels (Questionnaire items nest deepest); the bound keeps hostile
// input from exhausting the stack of recursive decoders.
const MaxDepth = 64

// Issue is one problem found in a resource. Path is a FHIRPath expression
// such as "Patient.name[0].family"; Code is a FHIR IssueType code
// (structure, value, required, invalid).
type Issue struct {
	Code    string
	Path    string
	Message string
}

// ValidationError lists every issue found in a resource.
type ValidationError struct {
	Issues []Issue
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("; ")
		}
		if is.Path != "" {
			b.WriteString(is.Path + ": ")
		}
		b.WriteString(is.Message)
	}
	return b.String()
}

// Resource is a parsed, validated R4 resource.
type Resource struct {
	contained proto.Message        // the ContainedResource wrapper the marshaller wants
	inner     protoreflect.Message // the resource itself
}

var (
	unmarshaller *jsonformat.Unmarshaller
	marshaller   *jsonformat.Marshaller
)

func init() {
	var err error
	if unmarshaller, err = jsonformat.NewUnmarshaller("UTC", fhirversion.R4); err != nil {
		panic(fmt.Sprintf("fhirjson: %v", err))
	}
	unmarshaller.MaxNestingDepth = MaxDepth
	if marshaller, err = jsonformat.NewMarshaller(false, "", "", fhirversion.R4); err != nil {
		panic(fmt.Sprintf("fhirjson: %v", err))
	}
}

// ValidID reports whether s is a valid FHIR resource id: the R4 id
// datatype, [A-Za-z0-9\-.]{1,64}. A loop, not a regexp: every read and
// write asks, and the regexp cost 2% of a read's CPU.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// Parse parses data as one R4 resource and validates it. A body over
// DefaultLimits is refused unread with a *LimitError; every problem found in
// a resource is returned in a *ValidationError; any other error is a fault
// of this package.
func Parse(data []byte) (*Resource, error) {
	if err := checkShape(data); err != nil {
		return nil, err
	}
	if isParameters(data) {
		return parseParameters(data)
	}
	return parse(data)
}

// parse decodes and validates a resource whose shape checkShape passed.
func parse(data []byte) (*Resource, error) {
	var rep reporter
	msg, err := unmarshaller.UnmarshalWithErrorReporter(data, &rep)
	if err != nil {
		return nil, &ValidationError{Issues: issuesOf(err)}
	}
	if len(rep.issues) > 0 {
		return nil, &ValidationError{Issues: rep.issues}
	}
	cr := msg.ProtoReflect()
	oneof := cr.Descriptor().Oneofs().ByName("oneof_resource")
	fd := cr.WhichOneof(oneof)
	if fd == nil {
		return nil, &ValidationError{Issues: []Issue{{Code: "structure", Message: "no resource found"}}}
	}
	inner := cr.Get(fd).Message()
	typ := string(inner.Descriptor().Name())
	issues, suspectURI := lint(data, typ)
	if suspectURI {
		issues = append(issues, checkPrimitives(inner, typ)...)
	}
	if len(issues) > 0 {
		return nil, &ValidationError{Issues: issues}
	}
	return &Resource{contained: msg, inner: inner}, nil
}

// checkShape rejects what the decoder should never see: a body that is not
// a JSON object, and one over DefaultLimits (a *LimitError; nesting beyond
// any resource's shape is a structure issue instead).
func checkShape(data []byte) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &ValidationError{Issues: []Issue{{Code: "structure", Message: "the body must be a JSON object"}}}
	}
	if err := CheckLimits(trimmed, DefaultLimits); err != nil {
		if le, ok := err.(*LimitError); ok && le.Limit == "depth" {
			return &ValidationError{Issues: []Issue{{Code: "structure", Message: le.Message}}}
		}
		return err
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		return &ValidationError{Issues: []Issue{{Code: "structure", Message: "invalid JSON: " + err.Error()}}}
	}
	return nil
}

// Type returns the resource type, e.g. "Patient".
func (r *Resource) Type() string { return string(r.inner.Descriptor().Name()) }

// ID returns the resource id, or "" when it has none.
func (r *Resource) ID() string {
	id, _ := r.inner.Get(r.field("id")).Message().Interface().(*d4pb.Id)
	return id.GetValue()
}

// SetID sets the resource id.
func (r *Resource) SetID(id string) {
	r.inner.Set(r.field("id"), protoreflect.ValueOfMessage((&d4pb.Id{Value: id}).ProtoReflect()))
}

// SetVersion sets meta.versionId and meta.lastUpdated, keeping the rest of meta.
// lastUpdated is rendered in UTC with millisecond precision.
func (r *Resource) SetVersion(versionID string, lastUpdated time.Time) {
	meta := r.inner.Mutable(r.field("meta")).Message().Interface().(*d4pb.Meta)
	meta.VersionId = &d4pb.Id{Value: versionID}
	meta.LastUpdated = &d4pb.Instant{
		ValueUs:   lastUpdated.UTC().Truncate(time.Millisecond).UnixMicro(),
		Timezone:  "Z",
		Precision: d4pb.Instant_MILLISECOND,
	}
}

func (r *Resource) field(name protoreflect.Name) protoreflect.FieldDescriptor {
	return r.inner.Descriptor().Fields().ByName(name)
}

// Marshal renders the resource as compact R4 JSON with resourceType, id and
// meta first and the other elements in name order.
func (r *Resource) Marshal() ([]byte, error) {
	raw, err := marshaller.Marshal(r.contained)
	if err != nil {
		return nil, fmt.Errorf("fhirjson.Marshal: %w", err)
	}
	return leadWith(raw, "resourceType", "id", "meta")
}

// leadWith moves the named top-level members of a JSON object to the front.
func leadWith(obj []byte, first ...string) ([]byte, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(obj, &members); err != nil {
		return nil, fmt.Errorf("fhirjson.leadWith: %w", err)
	}
	// Marshal sorted the keys already; keep that order for the rest.
	dec := json.NewDecoder(bytes.NewReader(obj))
	order := make([]string, 0, len(members))
	dec.Token() // {
	for dec.More() {
		tok, _ := dec.Token()
		order = append(order, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("fhirjson.leadWith: %w", err)
		}
	}
	out := make([]byte, 0, len(obj)+8)
	out = append(out, '{')
	write := func(k string) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = strconv.AppendQuote(out, k)
		out = append(out, ':')
		out = append(out, members[k]...)
	}
	lead := map[string]bool{}
	for _, k := range first {
		lead[k] = true
		if _, ok := members[k]; ok {
			write(k)
		}
	}
	for _, k := range order {
		if !lead[k] {
			write(k)
		}
	}
	return append(out, '}'), nil
}

// reporter collects the validation issues google/fhir/go reports after decoding.
type reporter struct{ issues []Issue }

func (r *reporter) ReportValidationError(path string, err error) error {
	for _, is := range issuesOf(err) {
		if is.Path == "" {
			is.Path = path
		}
		r.issues = append(r.issues, is)
	}
	return nil
}

// Warnings are not errors: the resource is still accepted.
func (r *reporter) ReportValidationWarning(string, error) error { return nil }

// issuesOf turns a google/fhir/go error into issues. Its error types live in
// an internal package, so the exported Path/Details/Diagnostics fields are read
// by reflection; anything else becomes one issue with the error's text.
func issuesOf(err error) []Issue {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Slice {
		var out []Issue
		for i := 0; i < v.Len(); i++ {
			if e, ok := v.Index(i).Interface().(error); ok {
				out = append(out, issuesOf(e)...)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		s := v.Elem()
		path, details, diag := s.FieldByName("Path"), s.FieldByName("Details"), s.FieldByName("Diagnostics")
		if path.IsValid() && details.IsValid() && diag.IsValid() {
			return []Issue{describe(path.String(), details.String(), diag.String())}
		}
	}
	return []Issue{{Code: "structure", Message: err.Error()}}
}

var quotedName = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_]*)"`)

// describe makes one Issue from google/fhir/go's path, details and diagnostics,
// pointing the path at the offending element where the library names it only
// in the message.
func describe(path, details, diag string) Issue {
	is := Issue{Code: "value", Path: path, Message: details}
	switch {
	case details == "unknown field":
		is.Code = "structure"
		if name, err := strconv.Unquote(diag); err == nil {
			is.Path = joinPath(path, strings.TrimPrefix(name, "_"))
			is.Message = fmt.Sprintf("unknown element %q", name)
		}
	case strings.HasPrefix(details, "missing required field"):
		is.Code = "required"
		if m := quotedName.FindStringSubmatch(details); m != nil {
			is.Path = joinPath(path, m[1])
			is.Message = fmt.Sprintf("missing required element %q", m[1])
		}
	case details == "invalid JSON":
		is.Code = "structure"
		is.Message = "invalid JSON: " + diag
	case strings.Contains(details, "unknown resource type"):
		is.Code = "not-supported"
	case diag != "" && !strings.Contains(details, diag):
		is.Message = details + ": " + diag
	}
	return is
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
