//! Integration tests: one binary (faster to link), one module per area.

mod helpers;

mod cli;
mod clients;
mod discovery;
mod health;
mod keys;
mod serve;
mod tenancy;
mod token;
