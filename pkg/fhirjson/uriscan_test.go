package fhirjson

import "testing"

func TestMayHaveBadURI(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{"resourceType":"Patient","name":[{"text":"Ann Jones"}]}`, false},
		{`{"resourceType":"Patient","identifier":[{"system":"has space","value":"a b"}]}`, true},
		{`{"resourceType":"Patient","identifier":[{"value":"a b","system":"http://x"}]}`, false},
		{`{"meta":{"profile":["http://a","http://b c"]}}`, true},
		{`{"extension":[{"url":"http://x","valueUri":"a\tb"}]}`, true},
		{`{"extension":[{"url":"http://x","valueString":"a b"}],"text":{"div":"<div>x y</div>"}}`, false},
		{`{"a":{"b":[1,{"c":"d e"}]},"url":"ok"}`, false},
		{`{"a":"x\" y","url":"ok"}`, false},
		{`{"url":"\u0020x"}`, true},
	}
	for _, tt := range tests {
		if got := mayHaveBadURI([]byte(tt.in)); got != tt.want {
			t.Errorf("mayHaveBadURI(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
