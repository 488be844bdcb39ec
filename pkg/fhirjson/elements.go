package fhirjson

import (
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"

	r4pb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
)

// ElementInfo describes the element at path, a dotted element path without
// indexes rooted at a resource type ("Patient.name.given",
// "Observation.value"). repeated reports a list (max > 1); choice reports a
// choice-type element ([x]), which JSON names with its type appended
// ("valueQuantity"). known is false when path names no R4 element.
// Patch formats need this: adding the first identifier makes a list, adding
// a deceased flag makes "deceasedBoolean".
func ElementInfo(path string) (repeated, choice, known bool) {
	parts := strings.Split(path, ".")
	md, ok := resourceDescriptors()[parts[0]]
	if !ok {
		return false, false, false
	}
	if len(parts) == 1 {
		return false, false, true
	}
	for i, name := range parts[1:] {
		fd := md.Fields().ByJSONName(name)
		if fd == nil {
			return false, false, false
		}
		if i == len(parts)-2 {
			return fd.IsList(), isChoice(fd), true
		}
		if fd.Kind() != protoreflect.MessageKind || isChoice(fd) {
			return false, false, false
		}
		md = fd.Message()
	}
	return false, false, false
}

// isChoice reports a field whose message is google/fhir's wrapper of a
// choice type: a message holding one oneof named "choice".
func isChoice(fd protoreflect.FieldDescriptor) bool {
	if fd.Kind() != protoreflect.MessageKind {
		return false
	}
	oneofs := fd.Message().Oneofs()
	return oneofs.Len() == 1 && oneofs.Get(0).Name() == "choice"
}

var (
	descriptorsOnce sync.Once
	descriptors     map[string]protoreflect.MessageDescriptor
)

// resourceDescriptors maps each R4 resource type to its message, read off
// the ContainedResource oneof, which lists every resource.
func resourceDescriptors() map[string]protoreflect.MessageDescriptor {
	descriptorsOnce.Do(func() {
		descriptors = map[string]protoreflect.MessageDescriptor{}
		fields := (&r4pb.ContainedResource{}).ProtoReflect().Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			if md := fields.Get(i).Message(); md != nil {
				descriptors[string(md.Name())] = md
			}
		}
	})
	return descriptors
}
