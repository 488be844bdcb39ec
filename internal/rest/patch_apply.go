package rest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/patch"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// applyPatch returns the patched JSON of a resource.
func applyPatch(resource []byte, p Patch) ([]byte, error) {
	switch p.Kind {
	case JSONPatch:
		return patch.JSON(resource, p.Body)
	case FHIRPathPatch:
		if _, err := parse("Parameters", p.Body); err != nil { // a FHIRPath Patch is a valid Parameters resource
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(resource))
		dec.UseNumber()
		var tree map[string]any
		if err := dec.Decode(&tree); err != nil {
			return nil, fmt.Errorf("rest.applyPatch: stored body: %w", err)
		}
		out, err := patch.FHIRPath(tree, p.Body, patch.WithCardinality(func(path string) (bool, bool) {
			repeated, _, known := fhirjson.ElementInfo(path)
			return repeated, known
		}), patch.WithChoice(func(path string) bool {
			_, choice, _ := fhirjson.ElementInfo(path)
			return choice
		}))
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
	return nil, fhirerr.New(fhirerr.UnsupportedMediaType, "not-supported", "", "unknown patch format")
}
