package httpapi

// The swag annotations of every FHIR interaction, for the OpenAPI document
// in openapi/ (regenerate with `make openapi`). They sit on stubs here, one
// per route, rather than on the handlers: a route's path parameters are
// its own, and the handlers can move without the document changing.

// docPostBase is POST / in the OpenAPI document.
//
//	@Summary		Batch or transaction
//	@Description	POST a Bundle of type batch or transaction to the base. Batch: each entry is processed independently through the same interactions as a single request, and answered in the same position of a batch-response Bundle (status, location, etag, lastModified, the resource, or an OperationOutcome). Transaction: all entries or none, in one database transaction, in the order DELETE, POST, PUT/PATCH, GET; fullUrl placeholders (urn:uuid:, urn:oid:) and conditional references (Patient?identifier=…) are resolved in every entry; the first failure rolls everything back and answers with its OperationOutcome, naming the entry (Bundle.entry[3].resource.status).
//	@Tags			system
//	@Accept			json
//	@Produce		json
//	@Param			body	body	Bundle	true	"Bundle of type batch or transaction"
//	@Success		200	{object}	Bundle	"Bundle of type batch-response or transaction-response"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: not a batch or transaction Bundle, or a transaction entry is invalid"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: a transaction's conditional criteria match more than one resource"
//	@Failure		413	{object}	OperationOutcome	"OperationOutcome: too many entries"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/ [post]
func docPostBase() {}

// docGetMetadata is GET /metadata in the OpenAPI document.
//
//	@Summary	Capability statement
//	@Tags		system
//	@Produce	json
//	@Success		200	{object}	Resource	"CapabilityStatement"
//	@Router		/metadata [get]
func docGetMetadata() {}

// docPutType is PUT /{type} in the OpenAPI document.
//
//	@Summary		Conditional update
//	@Description	PUT /{type}?criteria: no match creates the resource (with the body's id, if any), one match updates it (a body id must be the match's), several give 412.
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type		path		string	true	"Resource type"
//	@Param			If-Match	header		string	false	"Expected current version of the match"
//	@Param			body	body	Resource	true	"The resource"
//	@Success		200	{object}	Resource	"Updated"
//	@Success		201	{object}	Resource	"Created"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: invalid resource, no criteria, or body id not the match's"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: the criteria match more than one resource"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type} [put]
func docPutType() {}

// docDeleteType is DELETE /{type} in the OpenAPI document.
//
//	@Summary		Conditional delete
//	@Description	DELETE /{type}?criteria: no match deletes nothing (200), one match is deleted, several give 412.
//	@Tags			interactions
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Success		200	{object}	OperationOutcome	"OperationOutcome describing the deletion"
//	@Success		204		"Deleted (Prefer: return=minimal)"
//	@Failure		409	{object}	OperationOutcome	"OperationOutcome: current resources refer to the match (referential integrity)"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: the criteria match more than one resource"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type} [delete]
func docDeleteType() {}

// docPatchTypeId is PATCH /{type}/{id} in the OpenAPI document.
//
//	@Summary		Patch a resource
//	@Description	Applies a JSON Patch (Content-Type application/json-patch+json) or a FHIRPath Patch (a Parameters resource, application/fhir+json) to the current version; the result is validated like an update. Honours If-Match.
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type		path		string	true	"Resource type"
//	@Param			id			path		string	true	"Resource id"
//	@Param			If-Match	header		string	false	"Expected current version"
//	@Param			body	body	Parameters	true	"JSON Patch array or Parameters"
//	@Success		200	{object}	Resource	"The patched resource"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: malformed patch, or the result is not a valid resource"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: no such resource"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: If-Match does not match the current version"
//	@Failure		422	{object}	OperationOutcome	"OperationOutcome: the patch cannot be applied (a test failed, a path matched nothing)"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id} [patch]
func docPatchTypeId() {}

// docPatchType is PATCH /{type} in the OpenAPI document.
//
//	@Summary		Conditional patch
//	@Description	PATCH /{type}?criteria: no match gives 404, one match is patched, several give 412.
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Param			body	body	Parameters	true	"JSON Patch array or Parameters"
//	@Success		200	{object}	Resource	"The patched resource"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: nothing matches"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: the criteria match more than one resource"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type} [patch]
func docPatchType() {}

