-- Legacy import (admin::import): which profile each imported legacy record became, so a
-- second run of the same file changes nothing and a crashed run resumes where it stopped.
-- `account_state` fingerprints the account row as the import left it (password hash,
-- status, verification, update time): an account whose row no longer matches was changed
-- after its import (a sign-in re-hashes its password) and is never touched by an import again.
CREATE TABLE legacy_records (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    legacy_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- NULL once the profile is gone (the person was erased): the record stays imported, so
    -- running an old file again never brings an erased person back.
    profile_id TEXT REFERENCES profiles(id) ON DELETE SET NULL,
    imported_at BIGINT NOT NULL,
    account_state TEXT NOT NULL,
    PRIMARY KEY (tenant_id, source, legacy_id)
);
CREATE INDEX legacy_records_account ON legacy_records (account_id);
CREATE INDEX legacy_records_profile ON legacy_records (profile_id);
