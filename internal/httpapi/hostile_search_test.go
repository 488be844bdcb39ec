package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refused checks a reply is a 4xx OperationOutcome (never a 5xx) whose
// diagnostics name want, when want is not "".
func (r *reply) refused(t *testing.T, what, want string) {
	t.Helper()
	if r.status < 400 || r.status >= 500 {
		t.Errorf("%s: status %d, want 4xx\n%.500s", what, r.status, r.body)
		return
	}
	if diag, _ := r.diagnostics(t); want != "" && !strings.Contains(diag, want) {
		t.Errorf("%s: diagnostics do not name %s:\n%s", what, want, diag)
	}
}

// cursorOf returns the _cursor of a searchset's next link.
func cursorOf(t *testing.T, b map[string]any) string {
	t.Helper()
	u, err := url.Parse(link(b, "next"))
	if err != nil || u.Query().Get("_cursor") == "" {
		t.Fatalf("no next link with a cursor in %.300v", b)
	}
	return u.Query().Get("_cursor")
}

// TestHostileSearchLimits: searches whose cost would grow without bound
// are refused with a 400 naming the limit, identically on both databases;
// searches at the limits still work.
func TestHostileSearchLimits(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.create(`{"resourceType":"Patient","name":[{"family":"Smith"}],"gender":"female","birthDate":"1960-01-01"}`)
		repeat := func(pair string, n int) string { return strings.TrimSuffix(strings.Repeat(pair+"&", n), "&") }
		values := func(n int) string {
			vs := make([]string, n)
			for i := range vs {
				vs[i] = fmt.Sprint("id", i)
			}
			return strings.Join(vs, ",")
		}
		refused := []struct{ path, limit string }{
			{"/Patient?" + repeat("name=smith", 51), "MaxParams"},
			{"/Patient?_id=" + values(5000), "MaxValues"},
			{"/Patient?" + repeat("_id="+values(100), 11), "MaxValues"},
			{"/Patient?" + repeat("_id="+values(30), 40), "MaxValues"},
			{"/?_id=" + values(999), "MaxConditions"}, // one condition per id per type searched
			{"/Patient?_sort=" + strings.TrimSuffix(strings.Repeat("_id,", 1000), ","), "MaxSortKeys"},
			{"/Patient?_sort=_id,_lastUpdated,name,birthdate,gender,-_id", "MaxSortKeys"},
			{"/Patient?_sort=_id,_lastUpdated,name&_sort=birthdate,gender,-_id", "MaxSortKeys"},
			{"/Task?owner.partof.partof.partof.name=x", "MaxChainDepth"},
			{"/Task?" + repeat("owner.name=x", 11), "MaxChains"},
			{"/Patient?_has:Task:patient:_has:Task:part-of:_has:Task:part-of:_has:Task:part-of:status=x", "MaxHasDepth"},
			{"/Patient?" + repeat("_has:Task:patient:status=requested", 6), "MaxHas"},
			{"/Patient?" + repeat("_has:Task:patient:status=requested", 200), "MaxParams"},
			{"/Task?" + repeat("_include=Task:owner", 11), "MaxIncludeParams"},
		}
		for _, c := range refused {
			before := s.rowCounts()
			r := s.do("GET", c.path, "")
			r.mustStatus(t, http.StatusBadRequest)
			r.refused(t, fmt.Sprintf("GET %.80s", c.path), c.limit)
			if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
				t.Errorf("rows changed (-before +after):\n%s", diff)
			}
		}
		// A megabyte of commas in a _search body is counted, not parsed.
		s.do("POST", "/Patient/_search", "_id="+strings.Repeat(",", 1<<20), "Content-Type", "application/x-www-form-urlencoded").
			refused(t, "POST _search with a million commas", "MaxValues")

		// At the limits, searches run.
		for _, path := range []string{
			"/Patient?" + repeat("name=smith", 50),
			"/Patient?_id=" + values(999) + "," + p,
			"/Patient?_sort=_id,_lastUpdated,name,birthdate,gender",
			"/Task?" + repeat("owner.name=x", 10),
			"/Patient?" + repeat("_has:Task:patient:status=requested", 5),
			"/Patient?_has:Task:patient:_has:Task:part-of:_has:Task:part-of:status=x",
			"/Task?owner.partof.partof.name=x",
			"/Patient?_count=100000", // clamped to the largest page, not refused
		} {
			s.do("GET", path, "").mustStatus(t, http.StatusOK)
		}
		b := s.do("GET", "/Patient?_id="+values(999)+","+p, "").mustStatus(t, http.StatusOK).json(t)
		if diff := cmp.Diff([]string{p}, matches(t, b)); diff != "" {
			t.Errorf("1,000 ORed ids (-want +got):\n%s", diff)
		}
	})
}

