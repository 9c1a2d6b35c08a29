//! The OpenID Connect protocol engine. No actix types here: the web layer adapts.

pub mod access_token;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod context;
pub mod discovery;
pub mod error;
pub mod form;
pub mod id_token_hint;
pub mod introspection;
pub mod jwks_fetch;
pub mod minter;
pub mod pkce;
pub mod revocation;
pub mod subject;
pub mod token;
pub mod userinfo;
