//! Relying parties: their registration, validation rules and secrets.

mod model;
mod service;

pub use model::{
    AuthMethod, Client, ClientError, ClientSpec, ClientType, ClientUpdate, ClientView,
    ConsentPolicy, GrantType, SubjectMode,
};
pub use service::{create, delete, find, list, rotate_secret, update};
