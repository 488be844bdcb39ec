package workflow

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"sort"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/workflow/questionnaire"
)

// summaryCommunications is how many of the latest Communications the
// shared-care summary shows.
const summaryCommunications = 20

// section is one part of the shared-care summary.
type section struct {
	title   string
	text    []string // lines of narrative
	entries []*fhir.Resource
}

// Summary assembles the shared record of one patient as a collection
// Bundle a GP system can render directly: first a Composition whose
// sections narrate it (care plans, open Tasks by owner, the care team and
// its roles, the latest holistic needs assessment with its distress score,
// the conversation), then the resources themselves.
func (w *Workflow) Summary(ctx context.Context, patientID string) ([]byte, error) {
	if err := w.records.CheckCare(ctx, "Patient", patientID); err != nil {
		return nil, err
	}
	patient, err := w.records.Read(ctx, "Patient", patientID)
	if err != nil {
		return nil, err
	}
	subject := "Patient/" + patientID
	var sections []section

	plans, err := w.all(ctx, "CarePlan", url.Values{"subject": {subject}, "status": {"active"}})
	if err != nil {
		return nil, err
	}
	s := section{title: "Active care plans", entries: plans}
	for _, p := range plans {
		t := decode(p.Body)
		s.text = append(s.text, fmt.Sprintf("%s (%s to %s)", orDefault(str(t["title"]), "Care plan "+p.ID),
			orDefault(period(t["period"], "start"), "?"), orDefault(period(t["period"], "end"), "open")))
	}
	sections = append(sections, s)

	tasks, err := w.all(ctx, "Task", url.Values{"subject": {subject}, "status": {strings.Join(nonTerminal, ",")}})
	if err != nil {
		return nil, err
	}
	sections = append(sections, tasksByOwner(tasks)...)

	teams, err := w.all(ctx, "CareTeam", url.Values{"subject": {subject}, "status:not": {"inactive", "entered-in-error"}})
	if err != nil {
		return nil, err
	}
	s = section{title: "Care team: who does what", entries: teams}
	for _, team := range teams {
		t := decode(team.Body)
		for _, p := range list(t["participant"]) {
			pm, _ := p.(map[string]any)
			s.text = append(s.text, fmt.Sprintf("%s: %s", display(pm["member"]), codeableText(list(pm["role"]))))
		}
	}
	sections = append(sections, s)

	hna, err := w.latestHNA(ctx, subject)
	if err != nil {
		return nil, err
	}
	s = section{title: "Holistic needs assessment"}
	if hna != nil {
		s.entries = []*fhir.Resource{hna}
		t := decode(hna.Body)
		line := "Completed " + orDefault(str(t["authored"]), "(date not recorded)")
		if score, ok := questionnaire.DistressScore(t); ok {
			line += fmt.Sprintf("; overall distress %d of 10", score)
		}
		s.text = []string{line}
	}
	sections = append(sections, s)

	_, latest, err := w.records.Search(ctx, "Communication", url.Values{"subject": {subject}, "_sort": {"-sent"},
		"_count": {fmt.Sprint(summaryCommunications)}}, true)
	if err != nil {
		return nil, err
	}
	s = section{title: "Messages between hospital and practice", entries: threadOrder(latest.Resources)}
	for _, m := range s.entries {
		t := decode(m.Body)
		indent := ""
		if reference(first(list(t["inResponseTo"]))) != "" {
			indent = "↳ "
		}
		s.text = append(s.text, fmt.Sprintf("%s%s from %s: %s", indent, orDefault(str(t["sent"]), "unsent"),
			display(t["sender"]), payloadText(t)))
	}
	sections = append(sections, s)
	return w.summaryBundle(ctx, patient, sections)
}

// all returns every resource a search matches.
func (w *Workflow) all(ctx context.Context, typ string, values url.Values) ([]*fhir.Resource, error) {
	var out []*fhir.Resource
	err := w.each(ctx, typ, values, func(r *fhir.Resource) { out = append(out, r) })
	return out, err
}

