package fhirjson

import (
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	apb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
)

// uriTypes are the R4 primitives whose spec regex is \S*: no whitespace at
// all. google/fhir/go v0.7.4 only checks that they parse as URLs, which a
// value with spaces does.
var uriTypes = map[protoreflect.FullName]string{
	"google.fhir.r4.core.Uri":       "uri",
	"google.fhir.r4.core.Url":       "url",
	"google.fhir.r4.core.Canonical": "canonical",
}

// mayHoldURI caches, per message type, whether a uri, url or canonical can
// occur anywhere below it, so the walk skips the many subtrees that cannot.
var mayHoldURI sync.Map // protoreflect.FullName → bool

func holdsURI(md protoreflect.MessageDescriptor) bool {
	if v, ok := mayHoldURI.Load(md.FullName()); ok {
		return v.(bool)
	}
	mayHoldURI.Store(md.FullName(), true) // provisional answer for recursive types
	found := false
	if _, isURI := uriTypes[md.FullName()]; isURI || md.FullName() == "google.protobuf.Any" {
		found = true
	}
	fields := md.Fields()
	for i := 0; i < fields.Len() && !found; i++ {
		if f := fields.Get(i); f.Kind() == protoreflect.MessageKind {
			found = holdsURI(f.Message())
		}
	}
	mayHoldURI.Store(md.FullName(), found)
	return found
}

// checkPrimitives walks a parsed resource for primitive values the decoder
// let through but the R4 spec forbids, reporting each at its FHIRPath.
func checkPrimitives(msg protoreflect.Message, path string) []Issue {
	var issues []Issue
	if kind, ok := uriTypes[msg.Descriptor().FullName()]; ok {
		v := msg.Get(msg.Descriptor().Fields().ByName("value")).String()
		if strings.ContainsAny(v, " \t\r\n\f\v") {
			issues = append(issues, Issue{Code: "value", Path: path, Message: "invalid " + kind + ": it must not contain white space"})
		}
		return issues
	}
	if a, ok := msg.Interface().(*anypb.Any); ok { // R4 protos hold contained resources as Any
		inner, err := a.UnmarshalNew()
		if err != nil {
			return nil // the decoder made this Any; it cannot fail to unpack
		}
		return checkPrimitives(inner.ProtoReflect(), path)
	}
	// Choice types and contained-resource wrappers are invisible in FHIRPath:
	// value[x] is "value", contained[0] holds the resource itself.
	transparent := proto.GetExtension(msg.Descriptor().Options(), apb.E_IsChoiceType).(bool) ||
		msg.Descriptor().Name() == "ContainedResource"
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || !holdsURI(fd.Message()) {
			return true
		}
		child := path
		if !transparent {
			child = path + "." + fd.JSONName()
		}
		if fd.IsList() {
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				issues = append(issues, checkPrimitives(list.Get(i).Message(), child+"["+strconv.Itoa(i)+"]")...)
			}
			return true
		}
		issues = append(issues, checkPrimitives(v.Message(), child)...)
		return true
	})
	return issues
}