// docPostType is POST /{type} in the OpenAPI document.
//
//	@Summary		Create a resource
//	@Description	Validates the body as an R4 resource of the type in the path, assigns a new id and version 1, and stores it. Honours Prefer: return=minimal|representation|OperationOutcome (the OperationOutcome also carries warnings, such as a QuestionnaireResponse stored unchecked because its Questionnaire is not on this server). With If-None-Exist (search criteria) the create is conditional: no match creates, one match returns it with 200 and stores nothing, several give 412.
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type	path		string	true	"Resource type, e.g. CarePlan"
//	@Param			Prefer			header		string	false	"return=minimal | return=representation | return=OperationOutcome"
//	@Param			If-None-Exist	header		string	false	"Search criteria for a conditional create, e.g. identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"
//	@Param			body	body	Resource	true	"The resource (FHIR R4 JSON)"
//	@Success		201	{object}	Resource	"The stored resource; Location, ETag and Last-Modified headers"
//	@Success		200	{object}	Resource	"Conditional create: the one existing match, unchanged"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: the If-None-Exist criteria match more than one resource"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: invalid resource"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: type not supported"
//	@Failure		413	{object}	OperationOutcome	"OperationOutcome: body too large"
//	@Failure		415	{object}	OperationOutcome	"OperationOutcome: not JSON"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type} [post]
func docPostType() {}

// docPutTypeId is PUT /{type}/{id} in the OpenAPI document.
//
//	@Summary		Update (or create) a resource
//	@Description	Stores the body as the next version of the resource. A resource that does not exist yet is created with the id in the URL (update-as-create). If-Match makes the update conditional on the current version.
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type		path		string	true	"Resource type"
//	@Param			id			path		string	true	"Resource id"
//	@Param			If-Match	header		string	false	"Expected current version, e.g. W/\"3\""
//	@Param			Prefer		header		string	false	"return=minimal | return=representation | return=OperationOutcome"
//	@Param			body	body	Resource	true	"The resource, with id equal to the id in the URL"
//	@Success		200	{object}	Resource	"Updated"
//	@Success		201	{object}	Resource	"Created"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: invalid resource or id mismatch"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: If-Match does not match the current version"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id} [put]
func docPutTypeId() {}

// docGetTypeId is GET /{type}/{id} in the OpenAPI document.
//
//	@Summary		Read a resource
//	@Description	Returns the current version as stored. If-None-Match and If-Modified-Since give 304 when unchanged; _summary and _elements return a subset.
//	@Tags			interactions
//	@Produce		json
//	@Param			type				path		string	true	"Resource type"
//	@Param			id					path		string	true	"Resource id"
//	@Param			_summary			query		string	false	"true | text | data | false"
//	@Param			_elements			query		string	false	"Comma-separated top-level elements"
//	@Param			If-None-Match		header		string	false	"W/\"version\""
//	@Param			If-Modified-Since	header		string	false	"HTTP date"
//	@Success		200	{object}	Resource	"The resource"
//	@Success		304					"Not modified"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: unknown resource or type"
//	@Failure		410	{object}	OperationOutcome	"OperationOutcome: deleted"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id} [get]
func docGetTypeId() {}

// docGetTypeIdHistoryVid is GET /{type}/{id}/_history/{vid} in the OpenAPI document.
//
//	@Summary	Read a version of a resource
//	@Tags		interactions
//	@Produce	json
//	@Param		type	path		string	true	"Resource type"
//	@Param		id		path		string	true	"Resource id"
//	@Param		vid		path		string	true	"Version id"
//	@Success		200	{object}	Resource	"The resource as it was at that version"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: unknown version"
//	@Failure		410	{object}	OperationOutcome	"OperationOutcome: the version is a deletion"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router		/{type}/{id}/_history/{vid} [get]
func docGetTypeIdHistoryVid() {}

