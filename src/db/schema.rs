//! Table definitions shared by both engines. Only portable column types (DESIGN.md §7).

diesel::table! {
    tenants (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        status -> Text,
        key_set_version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        pairwise_salt -> Text,
        password_min_length -> BigInt,
        mfa_policy -> Text,
        self_signup -> Bool,
        email_verification -> Text,
        session_idle_secs -> Nullable<BigInt>,
        session_absolute_secs -> Nullable<BigInt>,
        access_token_secs -> Nullable<BigInt>,
        refresh_idle_secs -> Nullable<BigInt>,
        refresh_absolute_secs -> Nullable<BigInt>,
        logo_url -> Nullable<Text>,
        accent_color -> Nullable<Text>,
        retention_inactive_days -> Nullable<BigInt>,
        retention_audit_days -> Nullable<BigInt>,
        retention_ran_at -> Nullable<BigInt>,
        texts -> Nullable<Text>,
        time_zone -> Nullable<Text>,
        client_registration -> Text,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        tenant_id -> Text,
        alg -> Text,
        status -> Text,
        public_jwk -> Text,
        private_key -> Nullable<Binary>,
        master_key_id -> Text,
        created_at -> BigInt,
        deactivated_at -> Nullable<BigInt>,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        client_type -> Text,
        secret_hash -> Nullable<Text>,
        auth_method -> Text,
        grant_types -> Text,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        jwks -> Nullable<Text>,
        jwks_uri -> Nullable<Text>,
        consent -> Text,
        signing_alg -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        subject_mode -> Text,
        sector_identifier -> Nullable<Text>,
        administration -> Bool,
        purposes -> Text,
        backchannel_logout_uri -> Nullable<Text>,
        backchannel_logout_session_required -> Bool,
        require_pushed_authorization_requests -> Bool,
        dpop_bound_access_tokens -> Bool,
        registration -> Nullable<Text>,
        registration_token_hash -> Nullable<Text>,
        fapi2 -> Bool,
    }
}

