//! The OpenID Connect protocol engine. No actix types here: the web layer adapts.

pub mod discovery;
