-- The transactional outbox (events): one row per change to an account, profile, consent,
-- role membership or session, written in the transaction of the change. `position` orders
-- events; `dispatched` says whether it was handed to the subscriptions that want it.
CREATE TABLE outbox_events (
    position BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    -- The ordering key: deliveries of one subject go out one after the other.
    subject TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    -- The event document without personal values (docs/events.md).
    body TEXT NOT NULL,
    dispatched BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX outbox_events_undispatched ON outbox_events (dispatched, position);
CREATE INDEX outbox_events_tenant ON outbox_events (tenant_id, position);
CREATE INDEX outbox_events_occurred ON outbox_events (occurred_at);

-- Webhook subscriptions (webhooks::subscriptions): where a tenant wants its events sent.
-- The signing secret is sealed under the master key (it must be read back to sign).
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- JSON array of event types or patterns (`profile.*`, `*`).
    event_types TEXT NOT NULL,
    secret BYTEA NOT NULL,
    master_key_id TEXT NOT NULL,
    -- Whether deliveries carry the subject's current personal values (email, names).
    include_personal_data BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id);

-- One event to one receiver until it is delivered or given up (dead): a webhook
-- subscription, or a client's back-channel logout URI (OIDC Back-Channel Logout 1.0).
CREATE TABLE event_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subscription_id TEXT REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    client_id TEXT REFERENCES clients(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_position BIGINT NOT NULL,
    subject TEXT NOT NULL,
    -- pending | delivered | dead
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Unix milliseconds: retries back off in steps shorter than a second in tests.
    next_attempt_at_ms BIGINT NOT NULL,
    -- A node sending it holds it until then (Unix milliseconds), under a token of its own.
    leased_until_ms BIGINT,
    lease_token TEXT,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    CHECK ((subscription_id IS NULL) <> (client_id IS NULL)),
    UNIQUE (subscription_id, event_id),
    UNIQUE (client_id, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (state, next_attempt_at_ms);
CREATE INDEX event_deliveries_order ON event_deliveries (subscription_id, subject, event_position);
CREATE INDEX event_deliveries_finished ON event_deliveries (finished_at);
