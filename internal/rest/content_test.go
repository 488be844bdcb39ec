package rest

import "testing"

func TestValidNHSNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"9000000009", true}, {"9434765919", true}, {"9434765870", true}, {"4010232137", true},
		{"9000000010", false}, // check digit 9, not 0
		{"9434765918", false},
		{"9000000050", false}, // these nine digits give check digit 10: never issued
		{"943476591", false}, {"94347659190", false}, {"943 476 5919", false}, {"943476591x", false}, {"", false},
		{"٩٤٣٤٧٦٥٩١٩", false}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		if got := ValidNHSNumber(tt.in); got != tt.want {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
