//! The admin REST API under `{issuer}/admin/api/v1/`, authenticated by this tenant's own
//! access tokens: a profile's (authorization code flow) or a client's own
//! (client_credentials, with roles granted to the client). Errors are JSON
//! `{"error": code, "message": text}` with stable codes; lists paginate with `limit` and
//! `after` and answer `{"items": [...], "next": cursor|null}`.
//!
//! The route table below is the single source of the routes and of the OpenAPI document.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{Operation, Schema};
use crate::admin::registration::{
    CreatedRegistrationToken, NewRegistrationToken, RegistrationToken,
};
use crate::admin::webhooks::{CreatedSubscription, FeedEvent, SubscriptionView};
use crate::admin::{
    self, accounts::AccountDetail, accounts::AccountSummary, accounts::Consents,
    audit_log::AuditEntry, clients::ClientChanges, clients::NewClient, clients::Secret,
    settings::TenantSettings, AdminError, Page, PageRequest, Permission, Principal,
};
use crate::clients::ClientView;
use crate::consent::purposes::{NewPurpose, NewVersion, Purpose};
use crate::customers::{Customer, CustomerChange, NewCustomer, NewVerification};
use crate::db::audit::AuditFilter;
use crate::db::AnyConnection;
use crate::domain::{ClientId, GrantId};
use crate::keys::{KeyAlg, KeyInfo};
use crate::oidc::access_token::{self, Inactive};
use crate::oidc::context::OidcContext;
use crate::oidc::dpop::Presented;
use crate::privacy::export::Export;
use crate::profiles::attributes::{AttributeDefinition, DefinitionChanges, NewDefinition};
use crate::profiles::Role;
use crate::resources::{ApiResource, NewResource, ResourceChanges};
use crate::tenancy::branding::BrandingChanges;
use crate::tenancy::tenants::PolicyChanges;
use crate::web::extract::ClientIp;
use crate::web::extract::CurrentTenant;
use crate::web::oauth::context;
use crate::web::AppState;
use crate::webhooks::{
    Delivery, DeliveryState, NewSubscription, Subscription, SubscriptionChanges,
};

pub const PREFIX: &str = "/admin/api/v1";

/// Declares every API operation once: registers its route and describes it for OpenAPI.
macro_rules! operations {
    ($( $method:ident $path:literal => $handler:ident,
        $permission:expr, $status:literal, $summary:literal,
        body: $body:ty, response: $response:ty; )*) => {
        /// The API's routes, in a scope of their own so that it can take larger bodies than
        /// the protocol endpoints and pages (`crate::web::ADMIN_API_BODY_LIMIT`).
        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.service(
                web::scope("/admin/api/v1")
                    .app_data(web::PayloadConfig::new(crate::web::ADMIN_API_BODY_LIMIT))
                    $( .route($path, web::$method().to($handler)) )*
            );
        }

        /// The permission an operation documents, enforced before its input is read (so a
        /// caller without it learns nothing from validation errors).
        fn permission_of(handler: &str) -> Option<Permission> {
            $( if handler == stringify!($handler) { return $permission; } )*
            None
        }

        pub(super) fn operations() -> Vec<Operation> {
            vec![$( Operation {
                method: stringify!($method),
                path: $path,
                handler: stringify!($handler),
                permission: $permission,
                status: $status,
                summary: $summary,
                body: Schema::of::<$body>,
                response: Schema::of::<$response>,
            } ),*]
        }
    };
}

/// No request body, or no response body.
pub type Empty = ();