// tasksByOwner makes one section per owner, each Task with its due date,
// soonest first: the answer to "who does what, by when".
func tasksByOwner(tasks []*fhir.Resource) []section {
	byOwner := map[string][]*fhir.Resource{}
	names := map[string]string{}
	for _, r := range tasks {
		t := decode(r.Body)
		owner := reference(t["owner"])
		byOwner[owner] = append(byOwner[owner], r)
		names[owner] = display(t["owner"])
	}
	owners := make([]string, 0, len(byOwner))
	for o := range byOwner {
		owners = append(owners, o)
	}
	sort.Strings(owners)
	var out []section
	for _, o := range owners {
		list := byOwner[o]
		sort.SliceStable(list, func(i, j int) bool {
			di, _, _ := dueDate(decode(list[i].Body))
			dj, _, _ := dueDate(decode(list[j].Body))
			return di.Before(dj)
		})
		s := section{title: "Open tasks for " + orDefault(names[o], "no owner yet"), entries: list}
		for _, r := range list {
			t := decode(r.Body)
			_, due, _ := dueDate(t)
			s.text = append(s.text, fmt.Sprintf("%s: %s, due %s", strings.TrimSuffix(orDefault(str(t["description"]), "Task "+r.ID), "."),
				str(t["status"]), orDefault(due, "(no due date)")))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		out = append(out, section{title: "Open tasks"})
	}
	return out
}

// latestHNA is the patient's most recent completed response to the HNA
// Questionnaire, nil when none.
func (w *Workflow) latestHNA(ctx context.Context, subject string) (*fhir.Resource, error) {
	var latest *fhir.Resource
	var latestAt string
	err := w.each(ctx, "QuestionnaireResponse", url.Values{"subject": {subject}, "status": {"completed,amended"}},
		func(r *fhir.Resource) {
			t := decode(r.Body)
			if c, _ := questionnaire.Canonical(t); c != questionnaire.HNAURL {
				return
			}
			if at := orDefault(str(t["authored"]), fhir.Instant(r.LastUpdated)); latest == nil || at > latestAt {
				latest, latestAt = r, at
			}
		})
	return latest, err
}

// threadOrder puts messages in conversation order: threads (a message and
// its replies, through inResponseTo) by when they started, each oldest
// first.
func threadOrder(msgs []*fhir.Resource) []*fhir.Resource {
	parent := map[string]string{}
	sent := map[string]string{}
	for _, m := range msgs {
		t := decode(m.Body)
		sent[m.ID] = str(t["sent"])
		if _, id := fhir.LocalTarget(reference(first(list(t["inResponseTo"]))), ""); id != "" {
			parent[m.ID] = id
		}
	}
	root := func(id string) string {
		for seen := 0; parent[id] != "" && sent[parent[id]] != "" && seen < len(msgs); seen++ {
			id = parent[id] // only through messages shown here; bounded against cycles
		}
		return id
	}
	out := append([]*fhir.Resource(nil), msgs...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := root(out[i].ID), root(out[j].ID)
		if ri != rj {
			return sent[ri] < sent[rj] || sent[ri] == sent[rj] && ri < rj
		}
		return sent[out[i].ID] < sent[out[j].ID]
	})
	return out
}

// summaryBundle renders the sections as a Composition followed by every
// resource they name, each once.
func (w *Workflow) summaryBundle(ctx context.Context, patient *fhir.Resource, sections []section) ([]byte, error) {
	base := rest.Base(ctx)
	now := w.now()
	comp := map[string]any{
		"resourceType": "Composition",
		"status":       "final",
		"type":         map[string]any{"text": "Shared cancer care summary"},
		"subject":      map[string]any{"reference": "Patient/" + patient.ID},
		"date":         fhir.Instant(now),
		"author":       []any{map[string]any{"display": "sharedcare (assembled from the shared record)"}},
		"title":        "Shared cancer care summary",
	}
	b := &fhir.Bundle{Type: "collection", Timestamp: now}
	seen := map[string]bool{}
	add := func(r *fhir.Resource) {
		if key := r.Type + "/" + r.ID; !seen[key] {
			seen[key] = true
			b.Entries = append(b.Entries, fhir.Entry{FullURL: base + "/" + key, Resource: r.Body})
		}
	}
	add(patient)
	var out []any
	for _, s := range sections {
		sec := map[string]any{"title": s.title, "text": narrative(s.title, s.text)}
		var entries []any
		for _, r := range s.entries {
			entries = append(entries, map[string]any{"reference": r.Type + "/" + r.ID})
			add(r)
		}
		if len(entries) > 0 {
			sec["entry"] = entries
		} else {
			sec["emptyReason"] = map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "nilknown", "display": "Nil Known"}}}
		}
		out = append(out, sec)
	}
	comp["section"] = out
	body, err := fhir.DocumentOf(comp).Marshal()
	if err != nil {
		return nil, fmt.Errorf("workflow.Summary: %w", err)
	}
	b.Entries = append([]fhir.Entry{{FullURL: "urn:uuid:" + fhir.NewID(), Resource: body}}, b.Entries...)
	return b.MarshalJSON()
}

// narrative renders lines as generated XHTML, escaped.
func narrative(title string, lines []string) map[string]any {
	var sb strings.Builder
	sb.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><p><b>` + html.EscapeString(title) + `</b></p>`)
	if len(lines) == 0 {
		sb.WriteString("<p>None recorded.</p>")
	} else {
		sb.WriteString("<ul>")
		for _, l := range lines {
			sb.WriteString("<li>" + html.EscapeString(l) + "</li>")
		}
		sb.WriteString("</ul>")
	}
	sb.WriteString("</div>")
	return map[string]any{"status": "generated", "div": sb.String()}
}

func list(v any) []any { l, _ := v.([]any); return l }

func first(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// display names a Reference: its display, else its reference.
func display(v any) string {
	m, _ := v.(map[string]any)
	return orDefault(str(m["display"]), orDefault(str(m["reference"]), "unknown"))
}

func period(v any, end string) string {
	m, _ := v.(map[string]any)
	return str(m[end])
}

// codeableText names CodeableConcepts by text, else their first display or code.
func codeableText(ccs []any) string {
	var names []string
	for _, c := range ccs {
		m, _ := c.(map[string]any)
		name := str(m["text"])
		if coding, _ := first(list(m["coding"])).(map[string]any); name == "" && coding != nil {
			name = orDefault(str(coding["display"]), str(coding["code"]))
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return orDefault(strings.Join(names, ", "), "role not recorded")
}

// payloadText is the message's text, or what its attachments are called.
func payloadText(comm map[string]any) string {
	var parts []string
	for _, p := range list(comm["payload"]) {
		m, _ := p.(map[string]any)
		if s := str(m["contentString"]); s != "" {
			parts = append(parts, s)
		} else if a, ok := m["contentAttachment"].(map[string]any); ok {
			parts = append(parts, "attachment: "+orDefault(str(a["title"]), str(a["contentType"])))
		}
	}
	return orDefault(strings.Join(parts, " "), "(no text)")
}
