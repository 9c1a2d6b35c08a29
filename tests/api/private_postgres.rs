//! A PostgreSQL server of a test's own (`initdb` into a temporary directory), which the test
//! may restart, stop or cut off from the network without touching the shared server the other
//! tests use.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Root cannot run PostgreSQL: commands then run as the `postgres` user.
    as_postgres: bool,
    pub port: u16,
}

/// Whether a fault test that needs `what` must run (under CI=true it must: a skipped fault
/// test would pass CI without testing anything), or may be skipped with a note.
pub fn required(what: &str) -> bool {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {what} is not available here: this fault test must run");
    }
    eprintln!("skipping: {what} is not available here");
    false
}

/// The directory holding `initdb` and `pg_ctl` (Debian keeps them out of PATH).
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|version| version.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// A new, running server; `None` (the test skips) where PostgreSQL's server binaries are
    /// not installed.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(bin) = bin_dir() else {
            required("a PostgreSQL server installation (initdb)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("tessera-pg-")
            .tempdir()
            .unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PrivatePostgres {
            dir,
            bin,
            as_postgres,
            port,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        server.start_again();
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// One of PostgreSQL's programs, run as the user that owns the cluster.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.current_dir(self.dir.path());
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }

    /// The server's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60",
            self.port,
            self.socket_dir().display()
        );
        self.pg_ctl("start", &["-o", &options]);
    }

    /// Stops the server: `fast` ends sessions politely, `immediate` is a crash (no shutdown
    /// checkpoint, connections cut).
    pub fn stop(&self, mode: &str) {
        self.pg_ctl("stop", &["-m", mode]);
    }

    /// A restart as an operator does it: every connection is ended.
    pub fn restart(&self) {
        self.pg_ctl("restart", &["-m", "fast"]);
    }

    /// `pg_ctl ACTION` on this cluster, waiting for it to finish. Always with the log file:
    /// a server started without one inherits pg_ctl's output pipes, and waiting for pg_ctl's
    /// output would then wait for the server to exit.
    fn pg_ctl(&self, action: &str, options: &[&str]) {
        let (data, log) = (self.data(), self.log_path());
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        args.extend_from_slice(options);
        args.push(action);
        self.run("pg_ctl", &args);
    }

    fn log_path(&self) -> String {
        self.dir.path().join("log").display().to_string()
    }

    pub fn admin_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Already stopped is fine; nothing else can be done about a failure here.
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Packets to a local port dropped (not refused) while this lives: the database host is
/// unreachable, as in a network partition. Needs iptables and the right to use it.
pub struct Blackhole {
    port: u16,
}

impl Blackhole {
    fn rule(port: u16, action: &str) -> bool {
        Command::new("iptables")
            .args([action, "INPUT", "-p", "tcp", "-i", "lo", "--dport"])
            .arg(port.to_string())
            .args(["-j", "DROP"])
            .output()
            .is_ok_and(|out| out.status.success())
    }

    pub fn cut(port: u16) -> Option<Blackhole> {
        if Self::rule(port, "-I") {
            Some(Blackhole { port })
        } else {
            required("iptables (to drop packets to the database)");
            None
        }
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        Self::rule(self.port, "-D");
    }
}
