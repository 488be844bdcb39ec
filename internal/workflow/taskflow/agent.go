package taskflow

import (
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
)

// Identifier systems of the agents a Provenance names when no FHIR
// resource stands for them.
const (
	// ClientIDSystem holds the client ids of this server's own token
	// endpoint; an external issuer's client ids are in its issuer URL's.
	ClientIDSystem = "https://sharedcare.dev/fhir/sid/client-id"
	// SoftwareSystem names callers that are not clients: the server itself
	// ("sharedcare") and an unauthenticated caller ("anonymous").
	SoftwareSystem = "https://sharedcare.dev/fhir/sid/software"
)

// userTypes are the types a user may be as Provenance.agent.who.
var userTypes = map[string]bool{"Practitioner": true, "PractitionerRole": true, "RelatedPerson": true, "Patient": true}

// Agent returns Provenance.agent.who and .onBehalfOf (nil for none) for the
// caller p:
//   - a client acting for a user (the token's fhirUser): who is the user;
//   - a client alone: who is the client's system, a Device known by its
//     identifier (ClientIDSystem or, for an external issuer's client, the
//     issuer URL; the client id);
//   - either way onBehalfOf is the client's organization;
//   - the server itself: Device "sharedcare" of SoftwareSystem;
//   - an anonymous caller (authentication off): Device "anonymous", saying
//     so, since nobody can be named.
//
// References are as the token gives them; whether they resolve on this
// server is the caller's concern.
func Agent(p auth.Principal) (who, onBehalfOf map[string]any) {
	switch p.Kind {
	case auth.System:
		return device(SoftwareSystem, "sharedcare", "the sharedcare server"), nil
	case auth.Client:
	default:
		display := "an anonymous caller"
		if p.Unrestricted {
			display = "an anonymous caller: authentication is off (SHAREDCARE_AUTH=off)"
		}
		return device(SoftwareSystem, "anonymous", display), nil
	}
	system := ClientIDSystem
	if p.Issuer != "" {
		system = p.Issuer
	}
	switch typ := refType(p.User); {
	case p.User == "":
		who = device(system, p.ClientID, "client "+p.ClientID)
	case userTypes[typ] || strings.Contains(p.User, ":"):
		who = map[string]any{"reference": p.User}
	default: // a user Provenance cannot name as a resource (a Person)
		who = map[string]any{"display": p.User + " (through client " + p.ClientID + ")"}
	}
	if p.Organization != "" {
		onBehalfOf = map[string]any{"reference": p.Organization}
	}
	return who, onBehalfOf
}

func device(system, value, display string) map[string]any {
	return map[string]any{"type": "Device", "identifier": map[string]any{"system": system, "value": value}, "display": display}
}

// refType is the type of a relative reference Type/id, "" otherwise.
func refType(ref string) string {
	typ, _, ok := strings.Cut(ref, "/")
	if !ok {
		return ""
	}
	return typ
}
