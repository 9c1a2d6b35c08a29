//! A full disk and a read-only filesystem under the embedded SQLite database (issue 20,
//! item 3): writes are refused with `503` and `Retry-After` and a clear log line, reads keep
//! working, nothing is corrupted, and once space (or write access) returns the node writes
//! again without a restart (a full disk) or after the operator's repair (a read-only one). The
//! database lives on a small filesystem of the test's own.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::faults;
use crate::helpers::pool_options;
use crate::private_postgres::required;

/// A small tmpfs mounted on a temporary directory while this lives.
struct SmallDisk {
    mountpoint: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let mountpoint = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(mountpoint.path())
            .output()
            .is_ok_and(|out| out.status.success());
        if !mounted {
            required("mounting a tmpfs (root)");
            return None;
        }
        Some(SmallDisk { mountpoint })
    }

    fn path(&self) -> &std::path::Path {
        self.mountpoint.path()
    }

    /// Writes a file until the filesystem has no space left; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            if file.write_all(&chunk).and_then(|_| file.flush()).is_err() {
                break;
            }
        }
        // Smaller writes take the last partial pages too.
        while file.write_all(&[0u8; 512]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).output();
    }
}

/// `tessera serve` as a process whose data directory is on the disk under test, with a
/// machine client allowed to register clients.
/// An ext4 filesystem in a file, loop-mounted with `errors=remount-ro` as production disks
/// are, so the kernel can be made to turn it read-only under open files.
struct Ext4Disk {
    image: tempfile::NamedTempFile,
    mountpoint: tempfile::TempDir,
}

impl Ext4Disk {
    fn mount(megabytes: u64) -> Option<Ext4Disk> {
        let image = tempfile::NamedTempFile::new().unwrap();
        image.as_file().set_len(megabytes << 20).unwrap();
        let mountpoint = tempfile::tempdir().unwrap();
        let made = Command::new("mkfs.ext4")
            .args(["-q", "-F"])
            .arg(image.path())
            .output()
            .is_ok_and(|out| out.status.success());
        let disk = Ext4Disk { image, mountpoint };
        if !(made && disk.attach()) {
            required("a loop-mounted ext4 filesystem (root, mkfs.ext4)");
            return None;
        }
        Some(disk)
    }

    fn attach(&self) -> bool {
        Command::new("mount")
            .args(["-o", "loop,errors=remount-ro"])
            .arg(self.image.path())
            .arg(self.path())
            .output()
            .is_ok_and(|out| out.status.success())
    }

    fn path(&self) -> &std::path::Path {
        self.mountpoint.path()
    }

    /// Reports a filesystem error to ext4 (its `trigger_fs_error` knob): with
    /// `errors=remount-ro` the kernel makes the filesystem read-only at once, open files and
    /// all, which `mount -o remount,ro` refuses to do while files are open for writing.
    fn fail(&self) {
        let device = Command::new("findmnt")
            .args(["-n", "-o", "SOURCE"])
            .arg(self.path())
            .output()
            .unwrap();
        let device = String::from_utf8(device.stdout).unwrap();
        let name = device.trim().rsplit('/').next().unwrap().to_owned();
        std::fs::write(
            format!("/sys/fs/ext4/{name}/trigger_fs_error"),
            "tessera fault test",
        )
        .unwrap();
        let probe = std::fs::File::create(self.path().join("probe"));
        assert!(probe.is_err(), "the filesystem is read-only now");
    }

    /// What an operator does: unmount, check and repair, mount again.
    fn repair(&self) {
        let unmounted = Command::new("umount").arg(self.path()).status().unwrap();
        assert!(unmounted.success());
        // 0: clean, 1: errors corrected.
        let checked = Command::new("e2fsck")
            .arg("-fy")
            .arg(self.image.path())
            .output()
            .unwrap();
        assert!(matches!(checked.status.code(), Some(0 | 1)), "{checked:?}");
        assert!(self.attach());
    }
}

impl Drop for Ext4Disk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).output();
    }
}

struct Node {
    server: faults::Served,
    dir: PathBuf,
    http: reqwest::Client,
    port: u16,
    token: String,
    /// The machine client's id and secret.
    credentials: (String, String),
}

impl Node {
    async fn start_in(dir: PathBuf) -> Node {
        std::fs::create_dir_all(&dir).unwrap();
        let (server, port) = faults::start(&dir);
        let (id, secret) = faults::operator(&dir);
        Self::with(server, port, dir, &id, &secret).await
    }

