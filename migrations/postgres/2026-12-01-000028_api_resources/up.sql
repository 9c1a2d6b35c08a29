-- API resources (RFC 8707, RFC 9068; crate::resources): the APIs a tenant's access tokens can
-- be for. A token for an API carries `aud` = its identifier and only its scopes.
CREATE TABLE api_resources (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Space-separated scope names.
    scopes TEXT NOT NULL,
    -- NULL: the tenant's access-token lifetime.
    access_token_lifetime_secs BIGINT,
    -- NULL: the requesting client's signing algorithm.
    signing_alg TEXT,
    -- The API's own client: it may introspect tokens issued for the API.
    introspection_client_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX api_resources_identifier ON api_resources (tenant_id, identifier);
-- Which clients may ask for which of an API's scopes.
CREATE TABLE api_resource_clients (
    resource_id TEXT NOT NULL REFERENCES api_resources(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    PRIMARY KEY (resource_id, client_id)
);
CREATE INDEX api_resource_clients_client ON api_resource_clients (tenant_id, client_id);
-- The API identifiers a user authorised (space-separated); '' for none.
ALTER TABLE grants ADD COLUMN resources TEXT NOT NULL DEFAULT '';
