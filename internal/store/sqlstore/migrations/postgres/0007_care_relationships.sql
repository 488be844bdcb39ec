-- Care relationships: organization cares for patient because source (a
-- Patient naming it generalPractitioner, a CareTeam, an EpisodeOfCare, a
-- Task) says so. Derived from the stored resources: each write of a source
-- replaces its rows in the write's own transaction; never edited by hand.
CREATE TABLE care_relationships (
    organization text NOT NULL, -- Organization/{id}
    patient_id   text NOT NULL,
    source_type  text NOT NULL,
    source_id    text NOT NULL,
    PRIMARY KEY (organization, patient_id, source_type, source_id)
);
CREATE INDEX care_relationships_source ON care_relationships (source_type, source_id);
