package fhirjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// lint checks the FHIR JSON rules google/fhir/go v0.7.4 lets through, in one
// pass over the bytes: member names are unique within an object, objects,
// arrays and strings are never empty (json.html: "objects SHALL NOT be
// empty"), contained resources have valid ids, and narrative XHTML is safe. It also reports
// whether some uri-like member holds white space, so the exact (and much
// slower) proto walk of checkPrimitives runs only then. data is valid JSON
// whose top-level object is a resource of type typ.
func lint(data []byte, typ string) (issues []Issue, suspectURI bool) {
	uris := uriKeys()
	type frame struct {
		seg    string // this container's FHIRPath segment: ".name" or "[2]"
		object bool
		index  int      // arrays: the element being read
		keys   [][]byte // objects: member names seen so far
		// contained marks a contained resource: an element of a contained
		// array. google/fhir/go leaves their ids unchecked.
		contained bool
	}
	var stack []frame
	var key []byte // the member name of the value being read
	expectKey := false
	path := func(last string) string {
		var b strings.Builder
		b.WriteString(typ)
		for _, f := range stack[1:] {
			b.WriteString(f.seg)
		}
		b.WriteString(last)
		return b.String()
	}
	here := func() string { // the value being read
		top := stack[len(stack)-1]
		if top.object {
			return path("." + string(key))
		}
		return path("[" + strconv.Itoa(top.index) + "]")
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			seg := ""
			if len(stack) > 0 {
				if top := stack[len(stack)-1]; top.object {
					seg = "." + string(key)
				} else {
					seg = "[" + strconv.Itoa(top.index) + "]"
				}
			}
			if c == '[' && nextNonSpace(data, i+1) == ']' {
				issues = append(issues, Issue{Code: "structure", Path: path(seg), Message: "arrays must not be empty: leave the element out instead"})
			}
			if c == '{' && nextNonSpace(data, i+1) == '}' {
				issues = append(issues, Issue{Code: "structure", Path: path(seg), Message: "objects must not be empty: leave the element out instead"})
			}
			contained := c == '{' && len(stack) > 0 && !stack[len(stack)-1].object && stack[len(stack)-1].seg == ".contained"
			stack = append(stack, frame{seg: seg, object: c == '{', contained: contained})
			expectKey = c == '{'
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			top := &stack[len(stack)-1]
			if top.object {
				expectKey = true
			} else {
				top.index++
			}
		case '"':
			end, hasSpace := scanString(data, i+1)
			raw := data[i+1 : end]
			switch {
			case expectKey:
				top := &stack[len(stack)-1]
				for _, k := range top.keys {
					if bytes.Equal(k, raw) {
						issues = append(issues, Issue{Code: "structure", Path: path("." + string(raw)), Message: "the element appears twice in the same object"})
					}
				}
				top.keys = append(top.keys, raw)
				key, expectKey = raw, false
			case len(raw) == 0:
				issues = append(issues, Issue{Code: "value", Path: here(), Message: "strings must not be empty: leave the element out instead"})
			case string(key) == "id" && stack[len(stack)-1].object && stack[len(stack)-1].contained:
				var id string
				if json.Unmarshal(data[i:end+1], &id) != nil || !ValidID(id) {
					issues = append(issues, Issue{Code: "value", Path: here(), Message: "a contained resource id must be 1-64 of A-Z a-z 0-9 - ."})
				}
			case string(key) == "div":
				var div string
				if err := json.Unmarshal(data[i:end+1], &div); err == nil {
					if msg := checkXHTML(div); msg != "" {
						issues = append(issues, Issue{Code: "value", Path: here(), Message: msg})
					}
				}
			case hasSpace && !suspectURI && isURIKey(uris, key):
				suspectURI = true
			}
			i = end
		}
	}
	return issues, suspectURI
}

func nextNonSpace(data []byte, i int) byte {
	for ; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return data[i]
		}
	}
	return 0
}

// scanString finds the closing quote of a string whose content starts at i,
// and whether the string holds white space (raw, or possibly escaped).
func scanString(data []byte, i int) (end int, hasSpace bool) {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			if i+1 < len(data) && strings.IndexByte("tnrfu", data[i+1]) >= 0 {
				hasSpace = true // \t \n \r \f, and \u escapes that may be spaces
			}
			i++
		case '"':
			return i, hasSpace
		case ' ', '\t', '\n', '\r':
			hasSpace = true
		}
	}
	return len(data), hasSpace
}

// uriKeys holds every JSON member name that can carry a uri, url or canonical
// in R4 (system, url, profile, ...), computed once from the protos.
var uriKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "google.fhir.r4.core") {
			collectURIKeys(fd.Messages(), keys)
		}
		return true
	})
	return keys
})

func collectURIKeys(msgs protoreflect.MessageDescriptors, keys map[string]bool) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		fields := md.Fields()
		for j := 0; j < fields.Len(); j++ {
			if f := fields.Get(j); f.Kind() == protoreflect.MessageKind {
				if _, ok := uriTypes[f.Message().FullName()]; ok {
					keys[f.JSONName()] = true
				}
			}
		}
		collectURIKeys(md.Messages(), keys)
	}
}

// isURIKey: a known uri member, or a choice such as valueUri or valueCanonical.
func isURIKey(keys map[string]bool, key []byte) bool {
	if keys[string(key)] {
		return true
	}
	for _, suffix := range []string{"Uri", "Url", "Canonical"} {
		if bytes.HasSuffix(key, []byte(suffix)) {
			return true
		}
	}
	return false
}