// docDeleteTypeId is DELETE /{type}/{id} in the OpenAPI document.
//
//	@Summary		Delete a resource
//	@Description	Records a deletion as a new version; later reads give 410 Gone. Deleting a resource that does not exist or is already deleted succeeds. A resource that current resources still refer to (through a search parameter, unversioned) is not deleted: 409 listing the first 20 of them and how many there are.
//	@Tags			interactions
//	@Produce		json
//	@Param			type		path		string	true	"Resource type"
//	@Param			id			path		string	true	"Resource id"
//	@Param			If-Match	header		string	false	"Expected current version"
//	@Success		200	{object}	OperationOutcome	"OperationOutcome describing the deletion"
//	@Success		204			"Deleted (Prefer: return=minimal)"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this (the issue names the scope needed), or content the server ships (the HNA Questionnaire)"
//	@Failure		409	{object}	OperationOutcome	"OperationOutcome: current resources refer to it (referential integrity)"
//	@Failure		412	{object}	OperationOutcome	"OperationOutcome: version mismatch"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id} [delete]
func docDeleteTypeId() {}

// docGetTypeIdHistory is GET /{type}/{id}/_history in the OpenAPI document.
//
//	@Summary		History of a resource, a type, or the whole server
//	@Description	Versions newest first as a Bundle of type history, paged with _count and a next link. Also served at /_history and /{type}/_history.
//	@Tags			interactions
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Param			id		path		string	true	"Resource id"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Param			_since	query		string	false	"Only versions last updated at or after this instant"
//	@Success		200	{object}	Bundle	"Bundle (type history)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: bad parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id}/_history [get]
func docGetTypeIdHistory() {}

// docGetTypeHistory is GET /{type}/_history in the OpenAPI document.
//
//	@Summary		History of a resource, a type, or the whole server
//	@Description	Versions newest first as a Bundle of type history, paged with _count and a next link. Also served at /_history and /{type}/_history.
//	@Tags			interactions
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Param			_since	query		string	false	"Only versions last updated at or after this instant"
//	@Success		200	{object}	Bundle	"Bundle (type history)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: bad parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/_history [get]
func docGetTypeHistory() {}

// docGetHistory is GET /_history in the OpenAPI document.
//
//	@Summary		History of a resource, a type, or the whole server
//	@Description	Versions newest first as a Bundle of type history, paged with _count and a next link. Also served at /_history and /{type}/_history.
//	@Tags			interactions
//	@Produce		json
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Param			_since	query		string	false	"Only versions last updated at or after this instant"
//	@Success		200	{object}	Bundle	"Bundle (type history)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: bad parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/_history [get]
func docGetHistory() {}

// docPostHandover is POST /$handover in the OpenAPI document.
//
//	@Summary		Treatment-summary handover
//	@Description	The hospital submits one transaction Bundle: the follow-up CarePlan, the Tasks handed to primary care, a covering Communication and the treatment-summary Composition (with Patient, Condition, Procedure, MedicationStatement, CareTeam as needed), and a Bundle.identifier (system and value) unique to this handover. The shared-care rules are checked before anything is stored: each broken rule is one issue of a 422 OperationOutcome naming the entry and element. On success everything is stored atomically, with a record of the identifier, and the answer is a Parameters resource: "outcome" (the transaction-response Bundle) and one "waitingTask" per Task now waiting for the GP. The same Bundle sent again under the same identifier (a retry after a timeout) stores nothing and gets the first answer again; a different Bundle under a used identifier gets 409.
//	@Tags			shared care
//	@Accept			json
//	@Produce		json
//	@Param			body	body	Bundle	true	"Bundle of type transaction, with identifier"
//	@Success		200	{object}	Parameters	"Parameters: outcome, waitingTask (a retry: the first answer, unchanged)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: not a valid transaction"
//	@Failure		409	{object}	OperationOutcome	"OperationOutcome: Bundle.identifier was already used by a different handover"
//	@Failure		422	{object}	OperationOutcome	"OperationOutcome: one issue per broken shared-care rule (Bundle.identifier missing among them)"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/$handover [post]
func docPostHandover() {}

// docPostQuestionnaireresponseIdExtract is POST /QuestionnaireResponse/{id}/$extract in the OpenAPI document.
//
//	@Summary		Draft a care plan from an HNA
//	@Description	Returns (does not store) a draft CarePlan (status draft, intent proposal, supportingInfo the response) with one activity per concern rated at or above the configured threshold, highest first, for the clinician to edit and POST.
//	@Tags			shared care
//	@Produce		json
//	@Param			id	path		string	true	"QuestionnaireResponse id"
//	@Success		200	{object}	Resource	"CarePlan (draft, not stored)"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: no such response"
//	@Failure		422	{object}	OperationOutcome	"OperationOutcome: the response is not a completed, valid assessment"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/QuestionnaireResponse/{id}/$extract [post]
func docPostQuestionnaireresponseIdExtract() {}

