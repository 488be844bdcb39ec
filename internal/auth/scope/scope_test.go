package scope

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"system/*.read":                                "system/*.rs",
		"system/Task.write":                            "system/Task.cud",
		"system/Patient.*":                             "system/Patient.cruds",
		"system/Observation.rs?category=laboratory":    "system/Observation.rs?category=laboratory",
		"user/Task.cu patient/Patient.r":               "user/Task.cu patient/Patient.r",
		"openid fhirUser system/Task.s launch/patient": "system/Task.s openid fhirUser launch/patient",
		"": "",
	} {
		set, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := set.String(); got != want {
			t.Errorf("Parse(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"system/Task.sr", "system/Task.rr", "system/Task.x", "system/Task.", "system/.rs",
		"system/task.rs", "system/Ta-sk.rs", "system/Task.rs?", "system/Task"} {
		if _, err := Parse("system/*.rs " + in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("Parse(%q) = %v, want an error naming it", in, err)
		}
	}
}

func TestAllows(t *testing.T) {
	set := MustParse("system/Task.rs system/Patient.cruds system/Observation.rs?category=laboratory patient/*.cruds")
	cases := []struct {
		typ  string
		perm Permission
		want bool
	}{
		{"Task", Read, true}, {"Task", Search, true}, {"Task", Read | Search, true}, {"Task", Update, false},
		{"Patient", Delete, true}, {"Observation", Read, false}, {"CarePlan", Read, false},
	}
	for _, c := range cases {
		if got := set.Allows(c.typ, c.perm); got != c.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", c.typ, c.perm, got, c.want)
		}
	}
	if r := set.Restrictions("Observation", Search); len(r) != 1 || r[0].Get("category") != "laboratory" {
		t.Errorf("Restrictions(Observation, s) = %v", r)
	}
	if MustParse("system/*.read").Allows("Task", Create) || !MustParse("system/*.write").Allows("Task", Delete) {
		t.Error("v1 aliases")
	}
}

func TestIntersect(t *testing.T) {
	for _, c := range []struct{ requested, registered, want string }{
		{"system/*.rs", "system/Task.cruds system/Patient.r", "system/Task.rs system/Patient.r"},
		{"system/Task.cruds", "system/*.rs", "system/Task.rs"},
		{"system/Observation.rs", "system/Observation.rs?category=laboratory", "system/Observation.rs?category=laboratory"},
		{"system/Observation.rs?category=vital-signs", "system/Observation.rs?category=laboratory", ""},
		{"system/Task.c", "system/Task.rs", ""},
		{"patient/*.rs", "system/*.rs", ""},
		{"openid system/Task.r fhirUser", "fhirUser system/*.*", "system/Task.r fhirUser"},
	} {
		got := Intersect(MustParse(c.requested), MustParse(c.registered)).String()
		if got != c.want {
			t.Errorf("Intersect(%q, %q) = %q, want %q", c.requested, c.registered, got, c.want)
		}
	}
}
