//! Retention (docs/privacy.md): each tenant's policy applied once a day, by whichever node
//! claims the day first (`db::tenants::claim_retention_run`), so any number of nodes may run
//! it at once. Every step is idempotent on its own too, so a round cut short is finished by
//! the next day's.
//!
//! - Accounts unused for `retention_inactive_days` are erased; `INACTIVITY_WARNING_DAYS`
//!   before, their owners get a warning mail, and signing in clears it. An account is never
//!   erased without having been warned that long before, even when the policy is new.
//! - Profile attribute values past their schema retention are dropped.
//! - Audit entries older than `retention_audit_days` are dropped behind a signed anchor (the
//!   newest dropped entry's sequence number and hash, signed with the tenant's key), so the
//!   rest of the chain still verifies and cutting it without the key is detected.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use crate::audit::Actor;
use crate::checkpoints::{self, CheckpointError};
use crate::db::{accounts as account_rows, audit as audit_rows, tenants as tenant_rows};
use crate::db::{tx, AnyConnection, Db, DbError};
use crate::domain::{rfc3339, unix_now, AccountId, TenantId};
use crate::keys::KeyStore;
use crate::profiles::ProfileError;
use crate::tenancy::policy::INACTIVITY_WARNING_DAYS;
use crate::tenancy::tenants;
use crate::tenancy::{Tenant, TenantError};

const DAY: i64 = 86_400;
/// Rows one step handles per query.
const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Tenant(#[from] TenantError),
}

/// A warning mail to send once the round has committed.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub to: String,
    pub tenant_slug: String,
    pub tenant_name: String,
    /// The day the account goes unless its owner signs in (RFC 3339).
    pub erase_on: String,
}

/// What one round did.
#[derive(Debug, Default, Serialize)]
pub struct Round {
    /// Tenants whose daily run this round claimed.
    pub tenants: usize,
    pub warned: Vec<Warning>,
    pub accounts_erased: usize,
    pub attributes_dropped: usize,
    pub audit_entries_dropped: usize,
}

/// One round at `now`: every tenant with a retention policy whose daily run is due.
pub fn run_once(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    now: i64,
) -> Result<Round, RetentionError> {
    let mut round = Round::default();
    for tenant in tenants::list(conn)? {
        let policy = &tenant.policy;
        let attributes = crate::profiles::attributes::Schema::load(conn, &tenant.id)?
            .0
            .iter()
            .any(|d| d.retention_days.is_some());
        let wanted = policy.retention_inactive_days.is_some()
            || policy.retention_audit_days.is_some()
            || attributes;
        // Every round (not only a claimed day): an anchor signed by a rotated key is signed
        // again before that key can be retired; idempotent on any number of nodes.
        refresh_anchor(conn, keys, &tenant.id, now)?;
        if !wanted || !tenant_rows::claim_retention_run(conn, &tenant.id, now, DAY)? {
            continue;
        }
        round.tenants += 1;
        if let Some(days) = policy.retention_inactive_days {
            warn_inactive(conn, keys, &tenant, days, now, &mut round.warned)?;
            round.accounts_erased += erase_inactive(conn, &tenant.id, days, now)?;
        }
        if attributes {
            round.attributes_dropped +=
                crate::profiles::drop_expired_attributes(conn, keys.vault(), &tenant.id, now)?;
        }
        if let Some(days) = policy.retention_audit_days {
            round.audit_entries_dropped += prune_audit(conn, keys, &tenant.id, days, now)?;
        }
    }
    Ok(round)
}

