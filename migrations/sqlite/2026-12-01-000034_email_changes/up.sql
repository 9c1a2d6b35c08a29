-- Changes of an account's sign-in email (identity::email_change). A change is requested by
-- a freshly signed-in user, confirmed by a link mailed to the new address, and can be
-- reverted for 7 days by a link mailed to the old one. Both addresses are sealed under the
-- account's data key and blind-indexed like the account's own; links are stored as SHA-256.
-- `expires_at` is when the row stops mattering: the confirmation's expiry until it is
-- confirmed, then the end of the revert window (the purge deletes it after that).
CREATE TABLE email_changes (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    old_email_index TEXT NOT NULL,
    old_email_sealed BLOB NOT NULL,
    new_email_index TEXT NOT NULL,
    new_email_sealed BLOB NOT NULL,
    confirm_token_hash TEXT NOT NULL UNIQUE,
    revert_token_hash TEXT UNIQUE,
    requested_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    -- Whether the account had a confirmed second factor when the change was confirmed: a
    -- revert then asks for it (the old address may have changed hands).
    second_factor BOOLEAN NOT NULL DEFAULT FALSE,
    -- Wrong second-factor codes given to the revert form; a few end the link.
    code_failures BIGINT NOT NULL DEFAULT 0,
    -- Reverted, or voided (by a newer request, or by the revert of an earlier change).
    ended_at BIGINT,
    end_reason TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_changes_account ON email_changes (account_id);
CREATE INDEX email_changes_expiry ON email_changes (expires_at);