diesel::table! {
    registration_tokens (id) {
        id -> Text,
        tenant_id -> Text,
        token_hash -> Text,
        description -> Text,
        max_uses -> BigInt,
        uses -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    email_changes (id) {
        id -> Text,
        tenant_id -> Text,
        account_id -> Text,
        old_email_index -> Text,
        old_email_sealed -> Binary,
        new_email_index -> Text,
        new_email_sealed -> Binary,
        confirm_token_hash -> Text,
        revert_token_hash -> Nullable<Text>,
        requested_at -> BigInt,
        confirmed_at -> Nullable<BigInt>,
        second_factor -> Bool,
        code_failures -> BigInt,
        ended_at -> Nullable<BigInt>,
        end_reason -> Nullable<Text>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    legacy_records (tenant_id, source, legacy_id) {
        tenant_id -> Text,
        source -> Text,
        legacy_id -> Text,
        kind -> Text,
        account_id -> Text,
        profile_id -> Nullable<Text>,
        imported_at -> BigInt,
        account_state -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        tenant_id -> Text,
        email_index -> Text,
        email_sealed -> Binary,
        email_verified_at -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        status -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        failed_logins -> BigInt,
        locked_until -> Nullable<BigInt>,
        data_key -> Nullable<Binary>,
        data_key_master_id -> Nullable<Text>,
        erase_after -> Nullable<BigInt>,
        last_active_at -> Nullable<BigInt>,
        inactivity_warned_at -> Nullable<BigInt>,
        invited_at -> Nullable<BigInt>,
        merged_into -> Nullable<Text>,
        customer_id -> Nullable<Text>,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> Text,
        tenant_id -> Text,
        status -> Text,
        dry_run -> Bool,
        on_conflict -> Text,
        records -> BigInt,
        emails -> BigInt,
        emails_done -> BigInt,
        created_by -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        finished_at -> Nullable<BigInt>,
        error -> Nullable<Text>,
        report -> Nullable<Binary>,
        master_key_id -> Nullable<Text>,
    }
}

diesel::table! {
    customers (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        sealed -> Binary,
        data_key -> Binary,
        data_key_master_id -> Text,
        trust_framework -> Nullable<Text>,
        assurance_level -> Nullable<Text>,
        verified_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    customer_identifiers (customer_id, kind) {
        customer_id -> Text,
        tenant_id -> Text,
        kind -> Text,
        value_index -> Text,
    }
}

diesel::table! {
    totp_factors (account_id) {
        account_id -> Text,
        tenant_id -> Text,
        secret -> Binary,
        master_key_id -> Text,
        confirmed_at -> Nullable<BigInt>,
        last_step -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Text,
        tenant_id -> Text,
        account_id -> Text,
        used_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    login_challenges (id) {
        id -> Text,
        tenant_id -> Text,
        account_id -> Text,
        browser_hash -> Text,
        target -> Text,
        failures -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    account_tokens (token_hash) {
        token_hash -> Text,
        tenant_id -> Text,
        account_id -> Text,
        purpose -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        tenant_id -> Text,
        seq -> Nullable<BigInt>,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        ip -> Text,
        details -> Text,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    audit_chain_heads (tenant_id) {
        tenant_id -> Text,
        seq -> BigInt,
        hash -> Text,
        chained_at -> BigInt,
        base_seq -> BigInt,
        base_hash -> Nullable<Text>,
        base_jws -> Nullable<Text>,
    }
}

diesel::table! {
    audit_checkpoints (tenant_id, seq) {
        tenant_id -> Text,
        seq -> BigInt,
        hash -> Text,
        at -> BigInt,
        jws -> Text,
    }
}

diesel::table! {
    instance_keys (name) {
        name -> Text,
        wrapped -> Binary,
        master_key_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> BigInt,
        hits -> BigInt,
    }
}

diesel::table! {
    profiles (id) {
        id -> Text,
        tenant_id -> Text,
        account_id -> Text,
        is_default -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        email_verified_at -> Nullable<BigInt>,
        name_index -> Text,
        email_index -> Nullable<Text>,
        persona -> Binary,
        data_key -> Nullable<Binary>,
        data_key_master_id -> Nullable<Text>,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    role_permissions (role_id, permission) {
        role_id -> Text,
        tenant_id -> Text,
        permission -> Text,
    }
}

diesel::table! {
    profile_roles (profile_id, role_id) {
        profile_id -> Text,
        role_id -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    platform_setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    client_roles (client_id, role_id) {
        client_id -> Text,
        role_id -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        token_hash -> Text,
        tenant_id -> Text,
        account_id -> Text,
        profile_id -> Nullable<Text>,
        auth_time -> BigInt,
        amr -> Text,
        acr -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    authorization_requests (id) {
        id -> Text,
        tenant_id -> Text,
        client_id -> Text,
        browser_hash -> Text,
        parameters -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        tenant_id -> Text,
        client_id -> Text,
        account_id -> Text,
        profile_id -> Text,
        session_id -> Nullable<Text>,
        scope -> Text,
        auth_time -> BigInt,
        amr -> Text,
        acr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        resources -> Text,
        claims -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        tenant_id -> Text,
        grant_id -> Text,
        client_id -> Text,
        redirect_uri -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        tenant_id -> Text,
        grant_id -> Text,
        client_id -> Text,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
        dpop_jkt -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        tenant_id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    used_client_assertions (jti_hash) {
        jti_hash -> Text,
        tenant_id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    consent_records (id) {
        id -> Text,
        tenant_id -> Text,
        profile_id -> Text,
        client_id -> Text,
        scope -> Text,
        purpose -> Nullable<Text>,
        purpose_version -> Nullable<BigInt>,
        decision -> Text,
        at -> BigInt,
        ip_sealed -> Nullable<Binary>,
    }
}

diesel::table! {
    consent_purposes (tenant_id, purpose) {
        tenant_id -> Text,
        purpose -> Text,
        name -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    consent_purpose_versions (tenant_id, purpose, version) {
        tenant_id -> Text,
        purpose -> Text,
        version -> BigInt,
        required -> Bool,
        text -> Nullable<Text>,
        url -> Nullable<Text>,
        changes -> Text,
        published_at -> BigInt,
    }
}

diesel::table! {
    attribute_definitions (tenant_id, name) {
        tenant_id -> Text,
        name -> Text,
        kind -> Text,
        sensitive -> Bool,
        claim_scope -> Nullable<Text>,
        retention_days -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        tenant_id -> Text,
        profile_id -> Text,
        client_id -> Text,
        scope -> Text,
        granted_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    pushed_authorization_requests (request_uri_hash) {
        request_uri_hash -> Text,
        tenant_id -> Text,
        client_id -> Text,
        parameters -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    device_authorizations (device_code_hash) {
        device_code_hash -> Text,
        tenant_id -> Text,
        client_id -> Text,
        user_code -> Text,
        parameters -> Text,
        state -> Text,
        grant_id -> Nullable<Text>,
        interval_secs -> BigInt,
        last_polled_at -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    api_resources (id) {
        id -> Text,
        tenant_id -> Text,
        identifier -> Text,
        name -> Text,
        scopes -> Text,
        access_token_lifetime_secs -> Nullable<BigInt>,
        signing_alg -> Nullable<Text>,
        introspection_client_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    api_resource_clients (resource_id, client_id) {
        resource_id -> Text,
        tenant_id -> Text,
        client_id -> Text,
        scopes -> Text,
    }
}

diesel::table! {
    outbox_events (position) {
        position -> BigInt,
        id -> Text,
        tenant_id -> Text,
        event_type -> Text,
        subject -> Text,
        occurred_at -> BigInt,
        body -> Text,
        dispatched -> Bool,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        tenant_id -> Text,
        url -> Text,
        event_types -> Text,
        secret -> Binary,
        master_key_id -> Text,
        include_personal_data -> Bool,
        enabled -> Bool,
        description -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    event_deliveries (id) {
        id -> Text,
        tenant_id -> Text,
        subscription_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        event_id -> Text,
        event_position -> BigInt,
        subject -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at_ms -> BigInt,
        leased_until_ms -> Nullable<BigInt>,
        lease_token -> Nullable<Text>,
        last_status -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(signing_keys -> tenants (tenant_id));
diesel::joinable!(profiles -> accounts (account_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(profile_roles -> roles (role_id));
diesel::joinable!(client_roles -> roles (role_id));
diesel::joinable!(event_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(api_resource_clients -> api_resources (resource_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    email_changes,
    legacy_records,
    customers,
    customer_identifiers,
    import_jobs,
    registration_tokens,
    device_authorizations,
    api_resources,
    api_resource_clients,
    pushed_authorization_requests,
    outbox_events,
    webhook_subscriptions,
    event_deliveries,
    signing_keys,
    clients,
    accounts,
    profiles,
    sessions,
    authorization_requests,
    grants,
    authorization_codes,
    refresh_tokens,
    revoked_access_tokens,
    used_client_assertions,
    consents,
    consent_records,
    consent_purposes,
    consent_purpose_versions,
    attribute_definitions,
    roles,
    role_permissions,
    profile_roles,
    client_roles,
    platform_setup_tokens,
    rate_limits,
    totp_factors,
    recovery_codes,
    login_challenges,
    account_tokens,
    audit_events,
    audit_chain_heads,
    audit_checkpoints,
    instance_keys,
);