operations! {
    get "/clients" => list_clients, Some(Permission::ClientsRead), 200,
        "List clients, ordered by client_id", body: Empty, response: Page<ClientView<'static>>;
    post "/clients" => create_client, Some(Permission::ClientsWrite), 201,
        "Register a client; the secret is in this response only", body: NewClient, response: Created;
    get "/clients/{client_id}" => get_client, Some(Permission::ClientsRead), 200,
        "Show a client", body: Empty, response: ClientView<'static>;
    patch "/clients/{client_id}" => update_client, Some(Permission::ClientsWrite), 200,
        "Change a client; absent fields stay", body: ClientChanges, response: ClientView<'static>;
    delete "/clients/{client_id}" => delete_client, Some(Permission::ClientsWrite), 204,
        "Delete a client", body: Empty, response: Empty;
    post "/clients/{client_id}/secret" => rotate_client_secret, Some(Permission::ClientsWrite), 200,
        "Replace the client secret at once; the new one is in this response only", body: Empty, response: Secret;
    get "/registration-tokens" => list_registration_tokens, Some(Permission::ClientsWrite), 200,
        "Initial access tokens for dynamic client registration (never the tokens themselves)", body: Empty, response: Vec<RegistrationToken>;
    post "/registration-tokens" => create_registration_token, Some(Permission::ClientsWrite), 201,
        "A new initial access token (RFC 7591) for `{issuer}/register`: in this response only", body: NewRegistrationToken, response: CreatedRegistrationToken;
    delete "/registration-tokens/{token_id}" => revoke_registration_token, Some(Permission::ClientsWrite), 204,
        "Revoke an initial access token (clients it registered stay)", body: Empty, response: Empty;
    get "/resources" => list_resources, Some(Permission::ClientsRead), 200,
        "List API resources (RFC 8707), ordered by identifier", body: Empty, response: Page<ApiResource>;
    post "/resources" => create_resource, Some(Permission::ClientsWrite), 201,
        "Register an API: its identifier (what clients send as `resource` and its tokens' `aud`), its scopes, and which clients may ask for which of them", body: NewResource, response: ApiResource;
    get "/resources/{resource_id}" => get_resource, Some(Permission::ClientsRead), 200,
        "Show an API resource", body: Empty, response: ApiResource;
    patch "/resources/{resource_id}" => update_resource, Some(Permission::ClientsWrite), 200,
        "Change an API resource; absent fields stay, `clients` replaces the list, access_token_lifetime_secs 0 and introspection_client_id \"\" clear", body: ResourceChanges, response: ApiResource;
    delete "/resources/{resource_id}" => delete_resource, Some(Permission::ClientsWrite), 204,
        "Delete an API resource (issued tokens stay valid until they expire; no new ones)", body: Empty, response: Empty;
    get "/accounts" => search_accounts, Some(Permission::AccountsRead), 200,
        "List accounts in creation order, or find one by its whole email (query `email`, any case; emails are sealed, so parts of one do not match)", body: Empty, response: Page<AccountSummary>;
    get "/accounts/{account_id}" => get_account, Some(Permission::AccountsRead), 200,
        "Show an account with its profiles and live sessions", body: Empty, response: AccountDetail;
    post "/accounts/{account_id}/suspend" => suspend_account, Some(Permission::AccountsWrite), 200,
        "Suspend: ends sessions and revokes every grant", body: Empty, response: AccountDetail;
    post "/accounts/{account_id}/resume" => resume_account, Some(Permission::AccountsWrite), 200,
        "Resume a suspended account", body: Empty, response: AccountDetail;
    post "/accounts/{account_id}/reset-mfa" => reset_account_mfa, Some(Permission::AccountsWrite), 204,
        "Remove the second factor and recovery codes", body: Empty, response: Empty;
    post "/accounts/{account_id}/send-reset" => send_account_reset, Some(Permission::AccountsWrite), 202,
        "Mail a password-reset link to the account's address", body: Empty, response: Empty;
    post "/invitations" => invite_account, Some(Permission::AccountsWrite), 201,
        "Invite someone: a new account without a password, an optional role for its first profile (needs roles:write and the role's administration permissions), and a mailed link, valid for 7 days, with which they choose a password and land signed in", body: NewInvitation, response: InvitationView;
    post "/accounts/{account_id}/invitation" => resend_invitation, Some(Permission::AccountsWrite), 202,
        "Mail a pending invitation again with a new link (the older links stop working); 409 once its owner has chosen a password", body: Empty, response: InvitationView;
    post "/accounts/{account_id}/profiles/{profile_id}/move" => split_account, Some(Permission::AccountsWrite), 201,
        "Move a profile, with its consents and roles, to a new account for `email`, which is invited (a mailed link, valid for 7 days) to choose a password. The profile keeps its id (and a `profile`-mode `sub`); what was issued for it is revoked. 409 when the address has an account or the profile is the account's last", body: ProfileMove, response: InvitationView;
    get "/duplicate-accounts" => duplicate_accounts, Some(Permission::AccountsRead), 200,
        "Groups of accounts that look like one person, to merge: an account whose sign-in address is another account's profile email. Addresses masked unless `?reveal_reason=` and `pii:read`", body: Empty, response: Vec<admin::accounts::DuplicateGroup>;
    get "/customers" => list_customers, Some(Permission::AccountsRead), 200,
        "List customers (verified legal entities accounts act for) in creation order. Names and identifiers masked unless `?reveal_reason=` and `pii:read`", body: Empty, response: Page<Customer>;
    post "/customers" => create_customer, Some(Permission::AccountsWrite), 201,
        "Create a customer: a `person` or an `organization`, its legal name and identifiers (sealed, and blind-indexed to find duplicates)", body: NewCustomer, response: Customer;
    get "/customers/{customer_id}" => get_customer, Some(Permission::AccountsRead), 200,
        "Show a customer with its verification and the accounts acting for it (masked unless revealed)", body: Empty, response: Customer;
    patch "/customers/{customer_id}" => update_customer, Some(Permission::AccountsWrite), 200,
        "Change a customer's legal name; `identifiers` replaces them all", body: CustomerChange, response: Customer;
    delete "/customers/{customer_id}" => delete_customer, Some(Permission::AccountsWrite), 204,
        "Delete a customer and its sealed data; its accounts stay, unlinked", body: Empty, response: Empty;
    put "/customers/{customer_id}/verification" => verify_customer, Some(Permission::AccountsWrite), 200,
        "Record a verification outcome made elsewhere (an administrator, or a KYC provider): trust framework, assurance level, evidence type, check method, verifier, reference, time. Replaces the previous one; released as `verified_claims` when a client asks", body: NewVerification, response: Customer;
    delete "/customers/{customer_id}/verification" => withdraw_customer_verification, Some(Permission::AccountsWrite), 200,
        "Withdraw the verification: no `verified_claims` from now on", body: Empty, response: Customer;
    put "/accounts/{account_id}/customer" => link_account_customer, Some(Permission::AccountsWrite), 204,
        "Link the account to a customer (`customer_id`), or unlink it (`null`): its tokens carry `customer_id`", body: admin::customers::CustomerLink, response: Empty;
    get "/duplicate-customers" => duplicate_customers, Some(Permission::AccountsRead), 200,
        "Customers that share an identifier (the kind is shown, not the value)", body: Empty, response: Vec<admin::customers::CustomerDuplicate>;
    post "/imports" => start_import, Some(Permission::AccountsWrite), 202,
        "Start a legacy import (docs/import.md): the body is the file itself, one JSON record per line (`application/x-ndjson`, at most 32 MiB); query `dry_run`, `on_conflict` (newest, first, skip). It runs in the background: read its progress and report at `/imports/{job_id}`", body: String, response: admin::import_jobs::ImportJob;
    get "/imports" => list_imports, Some(Permission::AccountsWrite), 200,
        "Import jobs of the last week, oldest first (without their reports)", body: Empty, response: Page<admin::import_jobs::ImportJob>;
    get "/imports/{job_id}" => get_import, Some(Permission::AccountsWrite), 200,
        "An import job: `running` (with `emails_done` of `emails`), `done` with its report, `failed` with its error, or `interrupted` (its node stopped: upload the same file again; what committed stays)", body: Empty, response: admin::import_jobs::ImportJob;
    get "/accounts/{account_id}/merge" => preview_merge, Some(Permission::AccountsWrite), 200,
        "What merging the account `from` (query) into this one would move: its profiles with the names they get here, its live sessions, its second factor. Nothing changes", body: Empty, response: crate::lifecycle::merge::MergePlan;
    post "/accounts/{account_id}/merge" => merge_accounts, Some(Permission::AccountsWrite), 200,
        "Merge the account `from` into this one, in one transaction: its profiles move here (renamed where the name is taken) with their consents and roles, keeping their ids; its sessions end, what was issued to it is revoked, its second factor goes, and it becomes a tombstone (status `deleted`, `merged_into` this account, personal data destroyed, its address free). Answers what moved; audited on both accounts", body: MergeRequest, response: crate::lifecycle::merge::MergePlan;
    post "/accounts/{account_id}/sign-out" => sign_out_account, Some(Permission::AccountsWrite), 204,
        "End every session and revoke every grant", body: Empty, response: Empty;
    get "/accounts/{account_id}/consents" => account_consents, Some(Permission::AccountsRead), 200,
        "The account's connected apps and its consent ledger (every grant and withdrawal, with the address it came from)", body: Empty, response: Consents;
    get "/accounts/{account_id}/export" => export_account, Some(Permission::PiiRead), 200,
        "Everything held about the account, unmasked (schema tessera.export/1, docs/privacy.md); audited", body: Empty, response: Export;
    delete "/accounts/{account_id}" => erase_account, Some(Permission::AccountsWrite), 204,
        "Erase the account now (GDPR Art. 17): its personal data is destroyed, its sessions and tokens end; the id stays, with status deleted", body: Empty, response: Empty;
    get "/roles" => list_roles, Some(Permission::RolesWrite), 200,
        "List roles with their permissions, ordered by name", body: Empty, response: Page<Role>;
    post "/roles" => create_role, Some(Permission::RolesWrite), 201,
        "Create a role", body: NewRole, response: Role;
    delete "/roles/{role}" => delete_role, Some(Permission::RolesWrite), 204,
        "Delete a role (holders lose it)", body: Empty, response: Empty;
    put "/roles/{role}/permissions/{permission}" => permit_role, Some(Permission::RolesWrite), 200,
        "Add a permission to a role", body: Empty, response: Role;
    delete "/roles/{role}/permissions/{permission}" => unpermit_role, Some(Permission::RolesWrite), 200,
        "Remove a permission from a role", body: Empty, response: Role;
    put "/roles/{role}/profiles/{profile_id}" => grant_profile_role, Some(Permission::RolesWrite), 200,
        "Give a profile the role", body: Empty, response: HeldRoles;
    delete "/roles/{role}/profiles/{profile_id}" => revoke_profile_role, Some(Permission::RolesWrite), 200,
        "Take the role from a profile", body: Empty, response: HeldRoles;
    put "/roles/{role}/clients/{client_id}" => grant_client_role, Some(Permission::RolesWrite), 200,
        "Give a client the role (its client_credentials tokens carry it)", body: Empty, response: HeldRoles;
    delete "/roles/{role}/clients/{client_id}" => revoke_client_role, Some(Permission::RolesWrite), 200,
        "Take the role from a client", body: Empty, response: HeldRoles;
    get "/settings" => get_settings, Some(Permission::SettingsWrite), 200,
        "Show policies and branding", body: Empty, response: TenantSettings;
    patch "/settings/policy" => set_policy, Some(Permission::SettingsWrite), 200,
        "Change policies; absent fields stay, 0 clears a lifetime override", body: PolicyChanges, response: TenantSettings;
    put "/settings/branding" => set_branding, Some(Permission::SettingsWrite), 200,
        "Replace display name, logo URL and accent colour", body: BrandingChanges, response: TenantSettings;
    get "/purposes" => list_purposes, Some(Permission::SettingsWrite), 200,
        "List consent purposes with every version, ordered by key", body: Empty, response: Page<Purpose>;
    post "/purposes" => create_purpose, Some(Permission::SettingsWrite), 201,
        "Define a consent purpose and its first version", body: NewPurpose, response: Purpose;
    get "/purposes/{purpose}" => get_purpose, Some(Permission::SettingsWrite), 200,
        "Show a consent purpose with every version", body: Empty, response: Purpose;
    post "/purposes/{purpose}/versions" => publish_purpose, Some(Permission::SettingsWrite), 201,
        "Publish the next version; people who accepted an earlier one are asked again, shown what changed", body: NewVersion, response: Purpose;
    post "/purposes/{purpose}/retire" => retire_purpose, Some(Permission::SettingsWrite), 200,
        "Stop asking for a purpose (its history stays)", body: Empty, response: Purpose;
    get "/attributes" => list_attributes, Some(Permission::SettingsWrite), 200,
        "The attribute schema: each custom profile attribute's type, sensitivity, releasing scope and retention", body: Empty, response: Vec<AttributeDefinition>;
    post "/attributes" => create_attribute, Some(Permission::SettingsWrite), 201,
        "Declare an attribute", body: NewDefinition, response: AttributeDefinition;
    patch "/attributes/{attribute}" => change_attribute, Some(Permission::SettingsWrite), 200,
        "Change an attribute; absent fields stay, claim_scope \"\" stops releasing it, retention_days 0 keeps values (stored values are not rewritten)", body: DefinitionChanges, response: AttributeDefinition;
    delete "/attributes/{attribute}" => remove_attribute, Some(Permission::SettingsWrite), 204,
        "Remove an attribute from the schema (values stay, masked and never released)", body: Empty, response: Empty;
    get "/keys" => list_keys, Some(Permission::KeysWrite), 200,
        "List signing keys in creation order (never key material)", body: Empty, response: Page<KeyInfo>;
    post "/keys/rotate" => rotate_keys, Some(Permission::KeysWrite), 200,
        "Make new active keys (all algorithms when none are named)", body: RotateKeys, response: Vec<KeyInfo>;
    post "/keys/{kid}/retire" => retire_key, Some(Permission::KeysWrite), 200,
        "Unpublish an inactive key and erase its private half", body: Empty, response: KeyInfo;
    get "/audit" => list_audit, Some(Permission::AuditRead), 200,
        "Audit entries, newest first; filter with actor, action (or area prefix like `client.`), from, to (Unix seconds)", body: Empty, response: Page<AuditEntry>;
    get "/audit/export" => export_audit, Some(Permission::AuditRead), 200,
        "Every matching audit entry, oldest first, as JSON lines (application/x-ndjson)", body: Empty, response: String;
    get "/webhooks" => list_webhooks, Some(Permission::WebhooksWrite), 200,
        "List webhook subscriptions with their pending and dead deliveries", body: Empty, response: Page<SubscriptionView>;
    post "/webhooks" => create_webhook, Some(Permission::WebhooksWrite), 201,
        "Subscribe a URL to event types (docs/events.md); the signing secret is in this response only", body: NewSubscription, response: CreatedSubscription;
    get "/webhooks/{webhook_id}" => get_webhook, Some(Permission::WebhooksWrite), 200,
        "Show a subscription", body: Empty, response: SubscriptionView;
    patch "/webhooks/{webhook_id}" => update_webhook, Some(Permission::WebhooksWrite), 200,
        "Change a subscription; absent fields stay (enabled: false pauses fan-out to it)", body: SubscriptionChanges, response: Subscription;
    delete "/webhooks/{webhook_id}" => delete_webhook, Some(Permission::WebhooksWrite), 204,
        "Delete a subscription and its deliveries", body: Empty, response: Empty;
    post "/webhooks/{webhook_id}/secret" => rotate_webhook_secret, Some(Permission::WebhooksWrite), 200,
        "Replace the signing secret at once; the new one is in this response only", body: Empty, response: WebhookSecret;
    get "/webhooks/{webhook_id}/deliveries" => list_deliveries, Some(Permission::WebhooksWrite), 200,
        "The latest deliveries, newest first; filter with state (pending, delivered, dead) and limit", body: Empty, response: Vec<Delivery>;
    post "/webhooks/{webhook_id}/redeliver" => redeliver_webhook, Some(Permission::WebhooksWrite), 200,
        "Send dead deliveries again: the one named by `delivery`, or all", body: Redeliver, response: Requeued;
    get "/events" => list_events, Some(Permission::WebhooksWrite), 200,
        "The event feed, oldest first: events after the position `after` (0: from the start), optionally of some `type`s (comma-separated)", body: Empty, response: Page<FeedEvent>;
    get "/openapi.json" => openapi_document, None, 200,
        "This document", body: Empty, response: serde_json::Value;
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Created {
    pub client: ClientView<'static>,
    /// Shown only in this response; only its hash is stored.
    pub client_secret: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub email: String,
    /// The first profile's name (default: the part of the email before the @).
    #[serde(default)]
    pub name: Option<String>,
    /// A role for the first profile.
    #[serde(default)]
    pub role: Option<String>,
}

/// The account to merge into the one in the path.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// Checked after the account in the path is found (an unknown account answers 404).
    #[serde(default)]
    pub from: String,
}

