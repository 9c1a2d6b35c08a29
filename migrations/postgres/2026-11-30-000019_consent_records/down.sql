DROP INDEX audit_events_target;
DROP INDEX audit_events_actor;
DROP TABLE consent_records;
