//! Admin errors with stable codes, shared by the console and the REST API.

use super::Permission;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No valid session or token.
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this needs the {} (or tenant:admin) permission", .0.as_str())]
    Forbidden(Permission),
    /// A user's access token without the admin scope.
    #[error(
        "a user's access token needs the {} scope for the admin API",
        super::ADMIN_SCOPE
    )]
    InsufficientScope,
    /// Also for another tenant's objects: they do not exist from here.
    #[error("no such object in this tenant")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// Storage failed: transient (503 + Retry-After) or a bug (500), see `DbError`.
    #[error(transparent)]
    Db(DbError),
}

crate::storage_failure!(AdminError);

impl AdminError {
    /// The stable machine-readable code (the `error` field of API responses).
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Unauthorized(_) => "unauthorized",
            AdminError::Forbidden(_) => "forbidden",
            AdminError::InsufficientScope => "insufficient_scope",
            AdminError::NotFound => "not_found",
            AdminError::Invalid(_) => "invalid_request",
            AdminError::Conflict(_) => "conflict",
            AdminError::Internal(_) => "server_error",
            AdminError::Db(e) if e.is_transient() => "temporarily_unavailable",
            AdminError::Db(_) => "server_error",
        }
    }
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        AdminError::Db(e)
    }
}

/// Sealed personal data that does not open is a server fault (wrong master key, corruption).
impl From<crate::keys::envelope::EnvelopeError> for AdminError {
    fn from(e: crate::keys::envelope::EnvelopeError) -> Self {
        AdminError::Internal(format!("stored personal data cannot be opened: {e}"))
    }
}
