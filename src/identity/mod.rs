//! Identity: the one place that knows credentials and account status. Every way in (password
//! now; recovery, federation and admin actions later) asks this module whether an account may
//! sign in.

mod accounts;
pub mod password;

pub use accounts::{
    authenticate, create_account, find_account, may_sign_in, Account, AccountError, AccountStatus,
    LoginError, Profile,
};