    async fn with(server: faults::Served, port: u16, dir: PathBuf, id: &str, secret: &str) -> Node {
        let http = reqwest::Client::new();
        let token = faults::admin_token(&http, port, id, secret).await;
        Node {
            server,
            dir,
            http,
            port,
            token,
            credentials: (id.to_owned(), secret.to_owned()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/t/acme{path}", self.port)
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.join("data/tessera.db").display())
    }

    async fn register(&self, name: &str) -> reqwest::Response {
        self.http
            .post(self.url("/admin/api/v1/clients"))
            .bearer_auth(&self.token)
            .json(&json!({ "name": name, "grant_types": ["client_credentials"] }))
            .send()
            .await
            .unwrap()
    }

    async fn read(&self, client_id: &str) -> StatusCode {
        self.http
            .get(self.url(&format!("/admin/api/v1/clients/{client_id}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Four writers at once, `each` writes apiece; (acknowledged ids, refusals). Anything
    /// but 201 or 503 + Retry-After fails the test.
    async fn concurrent_writes(self: &Arc<Self>, round: &str, each: usize) -> (Vec<String>, usize) {
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let node = self.clone();
                let round = round.to_owned();
                tokio::spawn(async move {
                    let (mut acknowledged, mut refused) = (Vec::new(), 0);
                    for n in 0..each {
                        let answer = node.register(&format!("{round}-{writer}-{n}")).await;
                        match answer.status() {
                            StatusCode::CREATED => {
                                let body: Value = answer.json().await.unwrap();
                                acknowledged
                                    .push(body["client"]["client_id"].as_str().unwrap().to_owned());
                            }
                            StatusCode::SERVICE_UNAVAILABLE => {
                                assert!(answer.headers().contains_key("retry-after"));
                                assert_eq!(answer.headers()["cache-control"], "no-store");
                                let body: Value = answer.json().await.unwrap();
                                assert_eq!(body["error"], "temporarily_unavailable");
                                refused += 1;
                            }
                            other => panic!(
                                "a write answered {other}: {}",
                                answer.text().await.unwrap_or_default()
                            ),
                        }
                    }
                    (acknowledged, refused)
                })
            })
            .collect();
        let (mut acknowledged, mut refused) = (Vec::new(), 0);
        for writer in writers {
            let (ids, n) = writer.await.unwrap();
            acknowledged.extend(ids);
            refused += n;
        }
        (acknowledged, refused)
    }

    /// Reads that need no write still answer.
    async fn assert_reads_go_on(&self, client_id: &str) {
        assert_eq!(self.read(client_id).await, StatusCode::OK);
        let discovery = self
            .http
            .get(self.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap();
        assert_eq!(discovery.status(), StatusCode::OK);
    }

    /// SQLite's own check of every page and index, the acknowledged clients readable, and
    /// the audit chain whole.
    async fn assert_intact(&self, acknowledged: &[String]) {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let db = tessera::db::Db::connect(&self.database_url(), pool_options()).unwrap();
        let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut *db.conn().unwrap())
            .unwrap();
        let checks: Vec<&str> = checks.iter().map(|c| c.integrity_check.as_str()).collect();
        assert_eq!(checks, ["ok"]);
        for client_id in acknowledged {
            assert_eq!(
                self.read(client_id).await,
                StatusCode::OK,
                "acknowledged client {client_id} lost"
            );
        }
        let verified = faults::cli_json(
            &self.dir,
            &["audit", "verify", "--tenant", "acme", "--json"],
        );
        assert!(verified["broken"].is_null(), "{verified}");
    }

    fn stop(&mut self) {
        self.server.kill();
    }
}

/// Writes until one is refused (the disk is full), at most `limit`.
async fn write_until_refused(node: &Arc<Node>, round: &str, limit: usize) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for n in 0..limit {
        let (ids, refused) = node.concurrent_writes(&format!("{round}{n}"), 1).await;
        acknowledged.extend(ids);
        if refused > 0 {
            return acknowledged;
        }
    }
    panic!("{limit} rounds of writes on a full disk were all acknowledged");
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_writing_resumes_when_space_returns() {
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let node = Arc::new(Node::start_in(disk.path().join("node")).await);
    let (mut acknowledged, refused) = node.concurrent_writes("before", 3).await;
    assert_eq!((acknowledged.len(), refused), (12, 0));

    // An empty write-ahead log: the next write must take new space.
    tessera::db::Db::connect(&node.database_url(), pool_options())
        .unwrap()
        .truncate_write_ahead_log()
        .unwrap();
    let filler = disk.fill();
    acknowledged.extend(write_until_refused(&node, "full", 200).await);
    // Every write now is refused cleanly; reads go on.
    let (ids, refused) = node.concurrent_writes("still-full", 2).await;
    acknowledged.extend(ids);
    assert!(refused > 0);
    node.assert_reads_go_on(&acknowledged[0]).await;

    // Space returns: the same process writes again.
    std::fs::remove_file(filler).unwrap();
    let (ids, refused) = node.concurrent_writes("after", 3).await;
    assert_eq!(
        (ids.len(), refused),
        (12, 0),
        "writes resume without a restart"
    );
    acknowledged.extend(ids);
    node.assert_intact(&acknowledged).await;
}

/// The kernel turns the filesystem read-only under the running node, as ext4 does with
/// `errors=remount-ro` when the device fails. Writes answer 503, reads go on; after the
/// operator's repair (unmount, `e2fsck`, mount) the restarted node has every acknowledged
/// write, an intact database and a whole audit chain, and writes again.
#[tokio::test]
async fn a_disk_turned_read_only_refuses_writes_with_503_and_loses_nothing() {
    let Some(disk) = Ext4Disk::mount(64) else {
        return;
    };
    let dir = disk.path().join("node");
    let mut node = Arc::new(Node::start_in(dir.clone()).await);
    let (mut acknowledged, refused) = node.concurrent_writes("before", 3).await;
    assert_eq!((acknowledged.len(), refused), (12, 0));

    disk.fail();
    let (ids, refused) = node.concurrent_writes("read-only", 3).await;
    assert_eq!(
        (ids.len(), refused),
        (0, 12),
        "no write lands on a read-only disk"
    );
    node.assert_reads_go_on(&acknowledged[0]).await;

    let (id, secret) = node.credentials.clone();
    Arc::get_mut(&mut node).unwrap().stop();
    disk.repair();
    let (server, port) = faults::start(&dir);
    let node = Arc::new(Node::with(server, port, dir, &id, &secret).await);
    node.assert_intact(&acknowledged).await;
    let (ids, refused) = node.concurrent_writes("after", 3).await;
    assert_eq!((ids.len(), refused), (12, 0));
    acknowledged.extend(ids);
    node.assert_intact(&acknowledged).await;
}