/// Where a profile moves: a new account for this address.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileMove {
    /// Checked after the account and profile are found (unknown ones answer 404).
    #[serde(default)]
    pub email: String,
}

/// An invitation that was mailed (the link itself is only in the mail).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InvitationView {
    pub account_id: String,
    pub email: String,
    pub expires_at: String,
}

impl From<&admin::invitations::Invited> for InvitationView {
    fn from(invited: &admin::invitations::Invited) -> InvitationView {
        InvitationView {
            account_id: invited.invitation.account.id.to_string(),
            email: invited.invitation.to.to_string(),
            expires_at: crate::domain::rfc3339(invited.invitation.expires_at),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    pub name: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    #[serde(default)]
    pub algs: Vec<KeyAlg>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookSecret {
    /// `whsec_…`, shown only here.
    pub secret: String,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeliver {
    /// One dead delivery's id; all the subscription's dead deliveries when absent.
    #[serde(default)]
    pub delivery: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Requeued {
    pub requeued: usize,
}

/// The holder's roles after the change.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HeldRoles {
    pub roles: Vec<String>,
}

/// What a handler answers: a JSON body with a status, an empty body, or JSON lines.
enum Reply {
    Json(StatusCode, serde_json::Value),
    Empty(StatusCode),
    Lines(String),
}

fn json<T: Serialize>(status: StatusCode, value: T) -> Result<Reply, AdminError> {
    serde_json::to_value(value)
        .map(|v| Reply::Json(status, v))
        .map_err(|e| AdminError::Internal(e.to_string()))
}

fn ok<T: Serialize>(value: T) -> Result<Reply, AdminError> {
    json(StatusCode::OK, value)
}

fn respond(result: Result<Reply, AdminError>) -> HttpResponse {
    let (status, body) = match result {
        Ok(Reply::Json(status, body)) => (status, Some(body)),
        Ok(Reply::Empty(status)) => (status, None),
        Ok(Reply::Lines(lines)) => {
            return HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .content_type("application/x-ndjson")
                .body(lines)
        }
        Err(e) => {
            let status = match e {
                AdminError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                AdminError::Forbidden(_) | AdminError::InsufficientScope => StatusCode::FORBIDDEN,
                AdminError::NotFound => StatusCode::NOT_FOUND,
                AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
                AdminError::Conflict(_) => StatusCode::CONFLICT,
                AdminError::Internal(ref cause) => {
                    tracing::error!(error = %cause, "admin API request failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                AdminError::Db(ref cause) if cause.is_transient() => {
                    tracing::warn!(error = %cause, "admin API request met a busy database");
                    StatusCode::SERVICE_UNAVAILABLE
                }
                AdminError::Db(ref cause) => {
                    tracing::error!(error = %cause, "admin API request failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let message = match &e {
                AdminError::Internal(_) | AdminError::Db(_)
                    if status == StatusCode::INTERNAL_SERVER_ERROR =>
                {
                    "the request could not be completed".to_owned()
                }
                AdminError::Db(_) => "the database is busy; retry shortly".to_owned(),
                other => other.to_string(),
            };
            (
                status,
                Some(json!({ "error": e.code(), "message": message })),
            )
        }
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer, DPoP algs="RS256 ES256 EdDSA PS256""#),
        ));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()));
    }
    if body
        .as_ref()
        .is_some_and(|b| b["error"] == "insufficient_scope")
    {
        // RFC 6750 §3.1.
        response.insert_header((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="insufficient_scope", scope="tessera:admin""#),
        ));
    }
    match body {
        Some(body) => response.json(body),
        None => response.finish(),
    }
}

/// The presented token and DPoP proof; the proof's `htu` is this request's URI under the
/// issuer (without query).
fn presented(req: &HttpRequest, issuer: &str) -> Option<Presented> {
    let path = req.path();
    let under_api = path.find(PREFIX).map_or(path, |at| &path[at..]);
    crate::web::oauth::presented_token(req, format!("{issuer}{under_api}"))
        .ok()
        .flatten()
}

/// Authenticates an access token of this tenant: a profile's, or a client's own.
fn principal(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    presented: Option<&Presented>,
    ip: &str,
) -> Result<Principal, AdminError> {
    let presented = presented.ok_or(AdminError::Unauthorized(
        "an access token of this tenant is required",
    ))?;
    let claims = match access_token::verify_for_issuer(conn, ctx, &presented.token) {
        Ok(active) => active.claims,
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(Inactive::Invalid(_)) => {
            return Err(AdminError::Unauthorized(
                "the access token is invalid or expired",
            ))
        }
    };
    if let Err(refused) =
        crate::oidc::dpop::check_presentation(conn, ctx, presented, claims.cnf.as_ref())
    {
        return Err(match refused.storage {
            Some(db) => (*db).into(),
            None => AdminError::Unauthorized(
                "a DPoP-bound token needs the DPoP scheme and a valid proof by its key; an unbound one the Bearer scheme",
            ),
        });
    }
    let tenant = &ctx.tenant.id;
    let client =
        match crate::clients::find(conn, tenant, &ClientId::from(claims.client_id.as_str())) {
            Ok(client) => Some(client),
            Err(crate::clients::ClientError::NotFound(_)) => None,
            Err(crate::clients::ClientError::Db(e)) => return Err(e.into()),
            Err(e) => return Err(AdminError::Internal(e.to_string())),
        };
    match &claims.grant_id {
        Some(grant) => {
            // A user's token works here only if it was issued for administration, to a client
            // that is still an administration client.
            if !claims
                .scope
                .split(' ')
                .any(|s| s == crate::admin::ADMIN_SCOPE)
                || !client.is_some_and(|c| c.administration)
            {
                return Err(AdminError::InsufficientScope);
            }
            Principal::of_grant(conn, tenant, &GrantId::from_stored(grant.clone()), ip)?.ok_or(
                AdminError::Unauthorized("the access token is invalid or expired"),
            )
        }
        None => {
            // A client_credentials token: the client must still exist and still be allowed
            // that grant (roles it held stay on record but stop working).
            let allowed = client
                .is_some_and(|c| c.allows_grant(crate::clients::GrantType::ClientCredentials));
            if !allowed {
                return Err(AdminError::Unauthorized(
                    "the client no longer exists or may no longer use client_credentials",
                ));
            }
            Ok(Principal::client(conn, tenant, &claims.client_id, ip)?)
        }
    }
}

/// The caller, authenticated, holding the permission `operation` documents (checked before
/// its input is read, so a caller without it learns nothing from validation errors).
fn authorize(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    presented: Option<&Presented>,
    ip: &str,
    operation: &str,
) -> Result<Principal, AdminError> {
    let who = principal(conn, ctx, presented, ip)?;
    if let Some(needed) = permission_of(operation) {
        who.require(needed)?;
    }
    Ok(who)
}

/// Inputs a handler reads inside the authorized closure, so that 401/403 come before 400.
struct Input {
    body: web::Bytes,
    query: String,
    path: actix_web::dev::Path<actix_web::dev::Url>,
}

impl Input {
    fn of(req: &HttpRequest, body: web::Bytes) -> Input {
        Input {
            body,
            query: req.query_string().to_owned(),
            path: req.match_info().clone(),
        }
    }

    fn body<T: DeserializeOwned + Default>(&self) -> Result<T, AdminError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        self.required_body()
    }

    fn required_body<T: DeserializeOwned>(&self) -> Result<T, AdminError> {
        decode_body(&self.body)
    }

    fn query<T: DeserializeOwned>(&self) -> Result<T, AdminError> {
        web::Query::<T>::from_query(&self.query)
            .map(web::Query::into_inner)
            .map_err(|e| AdminError::Invalid(format!("the query is not valid: {e}")))
    }

    /// A path parameter by name (in path mode the route also holds `{tenant}`).
    fn param(&self, name: &str) -> String {
        self.path.get(name).unwrap_or_default().to_owned()
    }
}

/// A request body as the operation's input type: JSON, without NUL characters (PostgreSQL
/// cannot store them), and only the fields the type knows.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let invalid =
        |e: serde_json::Error| AdminError::Invalid(format!("the request body is not valid: {e}"));
    let value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    if holds_nul(&value) {
        return Err(AdminError::Invalid(
            "the request body must not contain NUL characters".into(),
        ));
    }
    serde_json::from_value(value).map_err(invalid)
}

/// Whether any string (or key) in the JSON holds a NUL, which PostgreSQL cannot store.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

struct Call<'a> {
    conn: &'a mut AnyConnection,
    ctx: &'a OidcContext,
    state: &'a AppState,
    who: Principal,
    input: Input,
}

