package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth/authtest"
	"github.com/sharedcare/sharedcare/internal/auth/issuers"
	"github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"
	"github.com/sharedcare/sharedcare/internal/provenance"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// provenancesOf are the Provenances whose target is (a version of) target,
// each checked to be valid R4 (the server stores its records unparsed:
// rest.Record).
func (s *server) provenancesOf(t *testing.T, target string) []map[string]any {
	t.Helper()
	b := s.do("GET", "/Provenance?_count=100&target="+target, "").mustStatus(t, http.StatusOK).json(t)
	var out []map[string]any
	for _, e := range asList(b["entry"]) {
		p := e.(map[string]any)["resource"].(map[string]any)
		if _, err := fhirjson.Parse([]byte(mustJSON(t, p))); err != nil {
			t.Errorf("a stored Provenance is not valid R4: %v\n%s", err, mustJSON(t, p))
		}
		out = append(out, p)
	}
	return out
}

// provenanceTotal is the number of Provenances stored.
func (s *server) provenanceTotal(t *testing.T) float64 {
	t.Helper()
	return s.do("GET", "/Provenance?_summary=count", "").mustStatus(t, http.StatusOK).json(t)["total"].(float64)
}

// versionAt is Type/id/_history/v of a Location.
func versionAt(t *testing.T, location string) string {
	t.Helper()
	return target(t, location) + location[strings.LastIndex(location, "/_history/"):]
}

func asList(v any) []any { l, _ := v.([]any); return l }

// targetsOf are a Provenance's target references.
func targetsOf(p map[string]any) []string {
	var out []string
	for _, tg := range asList(p["target"]) {
		out = append(out, ref(tg))
	}
	return out
}

// agentOf is a Provenance's one agent's who and onBehalfOf.
func agentOf(t *testing.T, p map[string]any) (who, onBehalfOf any) {
	t.Helper()
	agents := asList(p["agent"])
	if len(agents) != 1 {
		t.Fatalf("want one agent: %v", p)
	}
	a := agents[0].(map[string]any)
	return a["who"], a["onBehalfOf"]
}

// dataOperation is a coded v3-DataOperation activity.
func dataOperation(code string) any {
	return map[string]any{"coding": []any{map[string]any{"system": provenance.DataOperation, "code": code}}}
}

