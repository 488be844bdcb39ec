package fhirjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Limits bound what a body may cost before anything decodes it. Decoding
// is where the memory goes (google/fhir/go spends about 700 bytes per JSON
// value, the server as much again), so the bounds are checked by one pass
// over the bytes that allocates nothing that grows with the input.
type Limits struct {
	// MaxDepth is the deepest nesting of objects and arrays.
	MaxDepth int
	// MaxArray is the most elements of one array, except a resource's
	// entry list (Bundle.entry), which MaxEntries bounds.
	MaxArray int
	// MaxEntries is the most elements of a resource's entry list.
	MaxEntries int
	// MaxNodes is the most JSON values (objects, arrays, strings, numbers,
	// true, false, null) in the whole body.
	MaxNodes int
	// MaxString is the most bytes of one JSON string as sent, except
	// base64 data (Attachment.data, Binary.data) and narrative XHTML
	// (div), which only the body size bounds.
	MaxString int
}

// DefaultLimits bound one resource; Parse applies them. No real resource of
// the kinds a care record holds comes near them: sharedcare's HNA
// Questionnaire (85 questions in 45 groups) has 1,284 values and no array
// over 10 elements.
var DefaultLimits = Limits{
	MaxDepth:   MaxDepth,
	MaxArray:   1000,
	MaxEntries: 1000,
	MaxNodes:   20000,
	MaxString:  1 << 20,
}

// LimitError reports a body over one of its Limits. Path is the FHIRPath
// where the limit was passed (Patient.name[0].given); Limit names it.
type LimitError struct {
	Limit   string // depth, array, entries, nodes or string
	Max     int
	Path    string
	Message string
}

func (e *LimitError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// limitFrame is one open object or array of the scan.
type limitFrame struct {
	array bool
	key   []byte // objects: the member being read
	index int    // arrays: the element being read
	count int    // arrays: elements seen
	max   int    // arrays: the bound on count
	root  bool   // objects: a resource (the body, a contained or entry resource)
}

// CheckLimits reports the first place data passes one of l's limits as a
// *LimitError, or nil. data need not be valid JSON: what it cannot judge it
// leaves to the decoder.
func CheckLimits(data []byte, l Limits) error {
	stack := make([]limitFrame, 0, 16)
	nodes := 0
	expectKey := false
	// fail builds the error; only a failing body pays for its path.
	fail := func(limit string, max int, format string, args ...any) error {
		return &LimitError{Limit: limit, Max: max, Path: limitPath(data, stack, limit == "array"), Message: fmt.Sprintf(format, args...)}
	}
	// value is called as a value starts; it counts it where it belongs.
	value := func() error {
		nodes++
		if nodes > l.MaxNodes {
			return fail("nodes", l.MaxNodes, "the body has more than %d JSON values", l.MaxNodes)
		}
		if len(stack) > 0 {
			if top := &stack[len(stack)-1]; top.array {
				top.count++
				if top.count > top.max {
					return fail("array", top.max, "the array has more than %d elements", top.max)
				}
			}
		}
		return nil
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if err := value(); err != nil {
				return err
			}
			f := limitFrame{array: c == '['}
			var key []byte
			parentArrayKey := []byte(nil)
			parentRoot := false
			if n := len(stack); n > 0 {
				if top := stack[n-1]; !top.array {
					key, parentRoot = top.key, top.root
				} else if n > 1 && !stack[n-2].array {
					parentArrayKey = stack[n-2].key
				}
			}
			if f.array {
				f.max = l.MaxArray
				if parentRoot && string(key) == "entry" {
					f.max = l.MaxEntries
				}
			} else {
				f.root = len(stack) == 0 || string(key) == "resource" || string(parentArrayKey) == "contained"
			}
			stack = append(stack, f)
			if len(stack) > l.MaxDepth {
				return fail("depth", l.MaxDepth, "JSON nesting deeper than %d levels", l.MaxDepth)
			}
			expectKey = !f.array
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			if len(stack) > 0 {
				if top := &stack[len(stack)-1]; top.array {
					top.index++
				} else {
					expectKey = true
				}
			}
		case '"':
			end, _ := scanString(data, i+1)
			if expectKey && len(stack) > 0 {
				stack[len(stack)-1].key = data[i+1 : end]
				expectKey = false
			} else {
				if err := value(); err != nil {
					return err
				}
				if n := end - i - 1; n > l.MaxString && !unboundedString(stack) {
					return fail("string", l.MaxString, "the string is longer than %d bytes", l.MaxString)
				}
			}
			i = end
		case ' ', '\t', '\r', '\n', ':':
		default: // a number, true, false or null: one value up to the next delimiter
			if err := value(); err != nil {
				return err
			}
			for i+1 < len(data) && bytes.IndexByte([]byte(",]} \t\r\n"), data[i+1]) < 0 {
				i++
			}
		}
	}
	return nil
}

// unboundedString reports a string that only the body size bounds: base64
// data and narrative XHTML.
func unboundedString(stack []limitFrame) bool {
	if len(stack) == 0 || stack[len(stack)-1].array {
		return false
	}
	key := string(stack[len(stack)-1].key)
	return key == "data" || key == "div"
}

// limitPath is the FHIRPath of the value being read when the scan stopped,
// or with whole, of the innermost open container itself.
func limitPath(data []byte, stack []limitFrame, whole bool) string {
	var head struct{ ResourceType string }
	_ = json.Unmarshal(data, &head) // best effort: the type only names the path
	var b strings.Builder
	b.WriteString(head.ResourceType)
	for i, f := range stack {
		last := i == len(stack)-1
		switch {
		case last && whole:
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case f.key != nil:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(f.key)
		}
	}
	return b.String()
}
