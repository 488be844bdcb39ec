package httpapi

// The FHIR shapes the OpenAPI document names in its request and response
// bodies. Only the elements a client keys on are listed: every other
// element of the resource type (R4, http://hl7.org/fhir/R4) may be present,
// which a Swagger 2.0 schema allows by not forbidding additional properties.
// They describe; nothing decodes into them.

// Resource is any FHIR R4 resource; resourceType says which.
type Resource struct {
	ResourceType string `json:"resourceType" example:"Patient" validate:"required"`
	ID           string `json:"id,omitempty" example:"a1b2c3"`
	Meta         *Meta  `json:"meta,omitempty"`
}

// Meta is a resource's version and time of last change, set by the server.
type Meta struct {
	VersionID   string `json:"versionId,omitempty" example:"1"`
	LastUpdated string `json:"lastUpdated,omitempty" example:"2026-01-31T09:30:00.000Z"`
}

// Bundle is a FHIR Bundle: search results, history, batch and transaction
// requests and their responses, documents.
type Bundle struct {
	ResourceType string        `json:"resourceType" enums:"Bundle" validate:"required"`
	ID           string        `json:"id,omitempty"`
	Type         string        `json:"type" enums:"searchset,history,batch,transaction,batch-response,transaction-response,collection,document" validate:"required"`
	Identifier   *Identifier   `json:"identifier,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Link         []BundleLink  `json:"link,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// Identifier is a business identifier: a system and a value.
type Identifier struct {
	System string `json:"system,omitempty" example:"https://fhir.nhs.uk/Id/nhs-number"`
	Value  string `json:"value,omitempty" example:"9000000009"`
}

// BundleLink is a paging link (self, next, previous).
type BundleLink struct {
	Relation string `json:"relation" example:"next"`
	URL      string `json:"url"`
}

// BundleEntry is one entry: a resource, and for batches and transactions
// its request or response.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource *Resource       `json:"resource,omitempty"`
	Search   *BundleSearch   `json:"search,omitempty"`
	Request  *BundleRequest  `json:"request,omitempty"`
	Response *BundleResponse `json:"response,omitempty"`
}

// BundleSearch says why a search matched the entry (match or include).
type BundleSearch struct {
	Mode string `json:"mode,omitempty" enums:"match,include,outcome"`
}

// BundleRequest is a batch or transaction entry's interaction.
type BundleRequest struct {
	Method      string `json:"method" enums:"GET,HEAD,POST,PUT,DELETE,PATCH"`
	URL         string `json:"url" example:"Patient/a1b2c3"`
	IfMatch     string `json:"ifMatch,omitempty"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

// BundleResponse is the answer to a batch or transaction entry.
type BundleResponse struct {
	Status       string            `json:"status" example:"201 Created"`
	Location     string            `json:"location,omitempty"`
	Etag         string            `json:"etag,omitempty"`
	LastModified string            `json:"lastModified,omitempty"`
	Outcome      *OperationOutcome `json:"outcome,omitempty"`
}

// OperationOutcome is every error's body, and the warnings of a success.
type OperationOutcome struct {
	ResourceType string                  `json:"resourceType" enums:"OperationOutcome" validate:"required"`
	Issue        []OperationOutcomeIssue `json:"issue" validate:"required"`
}

// OperationOutcomeIssue is one problem: how bad, what kind, where.
type OperationOutcomeIssue struct {
	Severity    string   `json:"severity" enums:"fatal,error,warning,information"`
	Code        string   `json:"code" example:"invalid"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty" example:"Patient.birthDate"`
}

// Parameters carries an operation's inputs or outputs, and FHIRPath Patch.
type Parameters struct {
	ResourceType string                `json:"resourceType" enums:"Parameters" validate:"required"`
	Parameter    []ParametersParameter `json:"parameter,omitempty"`
}

// ParametersParameter is one named value, part or resource.
type ParametersParameter struct {
	Name        string                `json:"name"`
	ValueString string                `json:"valueString,omitempty"`
	Resource    *Resource             `json:"resource,omitempty"`
	Part        []ParametersParameter `json:"part,omitempty"`
}
