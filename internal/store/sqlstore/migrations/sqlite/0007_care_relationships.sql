-- See the PostgreSQL migration of the same number for what each column means.
CREATE TABLE care_relationships (
    organization TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    source_type  TEXT NOT NULL,
    source_id    TEXT NOT NULL,
    PRIMARY KEY (organization, patient_id, source_type, source_id)
) WITHOUT ROWID;
CREATE INDEX care_relationships_source ON care_relationships (source_type, source_id);