async fn run<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    body: web::Bytes,
    operation: &'static str,
    work: F,
) -> HttpResponse
where
    F: FnOnce(Call) -> Result<Reply, AdminError> + Send + 'static,
{
    let presented = presented(&req, &state.issuer(&tenant));
    let ip = ClientIp::of(&req).0;
    let input = Input::of(&req, body);
    let Ok(ctx) = context(&state, tenant).await else {
        return respond(Err(AdminError::Internal("no key set".into())));
    };
    let app = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let who = authorize(conn, &ctx, presented.as_ref(), &ip, operation)?;
            work(Call {
                conn,
                ctx: &ctx,
                state: &app,
                who,
                input,
            })
        })
        .await;
    respond(result)
}

/// Declares a handler: `handler!(name, |call| …)`.
macro_rules! handler {
    ($name:ident, |$call:ident| $body:expr) => {
        pub async fn $name(
            state: web::Data<AppState>,
            tenant: CurrentTenant,
            req: HttpRequest,
            body: web::Bytes,
        ) -> HttpResponse {
            run(
                state,
                tenant,
                req,
                body,
                stringify!($name),
                move |$call: Call| $body,
            )
            .await
        }
    };
}

#[derive(Deserialize, Default)]
struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
    email: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    /// Why personal data should be shown unmasked (needs `pii:read`; audited).
    reveal_reason: Option<String>,
}