// TestHostileSearchEdges: :missing on every special parameter, tampered
// cursors and odd values are answered (correctly) or refused with a 4xx,
// never a 5xx.
func TestHostileSearchEdges(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		var ids []string
		for _, family := range []string{"Ash", "Birch", "Cedar"} {
			ids = append(ids, s.create(`{"resourceType":"Patient","name":[{"family":"`+family+`"}]}`))
		}
		// _id and _lastUpdated are on every resource.
		for q, want := range map[string]int{"_id:missing=true": 0, "_id:missing=false": 3,
			"_lastUpdated:missing=true": 0, "_lastUpdated:missing=false": 3, "_id:missing=false&_id=" + ids[0]: 1} {
			b := s.do("GET", "/Patient?"+q, "").mustStatus(t, http.StatusOK).json(t)
			if got := len(matches(t, b)); got != want {
				t.Errorf("/Patient?%s: %d matches, want %d", q, got, want)
			}
		}
		for _, name := range []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_text", "_content",
			"_list", "_has", "_type", "_query", "_filter", "_count", "_sort", "_include", "_revinclude", "_summary", "_elements",
			"_total", "_contained", "_cursor", "identifier", "general-practitioner", "general-practitioner._id", "_has:Task:patient:_id"} {
			for _, v := range []string{"true", "false", "maybe", ""} {
				for _, prefer := range []string{"handling=lenient", "handling=strict"} {
					for _, base := range []string{"/Patient?", "/?_type=Patient&", "/Patient/" + ids[0] + "/Task?"} {
						path := base + name + ":missing=" + v
						r := s.do("GET", path, "", "Prefer", prefer)
						if r.status >= 400 {
							r.refused(t, path, "")
						} else if r.status != http.StatusOK {
							t.Errorf("%s: status %d", path, r.status)
						}
					}
				}
			}
		}

		// Cursors: only one from a next link of the same search order works.
		b := s.do("GET", "/Patient?_count=1&_sort=_id", "").mustStatus(t, http.StatusOK).json(t)
		cursor := cursorOf(t, b)
		s.do("GET", "/Patient?_count=1&_sort=_id&_cursor="+url.QueryEscape(cursor), "").mustStatus(t, http.StatusOK)
		fp, value, _ := strings.Cut(cursor, ".")
		for _, c := range []struct{ name, path string }{
			{"other direction", "/Patient?_count=1&_sort=-_id&_cursor=" + cursor},
			{"other sort", "/Patient?_count=1&_sort=_lastUpdated&_cursor=" + cursor},
			{"other type", "/Task?_count=1&_sort=_id&_cursor=" + cursor},
			{"system search", "/?_type=Patient&_count=1&_sort=_id&_cursor=" + cursor},
			{"backwards, other sort", "/Patient?_count=1&_sort=name&_cursor=%3C" + cursor},
			{"random", "/Patient?_count=1&_sort=_id&_cursor=8J%2BSqQ"},
			{"base64 garbage", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(fp+".s"+"3q2-7w")},
			{"not UTF-8", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(fp+".s_w")},
			{"NUL", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(fp+".sAA")},
			{"wrong kind", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(fp+".i5")},
			{"unknown kind", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(fp+".x5")},
			{"extra part", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(cursor+"."+value)},
			{"no fingerprint", "/Patient?_count=1&_sort=_id&_cursor=" + url.QueryEscape(value)},
			{"raw bytes", "/Patient?_count=1&_sort=_id&_cursor=%FF%00%7F"},
			{"long", "/Patient?_count=1&_sort=_id&_cursor=" + strings.Repeat("k", 10000)},
			{"history cursor", "/Patient/_history?_cursor=" + cursor},
		} {
			s.do("GET", c.path, "").refused(t, c.name, "")
		}
		// Number keys: NaN and infinities are not positions.
		for i, v := range []string{"12.5", "7", "30"} {
			s.create(`{"resourceType":"Observation","status":"final","code":{"text":"Hb"},"subject":{"reference":"Patient/` + ids[i] +
				`"},"valueQuantity":{"value":` + v + `,"system":"http://unitsofmeasure.org","code":"g/dL"}}`)
		}
		b = s.do("GET", "/Observation?_count=1&_sort=value-quantity", "").mustStatus(t, http.StatusOK).json(t)
		cursor = cursorOf(t, b)
		parts := strings.Split(cursor, ".")
		if len(parts) != 3 || !strings.HasPrefix(parts[1], "f") {
			t.Fatalf("cursor %q: want fingerprint, number, id", cursor)
		}
		for _, f := range []string{"fNaN", "fInf", "f-Inf", "f1e999", "f", "i1", "s_w"} {
			bad := parts[0] + "." + f + "." + parts[2]
			s.do("GET", "/Observation?_count=1&_sort=value-quantity&_cursor="+url.QueryEscape(bad), "").refused(t, "number cursor "+f, "_cursor")
		}
	})
}

