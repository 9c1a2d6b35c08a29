-- Customers (issue #14): verified legal entities, a person or an organization, that accounts
-- act for. The legal name, identifiers and verification evidence are personal data: they are
-- sealed as one JSON value under the customer's own data key (destroyed when the customer is
-- deleted). Identifiers get blind indexes, so two customers with one identifier are found
-- without opening anything. Trust framework and assurance level stay readable: discovery
-- advertises the frameworks in use, and they say nothing about a person.
CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    sealed BYTEA NOT NULL,
    data_key BYTEA NOT NULL,
    data_key_master_id TEXT NOT NULL,
    -- The latest verification outcome recorded (NULL: not verified, or withdrawn).
    trust_framework TEXT,
    assurance_level TEXT,
    verified_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tenant ON customers (tenant_id, id);
-- Discovery lists the trust frameworks in use (trust_frameworks_supported).
CREATE INDEX customers_framework ON customers (tenant_id, trust_framework);
CREATE TABLE customer_identifiers (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- Blind index of the kind and the normalised value (customers::sealed).
    value_index TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind)
);
CREATE INDEX customer_identifiers_index ON customer_identifiers (tenant_id, value_index);
-- The customer an account acts for; many accounts may act for one customer.
ALTER TABLE accounts ADD COLUMN customer_id TEXT REFERENCES customers (id);
CREATE INDEX accounts_customer ON accounts (customer_id);
-- The OIDC Core §5.5 `claims` request of the authorization that made the grant (JSON), so
-- its ID tokens and userinfo answer it.
ALTER TABLE grants ADD COLUMN claims TEXT;
