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

diesel::joinable!(signing_keys -> tenants (tenant_id));
diesel::allow_tables_to_appear_in_same_query!(tenants, signing_keys);
