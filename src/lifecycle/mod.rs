//! Changing the shape of accounts after they exist: two accounts of one person merged into
//! one, and a profile that moves to an account of its own (a split). Finding duplicates
//! belongs here too (issue #14). The
//! credentials stay `identity`'s and the personas `profiles`'; this module composes them in
//! one transaction each, for every surface (account page, console, API, CLI).

pub mod duplicates;
pub mod merge;
pub mod split;