impl PageQuery {
    fn reveal(&self) -> admin::accounts::Reveal<'_> {
        match self.reveal_reason.as_deref() {
            Some(reason) => admin::accounts::Reveal::Because(reason),
            None => admin::accounts::Reveal::Masked,
        }
    }

    fn page(&self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            after: self.after.clone(),
        }
    }

    fn audit_filter(&self) -> AuditFilter {
        AuditFilter::new(
            self.actor.as_deref(),
            self.action.as_deref(),
            self.from,
            self.to,
        )
    }
}

/// This node's cached copy goes at once; other nodes refresh within the cache TTL.
pub(super) fn forget_client(ctx: &OidcContext, client_id: &str) {
    ctx.clients
        .remove(&(ctx.tenant.id.clone(), client_id.to_owned()));
}

handler!(list_clients, |c| {
    let q: PageQuery = c.input.query()?;
    let page = admin::clients::list(c.conn, &c.who, &q.page())?;
    ok(page.map(|client| serde_json::to_value(client.view()).unwrap_or_default()))
});

handler!(create_client, |c| {
    let new: NewClient = c.input.required_body()?;
    let (client, secret) = admin::clients::create(c.conn, &c.who, new)?;
    json(
        StatusCode::CREATED,
        json!({ "client": client.view(), "client_secret": secret }),
    )
});

