DELETE FROM consent_records WHERE decision = 'declined';
ALTER TABLE consent_records DROP CONSTRAINT consent_records_decision_check;
ALTER TABLE consent_records ADD CONSTRAINT consent_records_decision_check
    CHECK (decision IN ('granted', 'withdrawn'));
ALTER TABLE clients DROP COLUMN purposes;
DROP TABLE consent_purpose_versions;
DROP TABLE consent_purposes;
