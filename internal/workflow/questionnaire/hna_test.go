package questionnaire

import (
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// The HNA and its code system are published as R4 resources, so they must
// pass the same validation the server applies to anything it stores.
func TestHNAFilesAreR4(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, path, typ, id string
	}{
		{"questionnaire", hnaFile, "Questionnaire", "holistic-needs-assessment"},
		{"code system", codeSystemFile, "CodeSystem", "hna-concern"},
		{"sample response", "testdata/hna-response-completed.json", "QuestionnaireResponse", "hna-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := fhirjson.Parse(readFile(t, tt.path))
			var ve *fhirjson.ValidationError
			if errors.As(err, &ve) {
				t.Fatalf("%s is not valid R4: %v", tt.path, ve.Issues)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Type() + "/" + res.ID(); got != tt.typ+"/"+tt.id {
				t.Errorf("resource = %s, want %s/%s", got, tt.typ, tt.id)
			}
		})
	}
}

// TestHNAShape pins the structure Extract and the forms built on the HNA
// rely on: metadata, the distress score, seven areas of 4-8 concerns, and in
// each concern a yes/no question and a 0-10 rating shown only after "yes".
func TestHNAShape(t *testing.T) {
	t.Parallel()
	q := load(t, hnaFile)
	for key, want := range map[string]string{"id": "holistic-needs-assessment", "url": HNAURL, "version": "1.0.0",
		"status": "active", "publisher": "sharedcare", "name": "HolisticNeedsAssessment"} {
		if got := str(q, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if diff := cmp.Diff([]any{"Patient"}, q["subjectType"]); diff != "" {
		t.Errorf("subjectType (-want +got):\n%s", diff)
	}
	bounds := []any{
		map[string]any{"url": minValueURL, "valueInteger": jsonNum(0)},
		map[string]any{"url": maxValueURL, "valueInteger": jsonNum(10)},
	}
	top := map[string]map[string]any{}
	var domains []string
	for _, it := range children(q) {
		top[str(it, "linkId")] = it
		if str(it, "type") == "group" {
			domains = append(domains, str(it, "linkId"))
		}
	}
	if diff := cmp.Diff([]string{"physical", "emotional", "practical", "family", "spiritual", "lifestyle", "information"}, domains); diff != "" {
		t.Errorf("areas (-want +got):\n%s", diff)
	}
	distress := top["distress"]
	if str(distress, "type") != "integer" || distress["required"] != true || !cmp.Equal(bounds, distress["extension"]) {
		t.Errorf("distress item = %v, want a required integer bounded 0-10", distress)
	}
	if other := top["other"]; str(other, "type") != "text" || other["maxLength"] == nil || other["required"] != nil {
		t.Errorf("other item = %v, want an optional text with a maxLength", other)
	}
	seen := map[string]bool{}
	linkPattern := regexp.MustCompile(`^[a-z]+(\.[a-z-]+(\.(selected|rating))?)?$|^[a-z]+\.other$`)
	var walk func(items []map[string]any)
	walk = func(items []map[string]any) {
		for _, it := range items {
			link := str(it, "linkId")
			if seen[link] || !linkPattern.MatchString(link) {
				t.Errorf("linkId %q is repeated or not of the form area.concern.question", link)
			}
			seen[link] = true
			walk(children(it))
		}
	}
	walk(children(q))
	for _, d := range domains {
		group := top[d]
		if c := codeOf(group); c != ConcernSystem+"|"+d {
			t.Errorf("area %s is coded %s", d, c)
		}
		concerns := 0
		for _, c := range children(group) {
			link := str(c, "linkId")
			if link == d+".other" {
				continue
			}
			concerns++
			code := str(firstCoding(c), "code")
			if want := d + "." + code; link != want || codeOf(c) != ConcernSystem+"|"+code {
				t.Errorf("concern %s: linkId and code %s disagree", link, codeOf(c))
			}
			want := []map[string]any{
				{"linkId": link + ".selected", "text": "Is this a concern for you?", "type": "boolean"},
				{"linkId": link + ".rating", "text": children(c)[1]["text"], "type": "integer", "extension": bounds,
					"enableWhen": []any{map[string]any{"question": link + ".selected", "operator": "=", "answerBoolean": true}}},
			}
			if diff := cmp.Diff(want, children(c)); diff != "" {
				t.Errorf("concern %s questions (-want +got):\n%s", link, diff)
			}
		}
		if concerns < 4 || concerns > 8 {
			t.Errorf("area %s has %d concerns, want 4-8", d, concerns)
		}
	}
}

// Every code the HNA uses is defined, with the same display, in the code
// system, and the code system defines nothing the HNA does not ask about.
func TestHNAMatchesCodeSystem(t *testing.T) {
	t.Parallel()
	q, cs := load(t, hnaFile), load(t, codeSystemFile)
	if str(cs, "url") != ConcernSystem || cs["caseSensitive"] != true || str(cs, "content") != "complete" {
		t.Errorf("code system url, caseSensitive, content = %v, %v, %v", cs["url"], cs["caseSensitive"], cs["content"])
	}
	defined := map[string]string{} // "parent>code" -> display
	var concepts func(list any, parent string)
	concepts = func(list any, parent string) {
		l, _ := list.([]any)
		for _, r := range l {
			c, _ := r.(map[string]any)
			if str(c, "definition") == "" {
				t.Errorf("concept %s has no definition", str(c, "code"))
			}
			defined[parent+">"+str(c, "code")] = str(c, "display")
			concepts(c["concept"], str(c, "code"))
		}
	}
	concepts(cs["concept"], "")
	if n, _ := integer(cs["count"]); n != len(defined) {
		t.Errorf("count = %v, want %d", cs["count"], len(defined))
	}
	used := map[string]string{}
	for _, area := range children(q) {
		if area["code"] == nil {
			continue
		}
		used[">"+str(firstCoding(area), "code")] = str(firstCoding(area), "display")
		for _, c := range children(area) {
			if c["code"] != nil {
				used[str(firstCoding(area), "code")+">"+str(firstCoding(c), "code")] = str(firstCoding(c), "display")
			}
		}
	}
	if diff := cmp.Diff(defined, used); diff != "" {
		t.Errorf("codes in the code system (-) and the questionnaire (+) differ:\n%s", diff)
	}
}

func TestHNASampleResponseConforms(t *testing.T) {
	t.Parallel()
	q, qr := load(t, hnaFile), load(t, "testdata/hna-response-completed.json")
	if issues := Validate(q, qr); issues != nil {
		t.Errorf("Validate = %v, want no issues", issues)
	}
	// Without the required distress score the same response must not pass.
	qr["item"] = qr["item"].([]any)[1:]
	if issues := Validate(q, qr); len(issues) != 1 || issues[0].Code != "required" {
		t.Errorf("Validate without distress = %v, want one required issue", issues)
	}
}

func firstCoding(item map[string]any) map[string]any {
	codes, _ := item["code"].([]any)
	if len(codes) == 0 {
		return nil
	}
	c, _ := codes[0].(map[string]any)
	return c
}

func codeOf(item map[string]any) string {
	codes, _ := item["code"].([]any)
	if len(codes) != 1 {
		return fmt.Sprintf("%d codes", len(codes))
	}
	c := firstCoding(item)
	return str(c, "system") + "|" + str(c, "code")
}
