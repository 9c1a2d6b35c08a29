-- Legacy imports started through the admin API (admin::import_jobs): an NDJSON upload runs
-- in the background on the node that took it; its progress and report are read here. The
-- report names emails, so it is sealed under the master key (bound to the job). A job whose
-- node stopped is seen as interrupted (its heartbeat, updated_at, goes stale); uploading the
-- same file again finishes it, since imports are idempotent.
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    dry_run BOOLEAN NOT NULL,
    on_conflict TEXT NOT NULL,
    records BIGINT NOT NULL,
    emails BIGINT NOT NULL,
    emails_done BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    error TEXT,
    report BYTEA,
    master_key_id TEXT
);
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);
-- The purge deletes a job a week after it finished (or its node stopped).
CREATE INDEX import_jobs_death ON import_jobs ((COALESCE(finished_at, updated_at)));
