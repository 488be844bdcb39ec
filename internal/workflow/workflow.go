// Package workflow is sharedcare's shared-care layer: the rules that make the
// store a record hospital and general practice share, rather than a bare FHIR
// server. It checks treatment-summary handovers, keeps Tasks to the FHIR
// Workflow state machine (recording a Provenance for every transition),
// validates QuestionnaireResponses against their Questionnaire, drafts care
// plans from holistic needs assessments, lists overdue and unacknowledged
// Tasks and assembles the shared-care summary a GP system renders.
//
// It works through the generic interactions (rest.Service) and write hooks,
// never HTTP or SQL. The pure rules live in sub-packages: taskflow,
// handover, questionnaire.
package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/provenance"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Records is what the workflow needs of the FHIR interactions; a
// *rest.Service, or one bound to a transaction, provides it.
type Records interface {
	Read(ctx context.Context, typ, id string) (*fhir.Resource, error)
	Search(ctx context.Context, typ string, values url.Values, strict bool) (*search.Query, *store.SearchPage, error)
	Create(ctx context.Context, typ string, body []byte, opt rest.CreateOptions) (*fhir.Resource, bool, error)
	Update(ctx context.Context, typ, id string, body []byte, ifMatch int64) (*fhir.Resource, bool, error)
	// CheckCare refuses the caller a resource of a patient its organization
	// does not care for (searches are narrowed already; a read by id is not).
	CheckCare(ctx context.Context, typ, id string) error
}

var _ Records = (*rest.Service)(nil)

// Config tunes the workflow.
type Config struct {
	// ExtractThreshold is the rating (0-10) at or above which an HNA
	// concern becomes an activity of the drafted care plan.
	ExtractThreshold int
	// UnacknowledgedAfter is how long a handed-over Task may stay
	// "requested" before $overdue flags it as unacknowledged.
	UnacknowledgedAfter time.Duration
	// RequireQuestionnaire refuses a QuestionnaireResponse whose
	// Questionnaire is not on this server (422). Otherwise it is stored
	// unchecked with a warning: other systems keep their own forms.
	RequireQuestionnaire bool
}

// DefaultConfig is what the server runs with unless configured otherwise.
var DefaultConfig = Config{ExtractThreshold: 5, UnacknowledgedAfter: 14 * 24 * time.Hour}

// Workflow carries out the shared-care operations.
type Workflow struct {
	records Records
	cfg     Config
	now     func() time.Time
}

// New returns the workflow over svc and registers its write hooks on svc:
// from then on every Task write keeps to the state machine, every
// QuestionnaireResponse is checked against its Questionnaire and every
// Questionnaire against the R4 item invariants.
func New(svc *rest.Service, cfg Config) *Workflow {
	w := &Workflow{records: svc, cfg: cfg, now: fhir.Now}
	svc.Hook("Task", taskHook{w})
	svc.Hook("QuestionnaireResponse", responseHook{w})
	for _, c := range content {
		svc.Protect(c.typ, c.id, "api/"+c.file)
	}
	svc.Hook("Questionnaire", definitionHook{})
	// Every other write's Provenance, registered here with the Task hook
	// whose transition Provenance replaces it for that write.
	provenance.Register(svc)
	return w
}

// shippedFiles are the patterns of the files under api/ that are
// conformance content the server keeps stored and publishes read-only: the
// Questionnaires its rules read, the CodeSystems they use, and the
// OperationDefinitions and SearchParameters whose canonical urls /metadata
// names. A new file matching one is loaded and protected with no code change.
var shippedFiles = []string{"questionnaire-*.json", "codesystem-*.json", "operation-*.json", "searchparameter-*.json"}

// shippedResource is one resource of the content the server ships.
type shippedResource struct{ file, typ, id, url string }

// content lists the resources under api/ that the server keeps stored, and
// their canonical urls. They are protected: only LoadContent may write them.
var content = shippedContent(api.FS)

// shippedContent reads what each shipped file is. The files are embedded,
// so a broken one is a programming error every test catches.
func shippedContent(fsys fs.FS) []shippedResource {
	var out []shippedResource
	for _, pattern := range shippedFiles {
		names, err := fs.Glob(fsys, pattern)
		if err != nil {
			panic(fmt.Sprintf("workflow: %v", err))
		}
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				panic(fmt.Sprintf("workflow: %v", err))
			}
			doc := decode(b)
			c := shippedResource{file: name, typ: str(doc["resourceType"]), id: str(doc["id"]), url: str(doc["url"])}
			if c.typ == "" || c.id == "" || c.url == "" {
				panic(fmt.Sprintf("workflow: api/%s needs resourceType, id and url", name))
			}
			out = append(out, c)
		}
	}
	return out
}

// shipped returns the id of the shipped resource of typ with the canonical
// url, "" when none.
func shipped(typ, url string) string {
	for _, c := range content {
		if c.typ == typ && c.url == url {
			return c.id
		}
	}
	return ""
}

// LoadContent stores the resources the project ships (the HNA
// Questionnaire, CodeSystems, OperationDefinitions, SearchParameters) unless the stored version already says the same, so
// restarts do not pile up versions. It writes as the system principal (auth.AsSystem):
// the API cannot change these resources.
func (w *Workflow) LoadContent(ctx context.Context, fsys fs.FS) error {
	ctx = auth.AsSystem(ctx)
	for _, c := range content {
		body, err := fs.ReadFile(fsys, c.file)
		if err != nil {
			return fmt.Errorf("workflow.LoadContent: %w", err)
		}
		if doc := decode(body); str(doc["url"]) != c.url || str(doc["resourceType"]) != c.typ || str(doc["id"]) != c.id {
			return fmt.Errorf("workflow.LoadContent %s: it is %s/%s at %q, but the server knows it as %s/%s at %q",
				c.file, str(doc["resourceType"]), str(doc["id"]), str(doc["url"]), c.typ, c.id, c.url)
		}
		cur, err := w.records.Read(ctx, c.typ, c.id)
		switch {
		case err == nil && sameContent(cur.Body, body):
			continue
		case err != nil && !fhirerr.Is(err, fhirerr.NotFound) && !fhirerr.Is(err, fhirerr.Gone):
			return fmt.Errorf("workflow.LoadContent %s: %w", c.file, err)
		}
		if _, _, err := w.records.Update(ctx, c.typ, c.id, body, 0); err != nil {
			return fmt.Errorf("workflow.LoadContent %s: %w", c.file, err)
		}
	}
	return nil
}

// sameContent compares two resources' JSON, ignoring meta and formatting.
func sameContent(a, b []byte) bool {
	ta, tb := decode(a), decode(b)
	if ta == nil || tb == nil {
		return false
	}
	delete(ta, "meta")
	delete(tb, "meta")
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	return bytes.Equal(ja, jb)
}

// decode reads resource JSON into a tree, numbers kept as written; nil
// when it is not a JSON object.
func decode(b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}
