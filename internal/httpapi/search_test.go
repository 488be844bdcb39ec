package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// matches lists the ids of a searchset's match entries, and checks the
// Bundle's shape.
func matches(t *testing.T, b map[string]any) []string {
	t.Helper()
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" {
		t.Fatalf("not a searchset Bundle: %.300v", b)
	}
	ids := []string{}
	es, _ := b["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		if e["search"].(map[string]any)["mode"] != "match" {
			continue
		}
		res := e["resource"].(map[string]any)
		if !strings.HasSuffix(e["fullUrl"].(string), "/"+res["resourceType"].(string)+"/"+res["id"].(string)) {
			t.Errorf("fullUrl %v does not name the resource", e["fullUrl"])
		}
		ids = append(ids, res["id"].(string))
	}
	return ids
}

func TestSearchHTTP(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Organization/gp1", `{"resourceType":"Organization","id":"gp1","name":"Valley Surgery"}`).mustStatus(t, 201)
		s.do("PUT", "/Organization/onc", `{"resourceType":"Organization","id":"onc","name":"Oncology"}`).mustStatus(t, 201)
		s.do("PUT", "/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Jones"}],
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],"generalPractitioner":[{"reference":"Organization/gp1"}]}`).mustStatus(t, 201)
		s.do("PUT", "/CarePlan/cp1", `{"resourceType":"CarePlan","id":"cp1","status":"active","intent":"plan","subject":{"reference":"Patient/p1"}}`).mustStatus(t, 201)
		for i, st := range []string{"requested", "accepted", "completed", "requested"} {
			owner := "gp1"
			if i == 3 {
				owner = "onc"
			}
			s.do("PUT", fmt.Sprintf("/Task/t%d", i), fmt.Sprintf(`{"resourceType":"Task","id":"t%d","status":"%s","intent":"order",
				"owner":{"reference":"Organization/%s"},"for":{"reference":"Patient/p1"},"basedOn":[{"reference":"CarePlan/cp1"}]}`, i, st, owner)).mustStatus(t, 201)
		}
		tests := []struct {
			query string
			want  []string
		}{
			{"/Task?owner=Organization/gp1&status=requested,accepted&_sort=-_lastUpdated", []string{"t1", "t0"}},
			{"/Task?owner=" + url.QueryEscape(s.url+"/Organization/gp1") + "&status=requested", []string{"t0"}},
			{"/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000009"), []string{"p1"}},
			{"/CarePlan?subject=Patient/p1&status=active", []string{"cp1"}},
			{"/Task?based-on=CarePlan/cp1&_sort=_id", []string{"t0", "t1", "t2", "t3"}},
			{"/Task?status:not=completed&_sort=_id", []string{"t0", "t1", "t3"}},
			{"/Patient?name=jon", []string{"p1"}},
			{"/Patient?name=smith", []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				b := s.do("GET", tt.query, "").mustStatus(t, http.StatusOK).json(t)
				if diff := cmp.Diff(tt.want, matches(t, b)); diff != "" {
					t.Errorf("matches (-want +got):\n%s", diff)
				}
				if b["total"] != float64(len(tt.want)) {
					t.Errorf("total = %v, want %d", b["total"], len(tt.want))
				}
			})
		}

		// POST _search with a form body.
		r := s.do("POST", "/Task/_search", "status=requested&owner=Organization/gp1", "Content-Type", "application/x-www-form-urlencoded").mustStatus(t, 200)
		if diff := cmp.Diff([]string{"t0"}, matches(t, r.json(t))); diff != "" {
			t.Errorf("_search (-want +got):\n%s", diff)
		}
		s.do("POST", "/Task/_search", `{"status":"x"}`).mustStatus(t, http.StatusUnsupportedMediaType)

		// Paging follows next links and sees every match once.
		var seen []string
		next := "/Task?_count=1"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			b := s.do("GET", next, "").mustStatus(t, 200).json(t)
			seen = append(seen, matches(t, b)...)
			next = strings.TrimPrefix(link(b, "next"), s.url)
			// Others write between pages: no match may repeat or go missing.
			s.do("PUT", fmt.Sprintf("/Task/new%d", pages), fmt.Sprintf(`{"resourceType":"Task","id":"new%d","status":"draft","intent":"order"}`, pages)).mustStatus(t, 201)
			s.do("PUT", "/Task/t2", `{"resourceType":"Task","id":"t2","status":"completed","intent":"order","owner":{"reference":"Organization/gp1"},"for":{"reference":"Patient/p1"},"basedOn":[{"reference":"CarePlan/cp1"}]}`).mustStatus(t, 200)
		}
		sort.Strings(seen)
		if diff := cmp.Diff([]string{"t0", "t1", "t2", "t3"}, seen); diff != "" {
			t.Errorf("paged (-want +got):\n%s", diff)
		}

		// _summary=count, _elements and _total=none.
		b := s.do("GET", "/Task?_summary=count", "").mustStatus(t, 200).json(t)
		if b["total"] != float64(8) || b["entry"] != nil { // t0-t3 and the four written while paging
			t.Errorf("_summary=count: total %v, entry %v", b["total"], b["entry"])
		}
		b = s.do("GET", "/Task?_id=t0&_elements=status", "").mustStatus(t, 200).json(t)
		res := b["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if res["status"] != "requested" || res["owner"] != nil {
			t.Errorf("_elements=status entry: %v", res)
		}
		if b = s.do("GET", "/Task?_total=none", "").mustStatus(t, 200).json(t); b["total"] != nil {
			t.Errorf("_total=none gave total %v", b["total"])
		}

		// Unknown parameters: ignored and reported, or refused when strict.
		b = s.do("GET", "/Task?colour=blue&status=requested", "").mustStatus(t, 200).json(t)
		es := b["entry"].([]any)
		last := es[len(es)-1].(map[string]any)
		if last["search"].(map[string]any)["mode"] != "outcome" || !strings.Contains(fmt.Sprint(last["resource"]), "colour") {
			t.Errorf("ignored parameter not reported: %v", last)
		}
		s.do("GET", "/Task?colour=blue", "", "Prefer", "handling=strict").mustStatus(t, 400).outcome(t)

		// Malformed values name the parameter.
		for _, q := range []string{"/Task?authored-on=yesterday", "/Task?status:exact=x", "/Observation?value-quantity=lots",
			"/Task?_count=-1", "/Task?_sort=based-on", "/Task?_sort=nonsense", "/Observation?code-value-quantity=http://loinc.org|718-7", "/Task?owner=a/b/c", "/Patient?birthdate:missing=maybe"} {
			r := s.do("GET", q, "")
			if r.status != 400 {
				t.Errorf("%s: status %d, want 400", q, r.status)
				continue
			}
			_, _ = r.outcome(t)
		}
	})
}

func TestCapabilityStatementSearchParams(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		cs := s.do("GET", "/metadata", "").json(t)
		var taskParams []string
		for _, res := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			res := res.(map[string]any)
			if res["type"] == "CarePlan" && !strings.Contains(fmt.Sprint(res["searchRevInclude"]), "Task:based-on") {
				t.Errorf("CarePlan searchRevInclude lacks Task:based-on: %v", res["searchRevInclude"])
			}
			if res["type"] != "Task" {
				continue
			}
			if !strings.Contains(fmt.Sprint(res["searchInclude"]), "Task:owner") {
				t.Errorf("Task searchInclude lacks Task:owner: %v", res["searchInclude"])
			}
			for _, p := range res["searchParam"].([]any) {
				p := p.(map[string]any)
				taskParams = append(taskParams, p["name"].(string))
				if p["type"] == nil || p["definition"] == nil {
					t.Errorf("searchParam without type or definition: %v", p)
				}
			}
		}
		for _, want := range []string{"owner", "status", "requester", "patient", "focus", "based-on", "_id", "_lastUpdated", "_tag"} {
			found := false
			for _, p := range taskParams {
				found = found || p == want
			}
			if !found {
				t.Errorf("Task searchParam %s not listed (have %v)", want, taskParams)
			}
		}
	})
}

// entriesByMode lists "mode Type/id" for every entry of a searchset.
func entriesByMode(t *testing.T, b map[string]any) []string {
	t.Helper()
	out := []string{}
	es, _ := b["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		res := e["resource"].(map[string]any)
		id, _ := res["id"].(string)
		out = append(out, e["search"].(map[string]any)["mode"].(string)+" "+res["resourceType"].(string)+"/"+id)
	}
	return out
}

func TestSearchIncludes(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Organization/gp1", `{"resourceType":"Organization","id":"gp1","name":"Valley Surgery"}`).mustStatus(t, 201)
		s.do("PUT", "/Patient/p1", `{"resourceType":"Patient","id":"p1","generalPractitioner":[{"reference":"Organization/gp1"}]}`).mustStatus(t, 201)
		s.do("PUT", "/CarePlan/cp1", `{"resourceType":"CarePlan","id":"cp1","status":"active","intent":"plan","subject":{"reference":"Patient/p1"}}`).mustStatus(t, 201)
		s.do("PUT", "/CarePlan/cp2", `{"resourceType":"CarePlan","id":"cp2","status":"draft","intent":"plan","subject":{"reference":"Patient/p1"}}`).mustStatus(t, 201)
		for i := 0; i < 2; i++ {
			s.do("PUT", fmt.Sprintf("/Task/t%d", i), fmt.Sprintf(`{"resourceType":"Task","id":"t%d","status":"requested","intent":"order",
				"owner":{"reference":"Organization/gp1"},"for":{"reference":"Patient/p1"},"basedOn":[{"reference":"CarePlan/cp1"}]}`, i)).mustStatus(t, 201)
		}
		s.do("PUT", "/Task/t9", `{"resourceType":"Task","id":"t9","status":"requested","intent":"order","basedOn":[{"reference":"CarePlan/cp2"}]}`).mustStatus(t, 201)
		tests := []struct {
			query string
			want  []string
		}{
			{"/CarePlan?subject=Patient/p1&status=active&_revinclude=Task:based-on",
				[]string{"match CarePlan/cp1", "include Task/t0", "include Task/t1"}},
			{"/Task?_id=t0&_include=Task:owner", []string{"match Task/t0", "include Organization/gp1"}},
			{"/Task?_id=t0&_include=Task:owner:Organization", []string{"match Task/t0", "include Organization/gp1"}},
			{"/Task?_id=t0,t1&_include=Task:patient", []string{"match Task/t0", "match Task/t1", "include Patient/p1"}},
			{"/Task?_id=t0&_include=*", []string{"match Task/t0", "include CarePlan/cp1", "include Organization/gp1", "include Patient/p1"}},
			{"/Task?_id=t0&_include=Task:patient&_include:iterate=Patient:general-practitioner",
				[]string{"match Task/t0", "include Patient/p1", "include Organization/gp1"}},
			{"/Task?_id=t0&_include=Task:patient&_include=Patient:general-practitioner", // no :iterate: one step only
				[]string{"match Task/t0", "include Patient/p1"}},
			{"/Patient?_id=p1&_revinclude=CarePlan:subject&_revinclude:iterate=Task:based-on",
				[]string{"match Patient/p1", "include CarePlan/cp1", "include CarePlan/cp2", "include Task/t0", "include Task/t1", "include Task/t9"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				b := s.do("GET", tt.query+"&_sort=_id", "").mustStatus(t, 200).json(t)
				if diff := cmp.Diff(tt.want, entriesByMode(t, b)); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
			})
		}
		for _, bad := range []string{"/Task?_include=Task:status", "/Task?_include=Nope", "/Task?_include=Task:owner:Goal", "/Task?_include:deep=Task:owner"} {
			s.do("GET", bad, "").mustStatus(t, 400).outcome(t)
		}
	})
}

func TestSearchChainErrors(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		for _, q := range []string{"/Task?status.name=x", "/Task?_has:Task:status:status=x", "/Task?_has:Task", "/Task?owner.name.family.given.text.x=y"} {
			s.do("GET", q, "").mustStatus(t, 400).outcome(t)
		}
		s.do("GET", "/Task?owner.colour=x", "", "Prefer", "handling=strict").mustStatus(t, 400)
	})
}

func TestCompartmentSearch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Practitioner/d1", `{"resourceType":"Practitioner","id":"d1"}`).mustStatus(t, 201)
		for _, p := range []string{"p1", "p2"} {
			s.do("PUT", "/Patient/"+p, `{"resourceType":"Patient","id":"`+p+`"}`).mustStatus(t, 201)
		}
		plan := func(id, patient, status string) {
			s.do("PUT", "/CarePlan/"+id, fmt.Sprintf(`{"resourceType":"CarePlan","id":"%s","status":"%s","intent":"plan","subject":{"reference":"Patient/%s"}}`,
				id, status, patient)).mustStatus(t, 201)
		}
		plan("a", "p1", "active")
		plan("b", "p1", "completed")
		plan("c", "p2", "active")
		s.do("PUT", "/Communication/m1", `{"resourceType":"Communication","id":"m1","status":"completed","recipient":[{"reference":"Patient/p1"}],"sender":{"reference":"Practitioner/d1"}}`).mustStatus(t, 201)
		tests := []struct {
			path string
			want []string
		}{
			{"/Patient/p1/CarePlan?status=active", []string{"a"}},
			{"/Patient/p1/CarePlan?_sort=_id", []string{"a", "b"}},
			{"/Patient/p2/CarePlan", []string{"c"}},
			{"/Patient/p1/Communication", []string{"m1"}},
			{"/Patient/p2/Communication", []string{}},
			{"/Patient/p1/Patient", []string{"p1"}},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				b := s.do("GET", tt.path, "").mustStatus(t, 200).json(t)
				if diff := cmp.Diff(tt.want, matches(t, b)); diff != "" {
					t.Errorf("matches (-want +got):\n%s", diff)
				}
			})
		}
		s.do("GET", "/Patient/p1/Practitioner", "").mustStatus(t, 404).outcome(t)  // not in the compartment
		s.do("GET", "/Encounter/e1/Observation", "").mustStatus(t, 404).outcome(t) // only the Patient compartment
		s.do("GET", "/Patient/p1/Nonsense", "").mustStatus(t, 404).outcome(t)
	})
}

func TestSystemSearch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/same", `{"resourceType":"Patient","id":"same","meta":{"tag":[{"system":"urn:sc","code":"x"}]}}`).mustStatus(t, 201)
		s.do("PUT", "/Practitioner/same", `{"resourceType":"Practitioner","id":"same","meta":{"tag":[{"system":"urn:sc","code":"x"}]}}`).mustStatus(t, 201)
		s.do("PUT", "/Organization/o", `{"resourceType":"Organization","id":"o"}`).mustStatus(t, 201)
		tests := []struct {
			query string
			want  []string
		}{
			{"?_type=Patient,Practitioner&_tag=urn:sc|x", []string{"match Patient/same", "match Practitioner/same"}},
			{"?_tag=urn:sc|x", []string{"match Patient/same", "match Practitioner/same"}},
			{"?_type=Organization", []string{"match Organization/o"}},
			{"?_id=same&_type=Practitioner", []string{"match Practitioner/same"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				got := entriesByMode(t, s.do("GET", tt.query, "").mustStatus(t, 200).json(t))
				sort.Strings(got)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
			})
		}
		// Paging across types sees every resource once: the three and the
		// Provenance of each one's creation (ids the server's own).
		var seen []string
		next := "?_count=1"
		for pages := 0; next != ""; pages++ {
			if pages > 8 {
				t.Fatal("paging does not end")
			}
			b := s.do("GET", next, "").mustStatus(t, 200).json(t)
			seen = append(seen, entriesByMode(t, b)...)
			next = strings.TrimPrefix(link(b, "next"), s.url)
		}
		for i, e := range seen {
			if strings.HasPrefix(e, "match Provenance/") {
				seen[i] = "match Provenance"
			}
		}
		sort.Strings(seen)
		if diff := cmp.Diff([]string{"match Organization/o", "match Patient/same", "match Practitioner/same",
			"match Provenance", "match Provenance", "match Provenance"}, seen); diff != "" {
			t.Errorf("paged (-want +got):\n%s", diff)
		}
		s.do("GET", "?_type=Medication", "").mustStatus(t, 404).outcome(t)
		s.do("GET", "?status=active", "", "Prefer", "handling=strict").mustStatus(t, 400) // not common to all types
	})
}

func TestSearchPageLinks(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		for i := 0; i < 5; i++ {
			s.do("PUT", fmt.Sprintf("/Goal/g%d", i), fmt.Sprintf(`{"resourceType":"Goal","id":"g%d","lifecycleStatus":"active","description":{"text":"walk"},"subject":{"display":"x"}}`, i)).mustStatus(t, 201)
		}
		page1 := s.do("GET", "/Goal?_count=2", "").mustStatus(t, 200).json(t)
		if link(page1, "previous") != "" || link(page1, "first") != "" {
			t.Errorf("page 1 has previous/first links: %v", page1["link"])
		}
		page2 := s.do("GET", strings.TrimPrefix(link(page1, "next"), s.url), "").mustStatus(t, 200).json(t)
		if diff := cmp.Diff([]string{"g2", "g3"}, matches(t, page2)); diff != "" {
			t.Errorf("page 2 (-want +got):\n%s", diff)
		}
		back := s.do("GET", strings.TrimPrefix(link(page2, "previous"), s.url), "").mustStatus(t, 200).json(t)
		if diff := cmp.Diff([]string{"g0", "g1"}, matches(t, back)); diff != "" {
			t.Errorf("previous of page 2 (-want +got):\n%s", diff)
		}
		first := s.do("GET", strings.TrimPrefix(link(page2, "first"), s.url), "").mustStatus(t, 200).json(t)
		if diff := cmp.Diff([]string{"g0", "g1"}, matches(t, first)); diff != "" {
			t.Errorf("first (-want +got):\n%s", diff)
		}
		s.do("GET", "/Goal?_count=2&_cursor=%3Cgarbage", "").mustStatus(t, 400).outcome(t)
	})
}