handler!(get_client, |c| {
    let client = admin::clients::get(c.conn, &c.who, &ClientId::from(c.input.param("client_id")))?;
    ok(client.view())
});

handler!(update_client, |c| {
    let changes: ClientChanges = c.input.required_body()?;
    let client = admin::clients::update(
        c.conn,
        &c.who,
        &ClientId::from(c.input.param("client_id")),
        changes,
    )?;
    forget_client(c.ctx, client.id.as_str());
    ok(client.view())
});

handler!(delete_client, |c| {
    admin::clients::delete(c.conn, &c.who, &ClientId::from(c.input.param("client_id")))?;
    forget_client(c.ctx, &c.input.param("client_id"));
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(rotate_client_secret, |c| {
    let secret =
        admin::clients::rotate_secret(c.conn, &c.who, &ClientId::from(c.input.param("client_id")))?;
    forget_client(c.ctx, &secret.client_id);
    ok(secret)
});

handler!(search_accounts, |c| {
    let q: PageQuery = c.input.query()?;
    let email = q.email.clone().unwrap_or_default();
    ok(admin::accounts::search(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &email,
        &q.page(),
        q.reveal(),
    )?)
});

handler!(get_account, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::accounts::detail(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
        q.reveal(),
    )?)
});

handler!(suspend_account, |c| ok(admin::accounts::set_suspended(
    c.conn,
    c.state.keys.vault(),
    &c.who,
    &c.input.param("account_id"),
    true
)?));

handler!(resume_account, |c| ok(admin::accounts::set_suspended(
    c.conn,
    c.state.keys.vault(),
    &c.who,
    &c.input.param("account_id"),
    false
)?));

handler!(reset_account_mfa, |c| {
    admin::accounts::reset_mfa(c.conn, &c.who, &c.input.param("account_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(send_account_reset, |c| {
    let mail = admin::accounts::send_reset(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
    )?;
    crate::web::pages::mail_reset_link(
        c.state,
        &crate::i18n::Texts::default(),
        &c.ctx.issuer,
        &c.ctx.tenant.name,
        mail.to.as_str(),
        &mail.token,
    );
    Ok(Reply::Empty(StatusCode::ACCEPTED))
});

/// Mails an invitation in the background (the answer does not wait for delivery).
fn mail_invited(c: &Call, invited: &admin::invitations::Invited) {
    crate::web::pages::mail_invitation(
        c.state,
        &c.ctx.issuer,
        &c.ctx.tenant.name,
        &invited.invitation,
        invited.as_admin,
    );
}

handler!(invite_account, |c| {
    let new: NewInvitation = c.input.required_body()?;
    let invited = admin::invitations::invite(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &new.email,
        new.name.as_deref(),
        new.role.as_deref(),
    )?;
    mail_invited(&c, &invited);
    json(StatusCode::CREATED, InvitationView::from(&invited))
});

handler!(resend_invitation, |c| {
    let invited = admin::invitations::resend(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
    )?;
    mail_invited(&c, &invited);
    json(StatusCode::ACCEPTED, InvitationView::from(&invited))
});

handler!(duplicate_accounts, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::accounts::duplicates(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        q.reveal(),
    )?)
});

handler!(list_customers, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::customers::list(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &q.page(),
        q.reveal(),
    )?)
});

handler!(create_customer, |c| {
    let new: NewCustomer = c.input.required_body()?;
    json(
        StatusCode::CREATED,
        admin::customers::create(c.conn, c.state.keys.vault(), &c.who, &new)?,
    )
});

handler!(get_customer, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::customers::get(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("customer_id"),
        q.reveal(),
    )?)
});

handler!(update_customer, |c| {
    let changes: CustomerChange = c.input.required_body()?;
    ok(admin::customers::update(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("customer_id"),
        &changes,
    )?)
});