// docGetPatientIdSharedCareSummary is GET /Patient/{id}/$shared-care-summary in the OpenAPI document.
//
//	@Summary		Shared-care summary
//	@Description	One collection Bundle a GP system can render directly: a Composition narrating the patient's active CarePlans, open Tasks grouped by owner with due dates, the CareTeam with each participant's role, the latest completed holistic needs assessment with its distress score and the last 20 Communications in thread order; then those resources.
//	@Tags			shared care
//	@Produce		json
//	@Param			id	path		string	true	"Patient id"
//	@Success		200	{object}	Bundle	"Bundle of type collection"
//	@Failure		404	{object}	OperationOutcome	"OperationOutcome: no such patient"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/Patient/{id}/$shared-care-summary [get]
func docGetPatientIdSharedCareSummary() {}

// docGetTaskOverdue is GET /Task/$overdue in the OpenAPI document.
//
//	@Summary		Overdue and unacknowledged Tasks
//	@Description	Non-terminal Tasks past their due date (restriction.period.end, searchable as "due"), and handed-over Tasks still "requested" after the configured number of days, newest risk first; the outcome entry says why each Task of the page is listed. Paged like search: _count (default 20, at most 1000) and a next link; Bundle.total counts every Task at risk.
//	@Tags			shared care
//	@Produce		json
//	@Param			owner	query		string	false	"Only Tasks of this owner, e.g. Organization/gp-practice-a"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200	{object}	Bundle	"Bundle of type searchset"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: a malformed _count or a _cursor not from this list's next link"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/Task/$overdue [get]
func docGetTaskOverdue() {}

// docGetType is GET /{type} in the OpenAPI document.
//
//	@Summary		Search a resource type
//	@Description	FHIR R4 search: the type's standard parameters (string, token, reference, date, number, quantity, uri; modifiers :missing :exact :contains :not :text :below :above :[Type]; prefixes eq ne gt lt ge le sa eb ap), _id, _lastUpdated, _tag, _profile, _security, _source; comma = OR, repeated = AND; _count, _sort (_lastUpdated, _id), _total, _summary, _elements. Pages are keyset-paged through next links. Unknown parameters are ignored and reported in an OperationOutcome entry, or refused under Prefer: handling=strict. Also POST /{type}/_search with a form body.
//	@Tags			interactions
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200	{object}	Bundle	"Bundle (type searchset)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: malformed parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type} [get]
func docGetType() {}

// docPostTypeSearch is POST /{type}/_search in the OpenAPI document.
//
//	@Summary		Search a resource type
//	@Description	FHIR R4 search: the type's standard parameters (string, token, reference, date, number, quantity, uri; modifiers :missing :exact :contains :not :text :below :above :[Type]; prefixes eq ne gt lt ge le sa eb ap), _id, _lastUpdated, _tag, _profile, _security, _source; comma = OR, repeated = AND; _count, _sort (_lastUpdated, _id), _total, _summary, _elements. Pages are keyset-paged through next links. Unknown parameters are ignored and reported in an OperationOutcome entry, or refused under Prefer: handling=strict. Also POST /{type}/_search with a form body.
//	@Tags			interactions
//	@Produce		json
//	@Param			type	path		string	true	"Resource type"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200	{object}	Bundle	"Bundle (type searchset)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: malformed parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/_search [post]
func docPostTypeSearch() {}

// docGetPatientIdType is GET /Patient/{id}/{type} in the OpenAPI document.
//
//	@Summary		Search a resource type
//	@Description	FHIR R4 search: the type's standard parameters (string, token, reference, date, number, quantity, uri; modifiers :missing :exact :contains :not :text :below :above :[Type]; prefixes eq ne gt lt ge le sa eb ap), _id, _lastUpdated, _tag, _profile, _security, _source; comma = OR, repeated = AND; _count, _sort (_lastUpdated, _id), _total, _summary, _elements. Pages are keyset-paged through next links. Unknown parameters are ignored and reported in an OperationOutcome entry, or refused under Prefer: handling=strict. Also POST /{type}/_search with a form body.
//	@Tags			interactions
//	@Produce		json
//	@Param			id	path	string	true	"Patient id"
//	@Param			type	path		string	true	"Resource type"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200	{object}	Bundle	"Bundle (type searchset)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: malformed parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/Patient/{id}/{type} [get]
func docGetPatientIdType() {}

