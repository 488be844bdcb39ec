package fhir

// Present reports whether a value of a decoded resource tree carries
// anything: not absent, not null, not an empty string, object or array.
// Business rules ask this of elements ("does the Task have an owner?").
func Present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case map[string]any:
		for _, e := range x {
			if Present(e) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if Present(e) {
				return true
			}
		}
		return false
	}
	return true
}