handler!(delete_customer, |c| {
    admin::customers::delete(c.conn, &c.who, &c.input.param("customer_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(verify_customer, |c| {
    // An unknown customer answers 404 whatever the body says.
    admin::customers::require_exists(c.conn, &c.who, &c.input.param("customer_id"))?;
    let new: NewVerification = c.input.required_body()?;
    ok(admin::customers::verify(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("customer_id"),
        &new,
    )?)
});

handler!(withdraw_customer_verification, |c| ok(
    admin::customers::withdraw_verification(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("customer_id"),
    )?
));

handler!(link_account_customer, |c| {
    let link: admin::customers::CustomerLink = c.input.required_body()?;
    admin::customers::link_account(c.conn, &c.who, &c.input.param("account_id"), &link)?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(duplicate_customers, |c| ok(admin::customers::duplicates(
    c.conn, &c.who
)?));

/// The largest upload `POST /imports` takes; a bigger file is split (an import is
/// idempotent, so the parts can go in any order) or imported with `tessera import`.
pub const IMPORT_UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// `POST /imports`: checks who asks, then reads the upload (beyond the API's usual body
/// limit), records the job, and runs it in the background on this node.
pub async fn start_import(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let app = state.clone();
    run_upload(state, tenant, req, payload, "start_import", move |c| {
        let options = c
            .input
            .query::<admin::import_jobs::JobRequest>()?
            .options()?;
        let (job, batch) = admin::import_jobs::start(
            c.conn,
            &c.who,
            &c.state.password_hasher,
            c.input.body.to_vec(),
            options,
        )?;
        let (who, id) = (c.who.clone(), job.id.clone());
        tokio::runtime::Handle::current().spawn(async move {
            let db = app.db.clone();
            let ran = db
                .run(move |conn| {
                    let vault = app.keys.vault();
                    admin::import_jobs::execute(conn, vault, &who, &id, batch, options);
                    Ok::<_, crate::db::DbError>(())
                })
                .await;
            if let Err(e) = ran {
                tracing::error!(error = %e, "an import job could not start");
            }
        });
        json(StatusCode::ACCEPTED, job)
    })
    .await
}

/// [`run`] for an operation whose body is an upload of up to [`IMPORT_UPLOAD_LIMIT`]: the
/// caller is authenticated and authorised before a byte of it is read, so that nobody
/// without the permission can make the node buffer it.
async fn run_upload<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    payload: web::Payload,
    operation: &'static str,
    work: F,
) -> HttpResponse
where
    F: FnOnce(Call) -> Result<Reply, AdminError> + Send + 'static,
{
    let presented = presented(&req, &state.issuer(&tenant));
    let ip = ClientIp::of(&req).0;
    let Ok(ctx) = context(&state, tenant).await else {
        return respond(Err(AdminError::Internal("no key set".into())));
    };
    let ctx = std::sync::Arc::new(ctx);
    let checking = ctx.clone();
    let who = state
        .db
        .run(move |conn| authorize(conn, &checking, presented.as_ref(), &ip, operation))
        .await;
    let who = match who {
        Ok(who) => who,
        Err(e) => return respond(Err(e)),
    };
    let body = match payload.to_bytes_limited(IMPORT_UPLOAD_LIMIT).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return respond(Err(AdminError::Invalid("the upload was cut off".into()))),
        Err(_) => {
            return HttpResponse::PayloadTooLarge()
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .json(json!({
                    "error": "payload_too_large",
                    "message": "an upload holds at most 32 MiB: split the file (importing is idempotent) or use tessera import",
                }))
        }
    };
    let input = Input::of(&req, body);
    let app = state.clone();
    let result = state
        .db
        .run(move |conn| {
            work(Call {
                conn,
                ctx: &ctx,
                state: &app,
                who,
                input,
            })
        })
        .await;
    respond(result)
}

handler!(list_imports, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::import_jobs::list(c.conn, &c.who, &q.page())?)
});

handler!(get_import, |c| ok(admin::import_jobs::get(
    c.conn,
    c.state.keys.vault(),
    &c.who,
    &c.input.param("job_id"),
)?));

handler!(preview_merge, |c| {
    let from: MergeRequest = c.input.query()?;
    ok(admin::accounts::merge_preview(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
        &from.from,
    )?)
});

handler!(merge_accounts, |c| {
    let from: MergeRequest = c.input.required_body()?;
    ok(admin::accounts::merge(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
        &from.from,
    )?)
});

handler!(split_account, |c| {
    let target: ProfileMove = c.input.required_body()?;
    let invited = admin::invitations::split(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
        &c.input.param("profile_id"),
        &target.email,
    )?;
    mail_invited(&c, &invited);
    json(StatusCode::CREATED, InvitationView::from(&invited))
});

handler!(sign_out_account, |c| {
    admin::accounts::sign_out_everywhere(c.conn, &c.who, &c.input.param("account_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(account_consents, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::accounts::consents(
        c.conn,
        c.state.keys.vault(),
        &c.who,
        &c.input.param("account_id"),
        q.reveal(),
    )?)
});

handler!(export_account, |c| ok(admin::accounts::export(
    c.conn,
    c.state.keys.vault(),
    &c.who,
    c.ctx.tenant.slug.as_str(),
    &c.input.param("account_id")
)?));

