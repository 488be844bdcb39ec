package patch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNumEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"1", "1.0", true},
		{"1", "10e-1", true},
		{"100", "1E2", true},
		{"100", "1e+2", true},
		{"0", "-0.000", true},
		{"0", "0e99", true},
		{"1.50", "1.5", true},
		{"-2", "-2.00", true},
		{"1", "-1", false},
		{"1", "1.0000000000000000000000001", false},
		{"12345678901234567890", "12345678901234567891", false},
		{"1e999999999", "1e999999999", true},
		{"1e999999999", "1e999999998", false},
		{"1e99999999999999999999", "1e99999999999999999998", false}, // exponent too big to read: compared as text
		{"2", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"="+tt.b, func(t *testing.T) {
			if got := numEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("numEqual(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := numEqual(tt.b, tt.a); got != tt.want {
				t.Errorf("numEqual(%s, %s) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestJSONEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, a, b string
		want       bool
	}{
		{"member order", `{"a":1,"b":[1,{"c":null}]}`, `{"b":[1.0,{"c":null}],"a":1}`, true},
		{"missing member", `{"a":1,"b":null}`, `{"a":1,"c":null}`, false},
		{"extra member", `{"a":1}`, `{"a":1,"b":1}`, false},
		{"array order", `{"a":[1,2]}`, `{"a":[2,1]}`, false},
		{"array length", `{"a":[1]}`, `{"a":[1,1]}`, false},
		{"string and number", `{"a":"1"}`, `{"a":1}`, false},
		{"bool", `{"a":true}`, `{"a":false}`, false},
		{"null and false", `{"a":null}`, `{"a":false}`, false},
		{"object and array", `{"a":{}}`, `{"a":[]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonEqual(tree(t, tt.a), tree(t, tt.b)); got != tt.want {
				t.Errorf("jsonEqual = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"nothing to do", `{"a":1,"b":[{"c":"d"}]}`, `{"a":1,"b":[{"c":"d"}]}`},
		{"empty list and object", `{"a":[],"b":{},"c":1}`, `{"c":1}`},
		{"null member", `{"a":null,"c":false}`, `{"c":false}`},
		{"recursively", `{"a":[{"b":[{}],"c":{"d":[]}}],"e":""}`, `{"e":""}`},
		{"empty objects leave lists", `{"a":[{},{"x":1},{"y":{}}]}`, `{"a":[{"x":1}]}`},
		{"nulls hold places in primitive lists", `{"given":[null,"b"],"_given":[{"id":"a"},null]}`, `{"given":[null,"b"],"_given":[{"id":"a"},null]}`},
		{"emptied companion entries become null", `{"given":["a","b"],"_given":[{"extension":[]},{"id":"b"}]}`, `{"given":["a","b"],"_given":[null,{"id":"b"}]}`},
		{"an all-null companion goes", `{"given":["a","b"],"_given":[{},null]}`, `{"given":["a","b"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tree(t, tt.in)
			prune(got)
			if diff := cmp.Diff(tree(t, tt.want), got); diff != "" {
				t.Errorf("prune (-want +got):\n%s", diff)
			}
		})
	}
}
