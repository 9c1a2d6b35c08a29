-- Persona data on profiles. A profile email is unique per tenant and used in tokens only once
-- verified.
ALTER TABLE profiles ADD COLUMN email TEXT;
ALTER TABLE profiles ADD COLUMN email_verified_at BIGINT;
ALTER TABLE profiles ADD COLUMN picture TEXT;
ALTER TABLE profiles ADD COLUMN locale TEXT;
ALTER TABLE profiles ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX profiles_tenant_email ON profiles (tenant_id, email);

-- Role-based access per tenant: roles hold permissions, profiles hold roles.
CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE profile_roles (
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (profile_id, role_id)
);
CREATE INDEX profile_roles_role ON profile_roles (role_id);

-- Subject modes: profile (default), account, or pairwise per sector identifier.
ALTER TABLE clients ADD COLUMN subject_mode TEXT NOT NULL DEFAULT 'profile';
ALTER TABLE clients ADD COLUMN sector_identifier TEXT;

-- Secret salt for pairwise subjects: random per tenant, never derived from the master key,
-- so subjects survive a master-key rotation.
ALTER TABLE tenants ADD COLUMN pairwise_salt TEXT NOT NULL DEFAULT '';