// TestHostileBatchCost: a Bundle whose GET entries ask for more than
// MaxBatchReadRows rows is refused with 413 before any entry runs.
func TestHostileBatchCost(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.create(`{"resourceType":"Patient","name":[{"family":"Smith"}]}`)
		bundle := func(typ string, searches int, query string) string {
			entries := []string{`{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}`}
			for i := 0; i < searches; i++ {
				entries = append(entries, `{"request":{"method":"GET","url":"Patient?`+query+`"}}`)
			}
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		for _, typ := range []string{"batch", "transaction"} {
			for _, c := range []struct {
				searches int
				query    string
			}{{501, "name=smith"}, {11, "_count=1000"}, {11, "_count=100000&_id=x"}, {5001, "_id=x&_count=2"}} {
				before := s.rowCounts()
				r := s.do("POST", "", bundle(typ, c.searches, c.query))
				r.mustStatus(t, http.StatusRequestEntityTooLarge)
				r.refused(t, fmt.Sprintf("%s of %d × %s", typ, c.searches, c.query), "MaxBatchReadRows")
				if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
					t.Errorf("%s: rows changed (-before +after):\n%s", typ, diff)
				}
			}
			// At the limit, the Bundle runs.
			r := s.do("POST", "", bundle(typ, 10, "_count=1000")).mustStatus(t, http.StatusOK)
			var out struct{ Entry []json.RawMessage }
			if err := json.Unmarshal(r.body, &out); err != nil || len(out.Entry) != 11 {
				t.Errorf("%s at the limit: %d entries (%v)", typ, len(out.Entry), err)
			}
		}
	})
}

