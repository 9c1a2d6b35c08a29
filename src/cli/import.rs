//! `tessera import`: a legacy user base from a JSON-lines file (`admin::import`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::admin::import::{self, Batch, OnConflict, Options};
use crate::config::Settings;
use crate::identity::password::PasswordHasher;
use crate::startup::open_database;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[arg(long)]
    tenant: String,
    /// One JSON record per line (see docs/import.md).
    file: PathBuf,
    /// Check everything and report what would happen; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the JSON report here (mode 0600: it names emails) instead of to stdout.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Whose password an account keeps when its records disagree: newest (latest
    /// updated_at), first (in the file) or skip (import none of that email's records).
    #[arg(long, default_value = "newest")]
    on_conflict: OnConflict,
}

pub fn run(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let (db, vault) = open_database(settings)?;
    let mut conn = db.conn()?;
    let who = super::operator(&mut conn, &args.tenant)?;
    let hasher = PasswordHasher::from_settings(&settings.argon2)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("could not open {}", args.file.display()))?;
    let batch = Batch::read(&hasher, std::io::BufReader::new(file))
        .with_context(|| format!("could not read {}", args.file.display()))?;
    let options = Options {
        on_conflict: args.on_conflict,
        dry_run: args.dry_run,
    };
    let mut progress = Progress::new(batch.records());
    let report = import::run(
        &mut conn,
        &vault,
        &who,
        batch,
        options,
        &mut |_, done, total| progress.show(done, total),
    )?;
    progress.finish();
    let text = serde_json::to_string_pretty(&report)?;
    match &args.report {
        Some(path) => write_private(path, &text)?,
        None => println!("{text}"),
    }
    Ok(())
}

/// A bar on a terminal; otherwise a JSON line every so often (for logs and pipelines). On
/// stderr, so the report on stdout stays clean.
struct Progress {
    terminal: bool,
    records: usize,
    last: std::time::Instant,
}

impl Progress {
    fn new(records: usize) -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            records,
            last: std::time::Instant::now(),
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        let due = self.last.elapsed()
            >= std::time::Duration::from_millis(if self.terminal { 100 } else { 2000 });
        if !due && done != total {
            return;
        }
        self.last = std::time::Instant::now();
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let width = 30;
            let filled = done * width / total.max(1);
            let _ = write!(
                err,
                "\r[{}{}] {done}/{total} emails",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        } else {
            let _ = writeln!(
                err,
                "{}",
                serde_json::json!({ "progress": { "emails_done": done, "emails": total, "records": self.records } })
            );
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    // The mode above applies only to a new file: an existing one is made private too
    // before anything is written to it.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("could not make {} private", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(())
}
