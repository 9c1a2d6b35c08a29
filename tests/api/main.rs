//! Integration tests: one binary (faster to link), one module per area.

mod browser;
mod helpers;
mod webdriver;

mod abuse;
mod account_console;
mod admin_api;
pub mod admin_console;
mod admin_matrix;
mod attacks;
mod attacks_support;
mod audit;
mod cli;
mod clients;
mod concurrency;
mod consent_purposes;
mod discovery;
mod flow;
mod hardening;
mod health;
mod keys;
mod mfa;
mod personas;
mod platform;
mod policies;
mod privacy;
mod real_browser;
pub mod reset;
mod retention;
mod robustness;
mod serve;
mod signin_security;
mod signup;
mod tenancy;
mod token;
pub mod variants;