// TestHostileBatchReadBytes: reads that together return more than
// MaxBatchReadBytes stop there: in a batch the later reads get a 413 each,
// a transaction is refused whole and rolled back.
func TestHostileBatchReadBytes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("moves 2 × 60 MB through the server")
	}
	forEachServer(t, func(t *testing.T, s *server) {
		data := base64.StdEncoding.EncodeToString(make([]byte, 3<<20))
		bin := s.create(`{"resourceType":"Binary","contentType":"application/octet-stream","data":"` + data + `"}`)
		const reads = 15 // 15 × 4 MB of base64 > 32 MB
		bundle := func(typ string) string {
			entries := []string{`{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}`}
			for i := 0; i < reads; i++ {
				entries = append(entries, `{"request":{"method":"GET","url":"Binary/`+bin+`"}}`)
			}
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		before := s.rowCounts()
		r := s.do("POST", "", bundle("transaction"))
		r.mustStatus(t, http.StatusRequestEntityTooLarge)
		r.refused(t, "transaction", "MaxBatchReadBytes")
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("transaction: rows changed (-before +after):\n%s", diff)
		}
		var out struct {
			Entry []struct {
				Response struct {
					Status  string
					Outcome json.RawMessage
				}
			}
		}
		if err := json.Unmarshal(s.do("POST", "", bundle("batch")).mustStatus(t, http.StatusOK).body, &out); err != nil || len(out.Entry) != reads+1 {
			t.Fatalf("batch: %d entries (%v)", len(out.Entry), err)
		}
		var statuses []string
		for _, e := range out.Entry {
			statuses = append(statuses, e.Response.Status[:3])
		}
		n200 := strings.Count(strings.Join(statuses, ","), "200")
		if statuses[0] != "201" || n200 < 7 || n200 > 9 || statuses[reads] != "413" {
			t.Errorf("batch statuses %v: want the create, 7 to 9 reads (32 MB of 4 MB each), then 413s", statuses)
		}
		if o := string(out.Entry[reads].Response.Outcome); !strings.Contains(o, "MaxBatchReadBytes") {
			t.Errorf("413 entry does not name MaxBatchReadBytes: %s", o)
		}
	})
}

// TestHostileIncludes: _revinclude of a hub resource stops at MaxIncluded
// resources, and says so in the outcome entry.
func TestHostileIncludes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("stores 1,001 Observations")
	}
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.create(`{"resourceType":"Patient","name":[{"family":"Hub"}]}`)
		entries := make([]string, 1001)
		for i := range entries {
			entries[i] = `{"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final",` +
				`"code":{"text":"Hb"},"subject":{"reference":"Patient/` + p + `"}}}`
		}
		s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`).mustStatus(t, http.StatusOK)
		for _, q := range []string{"_revinclude=Observation:subject", "_revinclude=Observation:subject&_revinclude=Observation:patient",
			"_revinclude=*&_revinclude:iterate=Observation:subject"} {
			b := s.do("GET", "/Patient?_id="+p+"&"+q, "").mustStatus(t, http.StatusOK).json(t)
			modes := map[string]int{}
			var warning string
			for _, e := range b["entry"].([]any) {
				e := e.(map[string]any)
				mode := e["search"].(map[string]any)["mode"].(string)
				modes[mode]++
				if mode == "outcome" {
					raw, _ := json.Marshal(e["resource"])
					warning = string(raw)
				}
			}
			if modes["match"] != 1 || modes["outcome"] != 1 || modes["include"] < 500 || modes["include"] > 1000 {
				t.Errorf("%s: entries by mode %v, want 1 match, 500 to 1,000 includes and an outcome", q, modes)
			}
			if !strings.Contains(warning, "MaxIncluded") || !strings.Contains(warning, `"warning"`) {
				t.Errorf("%s: outcome entry does not warn of MaxIncluded: %s", q, warning)
			}
		}
		// Below the limit, no warning.
		b := s.do("GET", "/Patient?_id="+p+"&_revinclude=Observation:subject&_count=0", "").mustStatus(t, http.StatusOK).json(t)
		if es, _ := b["entry"].([]any); len(es) != 0 {
			t.Errorf("_count=0 gave %d entries", len(es))
		}
	})
}
