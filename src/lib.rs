//! Tessera: a multi-tenant OpenID Connect provider.

pub mod admin;
pub mod audit;
pub mod cache;
pub mod checkpoints;
pub mod cli;
pub mod clients;
pub mod config;
pub mod consent;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod identity;
pub mod keys;
pub mod mail;
pub mod maintenance;
pub mod oidc;
pub mod outbound;
pub mod platform;
pub mod privacy;
pub mod profiles;
pub mod rate_limit;
pub mod sessions;
pub mod startup;
pub mod telemetry;
pub mod tenancy;
pub mod web;
