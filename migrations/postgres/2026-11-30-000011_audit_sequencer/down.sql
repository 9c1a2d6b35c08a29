DROP TABLE audit_chain_heads;
DROP INDEX audit_events_unchained;
DELETE FROM audit_events WHERE seq IS NULL;
ALTER TABLE audit_events ALTER COLUMN seq SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash SET NOT NULL;