/// Warns the owners of accounts unused for the period less the warning lead, once each.
fn warn_inactive(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &Tenant,
    days: i64,
    now: i64,
    warned: &mut Vec<Warning>,
) -> Result<(), RetentionError> {
    let before = now - (days - INACTIVITY_WARNING_DAYS) * DAY;
    loop {
        let ids = account_rows::inactive(conn, &tenant.id, before, None, BATCH)?;
        let done = (ids.len() as i64) < BATCH;
        for id in ids {
            let account = AccountId::from_stored(id);
            let to = tx::write(conn, |conn| {
                if !account_rows::mark_inactivity_warned(conn, &tenant.id, &account, now)? {
                    return Ok::<_, DbError>(None);
                }
                crate::audit::record(
                    conn,
                    &tenant.id,
                    Actor::system().event(
                        "account.inactivity_warned",
                        account.as_str(),
                        json!({ "erase_after_days": INACTIVITY_WARNING_DAYS }),
                    ),
                )?;
                let row = account_rows::find(conn, &tenant.id, &account)?;
                Ok(row.and_then(|row| crate::identity::load_account(keys.vault(), row).ok()))
            })?;
            if let Some(account) = to {
                warned.push(Warning {
                    to: account.email.to_string(),
                    tenant_slug: tenant.slug.to_string(),
                    tenant_name: tenant.name.clone(),
                    erase_on: rfc3339(now + INACTIVITY_WARNING_DAYS * DAY),
                });
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// Erases accounts unused for the whole period and warned at least the lead time ago;
/// each is checked again under its lock (a sign-in since the query keeps it).
fn erase_inactive(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    days: i64,
    now: i64,
) -> Result<usize, RetentionError> {
    let before = now - days * DAY;
    let warned_before = now - INACTIVITY_WARNING_DAYS * DAY;
    let mut erased = 0;
    loop {
        let ids = account_rows::inactive(conn, tenant, before, Some(warned_before), BATCH)?;
        let done = (ids.len() as i64) < BATCH;
        let mut progressed = false;
        for id in ids {
            let account = AccountId::from_stored(id);
            let still = |conn: &mut AnyConnection| {
                account_rows::still_inactive(conn, tenant, &account, before, warned_before)
            };
            if crate::identity::erasure::erase_when(
                conn,
                tenant,
                &account,
                &Actor::system(),
                still,
            )? {
                erased += 1;
                progressed = true;
            }
        }
        // Accounts that were kept stay in the query; stop rather than loop on them.
        if done || !progressed {
            return Ok(erased);
        }
    }
}

/// Drops the audit entries recorded before the retention period behind a signed anchor;
/// returns how many went.
fn prune_audit(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    days: i64,
    now: i64,
) -> Result<usize, RetentionError> {
    crate::audit::chain_pending(conn, tenant)?;
    let base = audit_rows::base(conn, tenant)?;
    let cutoff = now - days * DAY;
    if let Some((seq, hash)) = audit_rows::last_before(conn, tenant, cutoff)? {
        if base.as_ref().is_none_or(|b| b.seq < seq) {
            if let Some(jws) = checkpoints::sign_anchor(conn, keys, tenant, seq, &hash, now)? {
                let anchor = audit_rows::Base { seq, hash, jws };
                let from = base.as_ref().map_or(0, |b| b.seq);
                tx::write(conn, |conn| {
                    // Ordered with the sequencer, which holds the head while it chains.
                    audit_rows::lock_head(conn, tenant)?;
                    if !audit_rows::set_base(conn, tenant, &anchor)? {
                        return Ok(());
                    }
                    // Recorded with the move of the base, so the cut never goes unrecorded;
                    // the chain is contiguous, so the entries it covers are known now.
                    crate::audit::record(
                        conn,
                        tenant,
                        Actor::system().event(
                            "audit.pruned",
                            tenant.as_str(),
                            json!({
                                "up_to_seq": anchor.seq,
                                "entries": anchor.seq - from,
                                "retention_days": days,
                            }),
                        ),
                    )
                })?;
            }
        }
    }
    // Whatever the base covers goes, including what an earlier round left behind.
    let Some(base) = audit_rows::base(conn, tenant)? else {
        return Ok(0);
    };
    let mut dropped = 0;
    loop {
        let n = tx::statement(conn, |conn| {
            audit_rows::prune(conn, tenant, base.seq, BATCH)
        })?;
        dropped += n;
        if (n as i64) < BATCH {
            break;
        }
    }
    Ok(dropped)
}

/// Signs the tenant's retention anchor again with its active key when an older key signed
/// it (see `checkpoints::refresh_anchor`).
fn refresh_anchor(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    tenant: &TenantId,
    now: i64,
) -> Result<(), RetentionError> {
    let Some(mut base) = audit_rows::base(conn, tenant)? else {
        return Ok(());
    };
    if let Some(jws) = checkpoints::refresh_anchor(conn, keys, tenant, &base.jws, now)? {
        base.jws = jws;
        tx::statement(conn, |conn| audit_rows::set_base_jws(conn, tenant, &base))?;
    }
    Ok(())
}

/// Sends the warnings of a round (after it committed).
pub async fn send_warnings(
    settings: &crate::config::Settings,
    mailer: &crate::mail::Mailer,
    from: &lettre::message::Mailbox,
    warnings: Vec<Warning>,
) {
    for w in warnings {
        let Ok(slug) = crate::domain::TenantSlug::parse(&w.tenant_slug) else {
            continue;
        };
        let link = format!(
            "{}/login?next=account",
            crate::tenancy::issuer(settings, &slug)
        );
        let t = crate::i18n::Texts::default();
        match crate::mail::messages::inactivity_warning(
            &t,
            &w.to,
            &w.tenant_name,
            &link,
            &w.erase_on,
        ) {
            Ok(mail) => mailer.send(from, mail).await,
            Err(e) => tracing::error!(error = %e, "could not render an inactivity warning"),
        }
    }
}

/// Runs a round every `interval` (none when zero) and mails its warnings.
pub async fn run(
    db: Db,
    keys: Arc<KeyStore>,
    settings: Arc<crate::config::Settings>,
    mailer: crate::mail::Mailer,
    from: lettre::message::Mailbox,
    interval: Duration,
) {
    if interval.is_zero() {
        return;
    }
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let keys = keys.clone();
        match db.run(move |conn| run_once(conn, &keys, unix_now())).await {
            Ok(round) => {
                if round.tenants > 0 {
                    tracing::info!(
                        tenants = round.tenants,
                        warned = round.warned.len(),
                        erased = round.accounts_erased,
                        attributes = round.attributes_dropped,
                        audit_entries = round.audit_entries_dropped,
                        "retention applied"
                    );
                }
                send_warnings(&settings, &mailer, &from, round.warned).await;
            }
            // The day's claim is taken; the steps are idempotent and the next day goes on.
            Err(e) => tracing::warn!(error = %e, "retention round failed"),
        }
    }
}
