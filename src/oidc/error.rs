//! OAuth 2.0 / OIDC protocol errors (RFC 6749 §5.2, RFC 6750 §3): a registered code, a safe
//! description for the client, and the HTTP details the web layer renders.

use serde::Serialize;

use crate::db::DbError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidToken,
    InsufficientScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    UnmetAuthenticationRequirements,
    RequestNotSupported,
    RequestUriNotSupported,
    UnsupportedTokenType,
    /// RFC 8707 §2: the resource is unknown, malformed, or not for this client.
    InvalidTarget,
    /// RFC 9449 §5: the DPoP proof is missing, malformed, or does not fit the request.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the server's nonce (sent in `DPoP-Nonce`).
    UseDpopNonce,
    /// RFC 8628 §3.5: the person has not decided yet; poll again after the interval.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval grew by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
}

impl ErrorCode {
    const ALL: [ErrorCode; 26] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidScope,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::AccessDenied,
        ErrorCode::UnsupportedResponseType,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::LoginRequired,
        ErrorCode::ConsentRequired,
        ErrorCode::InteractionRequired,
        ErrorCode::AccountSelectionRequired,
        ErrorCode::UnmetAuthenticationRequirements,
        ErrorCode::RequestNotSupported,
        ErrorCode::RequestUriNotSupported,
        ErrorCode::UnsupportedTokenType,
        ErrorCode::InvalidTarget,
        ErrorCode::InvalidDpopProof,
        ErrorCode::UseDpopNonce,
        ErrorCode::AuthorizationPending,
        ErrorCode::SlowDown,
        ErrorCode::ExpiredToken,
    ];

    /// The code a registered name stands for.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::AccountSelectionRequired => "account_selection_required",
            ErrorCode::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

/// How the client tried to authenticate, so `invalid_client` can answer with the matching
/// `WWW-Authenticate` challenge (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    None,
    Basic,
    Bearer,
    /// RFC 9449 §7.1: a resource that takes DPoP-bound tokens.
    DPoP,
}

#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {description}")]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    pub challenge: Challenge,
    /// Logged, never sent.
    pub cause: Option<String>,
    /// The storage failure behind a `server_error` or `temporarily_unavailable`, so a
    /// transaction can be retried and the answer can carry `Retry-After`.
    pub storage: Option<Box<DbError>>,
    /// A fresh server nonce to send as `DPoP-Nonce` (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
}

impl crate::db::StorageFailure for OAuthError {
    fn storage_error(&self) -> Option<&DbError> {
        self.storage.as_deref()
    }

    fn is_transient(&self) -> bool {
        self.code == ErrorCode::TemporarilyUnavailable
            || self.storage_error().is_some_and(DbError::is_transient)
    }
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
            challenge: Challenge::None,
            cause: None,
            storage: None,
            dpop_nonce: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> OAuthError {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn invalid_token(description: impl Into<String>) -> OAuthError {
        Self::new(ErrorCode::InvalidToken, description).with_challenge(Challenge::Bearer)
    }

    pub fn server_error(cause: impl std::fmt::Display) -> OAuthError {
        OAuthError {
            cause: Some(cause.to_string()),
            ..Self::new(
                ErrorCode::ServerError,
                "the server could not complete the request",
            )
        }
    }

    pub fn with_challenge(mut self, challenge: Challenge) -> OAuthError {
        self.challenge = challenge;
        self
    }

    /// HTTP status for token-style endpoints (RFC 6749 §5.2, RFC 6750 §3.1).
    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidClient if self.challenge == Challenge::Basic => 401,
            ErrorCode::InvalidClient => 401,
            ErrorCode::InvalidToken => 401,
            // At a resource the proof is part of the credentials; at /token it is a 400.
            ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
                if self.challenge == Challenge::DPoP =>
            {
                401
            }
            ErrorCode::InsufficientScope => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl From<DbError> for OAuthError {
    /// A passing database condition is `temporarily_unavailable` (503 with `Retry-After`);
    /// anything else is a `server_error`.
    fn from(e: DbError) -> Self {
        let base = if e.is_transient() {
            OAuthError {
                cause: Some(e.to_string()),
                ..Self::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the server is busy; retry the request shortly",
                )
            }
        } else {
            OAuthError::server_error(&e)
        };
        OAuthError {
            storage: Some(Box::new(e)),
            ..base
        }
    }
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}
