//! Identity: the one place that knows credentials and account status. For now, the password
//! hasher whose parameters come from configuration; accounts arrive with the OIDC flow.

pub mod password;