// TestProvenanceForEveryWrite: create, update, patch and delete each record
// one Provenance of the version they wrote, when it was written, naming the
// caller: a client alone (for an organization on this server or not) and
// an external issuer's client acting for a user.
func TestProvenanceForEveryWrite(t *testing.T) {
	t.Parallel()
	trusted := issuertest.New(t)
	kid := trusted.AddKey(t, jose.ES256)
	cfg := issuers.Issuer{URL: trusted.URL(), Audience: issuertest.Audience, OrganizationClaim: issuertest.OrganizationClaim}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0, func(set *setup) {
			set.Authenticator = issuers.New(context.Background(), []issuers.Issuer{cfg}, trusted.Client()).Or(set.tokens)
		})
		// The default client acts for an organization not on this server.
		wantWho, _ := taskflow.Agent(s.caller())
		elsewhere := map[string]any{"type": "Organization", "display": authtest.Organization + " (not on this server)"}

		id := s.create(`{"resourceType":"CarePlan","status":"draft","intent":"plan","subject":{"display":"x"}}`)
		s.do("PUT", "/CarePlan/"+id, `{"resourceType":"CarePlan","id":"`+id+`","status":"active","intent":"plan","subject":{"display":"x"}}`).
			mustStatus(t, http.StatusOK)
		s.do("PATCH", "/CarePlan/"+id, `[{"op":"add","path":"/title","value":"Follow-up"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		s.do("DELETE", "/CarePlan/"+id, "").mustStatus(t, http.StatusOK)

		byVersion := map[string]map[string]any{}
		for _, p := range s.provenancesOf(t, "CarePlan/"+id) {
			targets := targetsOf(p)
			if len(targets) != 1 {
				t.Fatalf("a single write's Provenance has targets %v, want one", targets)
			}
			if byVersion[targets[0]] != nil {
				t.Errorf("two Provenances of %s", targets[0])
			}
			byVersion[targets[0]] = p
		}
		if len(byVersion) != 4 {
			t.Fatalf("%d Provenances of CarePlan/%s, want 4 (create, update, patch, delete)", len(byVersion), id)
		}
		for v, op := range []string{"CREATE", "UPDATE", "UPDATE", "DELETE"} {
			version := "CarePlan/" + id + "/_history/" + string(rune('1'+v))
			p := byVersion[version]
			if p == nil {
				t.Fatalf("no Provenance of %s", version)
			}
			if diff := cmp.Diff(dataOperation(op), p["activity"]); diff != "" {
				t.Errorf("%s: activity (-want +got):\n%s", version, diff)
			}
			who, onBehalfOf := agentOf(t, p)
			if diff := cmp.Diff(wantWho, who); diff != "" {
				t.Errorf("%s: agent.who (-want +got):\n%s", version, diff)
			}
			if diff := cmp.Diff(elsewhere, onBehalfOf); diff != "" {
				t.Errorf("%s: agent.onBehalfOf (-want +got):\n%s", version, diff)
			}
			if op == "DELETE" {
				continue // a deletion has no body to read its lastUpdated from
			}
			stored := s.do("GET", "/"+version, "").mustStatus(t, http.StatusOK).json(t)
			if lu := stored["meta"].(map[string]any)["lastUpdated"]; p["recorded"] != lu {
				t.Errorf("%s: recorded %v, want the write's lastUpdated %v", version, p["recorded"], lu)
			}
		}

		// A client of an organization on this server is on its behalf by reference.
		org := "Organization/" + s.create(`{"resourceType":"Organization","name":"Valley Surgery"}`)
		tok := s.tokenFor(org, authtest.FullAccess)
		goal := target(t, s.do("POST", "/Goal", `{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"walk"},"subject":{"display":"x"}}`,
			"Authorization", "Bearer "+tok).mustStatus(t, http.StatusCreated).header.Get("Location"))
		ps := s.provenancesOf(t, goal)
		if len(ps) != 1 {
			t.Fatalf("%d Provenances of %s, want 1", len(ps), goal)
		}
		if _, onBehalfOf := agentOf(t, ps[0]); !cmp.Equal(onBehalfOf, map[string]any{"reference": org}) {
			t.Errorf("agent.onBehalfOf %v, want a reference to %s", onBehalfOf, org)
		}

		// An external issuer's client acting for a user: the user is who.
		practitioner := "Practitioner/" + s.create(`{"resourceType":"Practitioner"}`)
		user := trusted.Sign(t, kid, trusted.Claims(map[string]any{"scope": "system/Patient.cruds", "fhirUser": practitioner, issuertest.OrganizationClaim: org}))
		patient := target(t, s.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Authorization", "Bearer "+user).mustStatus(t, http.StatusCreated).header.Get("Location"))
		ps = s.provenancesOf(t, patient)
		if len(ps) != 1 {
			t.Fatalf("%d Provenances of %s, want 1", len(ps), patient)
		}
		who, onBehalfOf := agentOf(t, ps[0])
		if !cmp.Equal(who, map[string]any{"reference": practitioner}) || !cmp.Equal(onBehalfOf, map[string]any{"reference": org}) {
			t.Errorf("agent who %v on behalf of %v, want %s for %s", who, onBehalfOf, practitioner, org)
		}

		// A refused write records nothing.
		before, rows := s.provenanceTotal(t), s.rowCounts()["resources"]
		s.do("POST", "/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, "Authorization", "Bearer "+user).
			mustStatus(t, http.StatusForbidden)
		s.do("POST", "/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/nowhere"}}`).
			mustStatus(t, http.StatusBadRequest)
		if after := s.provenanceTotal(t); after != before || s.rowCounts()["resources"] != rows {
			t.Errorf("refused writes stored %v Provenances", after-before)
		}
	})
}