handler!(erase_account, |c| {
    admin::accounts::erase(c.conn, &c.who, &c.input.param("account_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(list_roles, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::roles::list(c.conn, &c.who, &q.page())?)
});

handler!(create_role, |c| {
    let new: NewRole = c.input.required_body()?;
    json(
        StatusCode::CREATED,
        admin::roles::create(c.conn, &c.who, &new.name)?,
    )
});

handler!(delete_role, |c| {
    admin::roles::delete(c.conn, &c.who, &c.input.param("role"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(permit_role, |c| ok(admin::roles::set_permission(
    c.conn,
    &c.who,
    &c.input.param("role"),
    &c.input.param("permission"),
    true
)?));

handler!(unpermit_role, |c| ok(admin::roles::set_permission(
    c.conn,
    &c.who,
    &c.input.param("role"),
    &c.input.param("permission"),
    false
)?));

fn holder(c: &Call, profile: bool) -> admin::roles::Holder {
    let id = c
        .input
        .param(if profile { "profile_id" } else { "client_id" });
    admin::roles::Holder {
        profile_id: profile.then(|| id.clone()),
        client_id: (!profile).then_some(id),
    }
}

fn set_holder(c: Call, granted: bool, profile: bool) -> Result<Reply, AdminError> {
    let holder = holder(&c, profile);
    let roles = admin::roles::set_holder(c.conn, &c.who, &c.input.param("role"), &holder, granted)?;
    if let Some(client) = &holder.client_id {
        forget_client(c.ctx, client);
    }
    ok(HeldRoles { roles })
}

handler!(grant_profile_role, |c| set_holder(c, true, true));
handler!(revoke_profile_role, |c| set_holder(c, false, true));
handler!(grant_client_role, |c| set_holder(c, true, false));
handler!(revoke_client_role, |c| set_holder(c, false, false));

handler!(get_settings, |c| ok(admin::settings::get(
    c.conn,
    &c.who,
    &c.ctx.tenant
)?));

handler!(set_policy, |c| {
    let changes: PolicyChanges = c.input.required_body()?;
    let settings =
        admin::settings::set_policy(c.conn, &c.state.settings, &c.who, &c.ctx.tenant, changes)?;
    super::forget_tenant(c.state, c.ctx.tenant.slug.as_str());
    ok(settings)
});

handler!(set_branding, |c| {
    let changes: BrandingChanges = c.input.required_body()?;
    let settings = admin::settings::set_branding(c.conn, &c.who, &c.ctx.tenant, &changes)?;
    super::forget_tenant(c.state, c.ctx.tenant.slug.as_str());
    ok(settings)
});

handler!(list_purposes, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::purposes::list(c.conn, &c.who, &q.page())?)
});

handler!(create_purpose, |c| {
    let new: NewPurpose = c.input.required_body()?;
    json(
        StatusCode::CREATED,
        admin::purposes::create(c.conn, &c.who, &new)?,
    )
});

handler!(get_purpose, |c| ok(admin::purposes::get(
    c.conn,
    &c.who,
    &c.input.param("purpose")
)?));

handler!(publish_purpose, |c| {
    let new: NewVersion = c.input.required_body()?;
    json(
        StatusCode::CREATED,
        admin::purposes::publish(c.conn, &c.who, &c.input.param("purpose"), &new)?,
    )
});

handler!(retire_purpose, |c| ok(admin::purposes::retire(
    c.conn,
    &c.who,
    &c.input.param("purpose")
)?));

handler!(list_attributes, |c| ok(admin::attributes::list(
    c.conn, &c.who
)?));

handler!(create_attribute, |c| {
    let new: NewDefinition = c.input.required_body()?;
    let created = admin::attributes::create(c.conn, &c.who, &new)?;
    // Discovery's claims_supported is read with the tenant.
    super::forget_tenant(c.state, c.ctx.tenant.slug.as_str());
    json(StatusCode::CREATED, created)
});

handler!(change_attribute, |c| {
    let changes: DefinitionChanges = c.input.body()?;
    let changed = admin::attributes::change(c.conn, &c.who, &c.input.param("attribute"), &changes)?;
    super::forget_tenant(c.state, c.ctx.tenant.slug.as_str());
    ok(changed)
});

handler!(remove_attribute, |c| {
    admin::attributes::remove(c.conn, &c.who, &c.input.param("attribute"))?;
    super::forget_tenant(c.state, c.ctx.tenant.slug.as_str());
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(list_keys, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::keys::list(c.conn, &c.who, &q.page())?)
});

handler!(rotate_keys, |c| {
    let body: RotateKeys = c.input.body()?;
    ok(admin::keys::rotate(
        c.conn,
        c.state.keys.master(),
        &c.who,
        &body.algs,
    )?)
});

handler!(retire_key, |c| ok(admin::keys::retire(
    c.conn,
    &c.who,
    &c.input.param("kid")
)?));

handler!(list_audit, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::audit_log::list(
        c.conn,
        &c.who,
        &q.audit_filter(),
        &q.page(),
    )?)
});

handler!(export_audit, |c| {
    let q: PageQuery = c.input.query()?;
    Ok(Reply::Lines(admin::audit_log::export(
        c.conn,
        &c.who,
        &q.audit_filter(),
    )?))
});

/// `GET …/admin/api/v1/openapi.json`: generated from the route table above.
pub async fn openapi_document(state: web::Data<AppState>, tenant: CurrentTenant) -> HttpResponse {
    let issuer = state.issuer(&tenant);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .json(super::openapi::document(
            &format!("{issuer}{PREFIX}"),
            &operations(),
        ))
}

#[derive(Deserialize, Default)]
struct DeliveryQuery {
    state: Option<DeliveryState>,
    limit: Option<usize>,
}

#[derive(Deserialize, Default)]
struct EventQuery {
    after: Option<i64>,
    limit: Option<usize>,
    /// Comma-separated event types.
    r#type: Option<String>,
}

handler!(list_registration_tokens, |c| ok(admin::registration::list(
    c.conn, &c.who
)?));

handler!(create_registration_token, |c| {
    let new: NewRegistrationToken = c.input.body()?;
    json(
        StatusCode::CREATED,
        admin::registration::create(c.conn, &c.who, &new)?,
    )
});

handler!(revoke_registration_token, |c| {
    admin::registration::revoke(c.conn, &c.who, &c.input.param("token_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(list_resources, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::resources::list(c.conn, &c.who, &q.page())?)
});

handler!(create_resource, |c| {
    let new: NewResource = c.input.required_body()?;
    json(
        StatusCode::CREATED,
        admin::resources::create(c.conn, &c.who, &new)?,
    )
});

handler!(get_resource, |c| ok(admin::resources::get(
    c.conn,
    &c.who,
    &c.input.param("resource_id")
)?));

handler!(update_resource, |c| {
    let changes: ResourceChanges = c.input.required_body()?;
    ok(admin::resources::update(
        c.conn,
        &c.who,
        &c.input.param("resource_id"),
        &changes,
    )?)
});

handler!(delete_resource, |c| {
    admin::resources::delete(c.conn, &c.who, &c.input.param("resource_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(list_webhooks, |c| {
    let q: PageQuery = c.input.query()?;
    ok(admin::webhooks::list(c.conn, &c.who, &q.page())?)
});

handler!(create_webhook, |c| {
    let new: NewSubscription = c.input.required_body()?;
    let master = c.state.keys.master();
    json(
        StatusCode::CREATED,
        admin::webhooks::create(c.conn, &c.who, master, &new)?,
    )
});

handler!(get_webhook, |c| ok(admin::webhooks::get(
    c.conn,
    &c.who,
    &c.input.param("webhook_id")
)?));

handler!(update_webhook, |c| {
    let changes: SubscriptionChanges = c.input.required_body()?;
    ok(admin::webhooks::update(
        c.conn,
        &c.who,
        &c.input.param("webhook_id"),
        &changes,
    )?)
});

handler!(delete_webhook, |c| {
    admin::webhooks::delete(c.conn, &c.who, &c.input.param("webhook_id"))?;
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
});

handler!(rotate_webhook_secret, |c| {
    let master = c.state.keys.master();
    let secret =
        admin::webhooks::rotate_secret(c.conn, &c.who, master, &c.input.param("webhook_id"))?;
    ok(WebhookSecret { secret })
});

handler!(list_deliveries, |c| {
    let q: DeliveryQuery = c.input.query()?;
    ok(admin::webhooks::deliveries(
        c.conn,
        &c.who,
        &c.input.param("webhook_id"),
        q.state,
        q.limit.unwrap_or(50),
    )?)
});

handler!(redeliver_webhook, |c| {
    let body: Redeliver = c.input.body()?;
    let requeued = admin::webhooks::redeliver(
        c.conn,
        &c.who,
        &c.input.param("webhook_id"),
        body.delivery.as_deref(),
    )?;
    ok(Requeued { requeued })
});

handler!(list_events, |c| {
    let q: EventQuery = c.input.query()?;
    let types: Vec<String> = q
        .r#type
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    ok(admin::webhooks::events(
        c.conn,
        &c.who,
        q.after.unwrap_or(0),
        &types,
        q.limit.unwrap_or(50),
    )?)
});
