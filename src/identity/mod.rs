//! Identity: the one place that knows credentials and account status. Every way in (password
//! now; recovery, federation and admin actions later) asks this module whether an account may
//! sign in.

mod accounts;
pub mod challenge;
pub mod email_change;
pub mod erasure;
pub mod invitation;
pub mod legacy_hash;
pub mod mfa;
pub mod password;
pub mod recovery;
pub mod signin;
pub mod signup;
pub mod verification;

pub use accounts::load as load_account;
pub use accounts::{
    change_password, check_password, count_failed_attempt, create_account, email_index,
    existing_emails, find_account, find_account_by_id_or_email, find_by_email,
    import_password_hash, insert_account, insert_accounts, may_sign_in, may_sign_in_by_id, resume,
    seal_legacy, sign_in_completed, suspend, unlock, Account, AccountError, AccountStatus,
    Inserted, LoginError, NewAccount, PasswordChange, MAX_PASSWORD_BYTES,
};