// docGetBase is GET / in the OpenAPI document.
//
//	@Summary		Search a resource type
//	@Description	FHIR R4 search: the type's standard parameters (string, token, reference, date, number, quantity, uri; modifiers :missing :exact :contains :not :text :below :above :[Type]; prefixes eq ne gt lt ge le sa eb ap), _id, _lastUpdated, _tag, _profile, _security, _source; comma = OR, repeated = AND; _count, _sort (_lastUpdated, _id), _total, _summary, _elements. Pages are keyset-paged through next links. Unknown parameters are ignored and reported in an OperationOutcome entry, or refused under Prefer: handling=strict. Also POST /{type}/_search with a form body.
//	@Tags			interactions
//	@Produce		json
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200	{object}	Bundle	"Bundle (type searchset)"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: malformed parameter"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/ [get]
func docGetBase() {}

// docPostTypeValidate is POST /{type}/$validate in the OpenAPI document.
//
//	@Summary		Validate a resource ($validate)
//	@Description	FHIR R4 $validate. The body is the resource, or a Parameters with resource, mode (create | update | delete) and profile. The write the mode names (create at the type level, update at the instance level when no mode is given) runs through the real write path — validation, reference checks, the type's business rules (Task state machine, Questionnaire and QuestionnaireResponse checks, NHS number, modifierExtension allow-list), shipped content and referential integrity — inside a database transaction that is always rolled back: nothing is stored. Hooks and write observers run inside that rolled-back transaction. Answers 200 with an OperationOutcome: the issues the write would have produced (severity error), or one information issue "no issues". A profile other than the type's base StructureDefinition gives an error issue (not-supported).
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type	path	string	true	"Resource type"
//	@Param			body	body	Resource	true	"The resource, or Parameters (resource, mode, profile)"
//	@Success		200	{object}	OperationOutcome	"OperationOutcome: the issues, or one information issue"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: the request itself is malformed (no resource, unknown mode, update or delete at the type level)"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/$validate [post]
func docPostTypeValidate() {}

// docPostTypeIdValidate is POST /{type}/{id}/$validate in the OpenAPI document.
//
//	@Summary		Validate a resource ($validate)
//	@Description	FHIR R4 $validate. The body is the resource, or a Parameters with resource, mode (create | update | delete) and profile. The write the mode names (create at the type level, update at the instance level when no mode is given) runs through the real write path — validation, reference checks, the type's business rules (Task state machine, Questionnaire and QuestionnaireResponse checks, NHS number, modifierExtension allow-list), shipped content and referential integrity — inside a database transaction that is always rolled back: nothing is stored. Hooks and write observers run inside that rolled-back transaction. Answers 200 with an OperationOutcome: the issues the write would have produced (severity error), or one information issue "no issues". A profile other than the type's base StructureDefinition gives an error issue (not-supported).
//	@Tags			interactions
//	@Accept			json
//	@Produce		json
//	@Param			type	path	string	true	"Resource type"
//	@Param			id	path	string	true	"Resource id"
//	@Param			body	body	Resource	true	"The resource, or Parameters (resource, mode, profile)"
//	@Success		200	{object}	OperationOutcome	"OperationOutcome: the issues, or one information issue"
//	@Failure		400	{object}	OperationOutcome	"OperationOutcome: the request itself is malformed (no resource, unknown mode)"
//	@Failure		401	{object}	OperationOutcome	"OperationOutcome: no access token, or one not valid here"
//	@Failure		403	{object}	OperationOutcome	"OperationOutcome (forbidden): the token's scopes do not allow this; the issue names the scope needed"
//	@Header			401	{string}	WWW-Authenticate	"The RFC 6750 challenge: Bearer with error invalid_token"
//	@Security		bearer
//	@Security		smart
//	@Router			/{type}/{id}/$validate [post]
func docPostTypeIdValidate() {}