// TestProvenanceOfBundles: a transaction gets one Provenance targeting all
// it wrote; a batch one per entry that succeeded; a failed transaction
// none; a Task transition exactly one, its own.
func TestProvenanceOfBundles(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/p", `{"resourceType":"Patient","id":"p"}`).mustStatus(t, http.StatusCreated)
		tx := s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p"}},"request":{"method":"POST","url":"CarePlan"}},
		 {"resource":{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"walk"},"subject":{"reference":"Patient/p"}},"request":{"method":"POST","url":"Goal"}},
		 {"resource":{"resourceType":"Patient","id":"p","active":true},"request":{"method":"PUT","url":"Patient/p"}}]}`).
			mustStatus(t, http.StatusOK).transaction(t)
		// The update answers without a Location: its version is the second.
		want := []string{versionAt(t, tx.Entry[0].Response.Location), versionAt(t, tx.Entry[1].Response.Location), "Patient/p/_history/2"}
		ps := s.provenancesOf(t, target(t, tx.Entry[0].Response.Location))
		if len(ps) != 1 {
			t.Fatalf("%d Provenances of the transaction's CarePlan, want 1", len(ps))
		}
		if diff := cmp.Diff(want, targetsOf(ps[0])); diff != "" {
			t.Errorf("the transaction's Provenance targets (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]any{"text": "transaction: CREATE 2, UPDATE 1"}, ps[0]["activity"]); diff != "" {
			t.Errorf("a mixed transaction's activity (-want +got):\n%s", diff)
		}
		if n := len(s.provenancesOf(t, "Patient/p")); n != 2 { // its creation, and the transaction
			t.Errorf("%d Provenances of Patient/p, want 2", n)
		}

		// A transaction that fails records nothing.
		before := s.provenanceTotal(t)
		s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"resource":{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"x"},"subject":{"reference":"Patient/p"}},"request":{"method":"POST","url":"Goal"}},
		 {"resource":{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"x"},"subject":{"reference":"Patient/gone"}},"request":{"method":"POST","url":"Goal"}}]}`).
			mustStatus(t, http.StatusBadRequest)
		if after := s.provenanceTotal(t); after != before {
			t.Errorf("a failed transaction stored %v Provenances", after-before)
		}

		// A batch: one per entry that succeeded, each its own.
		b := s.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[
		 {"resource":{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"a"},"subject":{"reference":"Patient/p"}},"request":{"method":"POST","url":"Goal"}},
		 {"resource":{"resourceType":"Goal","lifecycleStatus":"proposed","description":{"text":"b"},"subject":{"reference":"Patient/gone"}},"request":{"method":"POST","url":"Goal"}},
		 {"request":{"method":"DELETE","url":"`+target(t, tx.Entry[1].Response.Location)+`"}}]}`).
			mustStatus(t, http.StatusOK).json(t)
		if after := s.provenanceTotal(t); after != before+2 {
			t.Errorf("a batch of two successful entries stored %v Provenances, want 2:\n%s", after-before, mustJSON(t, b))
		}
		goal := target(t, tx.Entry[1].Response.Location)
		var ops []string
		for _, p := range s.provenancesOf(t, goal) {
			ops = append(ops, strings.Join(targetsOf(p), ",")+" "+activityCode(p))
		}
		// The transaction's (its activity mixed, so not coded) and the batch entry's.
		if diff := cmp.Diff([]string{strings.Join(want, ",") + " ", goal + "/_history/2 DELETE"}, sorted(ops)); diff != "" {
			t.Errorf("Provenances of %s (-want +got):\n%s", goal, diff)
		}

		// A Task transition: exactly one Provenance of that version, the
		// transition's.
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order"}`)
		s.do("PATCH", "/Task/"+task, `[{"op":"replace","path":"/status","value":"received"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		ops = nil
		for _, p := range s.provenancesOf(t, "Task/"+task) {
			ops = append(ops, strings.Join(targetsOf(p), ",")+" "+activityCode(p))
		}
		if diff := cmp.Diff([]string{"Task/" + task + "/_history/1 CREATE", "Task/" + task + "/_history/2 received"}, sorted(ops)); diff != "" {
			t.Errorf("Provenances of a transitioned Task (-want +got):\n%s", diff)
		}
	})
}
