package fhirjson

import (
	"bytes"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// uriKeys holds every JSON member name that can carry a uri, url or canonical
// in R4 (system, url, profile, valueUri, ...), computed once from the protos.
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
			f := fields.Get(j)
			if f.Kind() != protoreflect.MessageKind {
				continue
			}
			if _, ok := uriTypes[f.Message().FullName()]; ok {
				keys[f.JSONName()] = true
			}
		}
		collectURIKeys(md.Messages(), keys)
	}
}

// mayHaveBadURI reports whether some string under a key that can be a uri
// contains white space. It over-approximates (it does not know the types),
// so a true answer sends the resource through the exact proto walk; false,
// the common case, proves there is nothing to find. data is valid JSON.
func mayHaveBadURI(data []byte) bool {
	keys := uriKeys()
	type container struct {
		key    []byte // the member name the container is the value of
		object bool
	}
	var stack []container
	var key []byte // the member name of the value being read
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			stack = append(stack, container{key, c == '{'})
			expectKey = c == '{'
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			top := stack[len(stack)-1]
			key, expectKey = top.key, top.object
		case '"':
			end, hasSpace := scanString(data, i+1)
			if expectKey {
				key, expectKey = data[i+1:end], false
			} else if hasSpace && isURIKey(keys, key) {
				return true
			}
			i = end
		}
	}
	return false
}

// scanString finds the closing quote of a string starting at i and whether
// the string holds white space (raw or escaped).
func scanString(data []byte, i int) (end int, hasSpace bool) {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			if i+1 < len(data) && strings.IndexByte("tnrfu", data[i+1]) >= 0 {
				hasSpace = true // \t \n \r \f, and \u escapes may be spaces
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
