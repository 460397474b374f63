//! A real `clickhouse-server` for the ClickHouse tests: one per test binary,
//! shared by its tests (each uses its own database), on free loopback ports,
//! with its config, data and logs in a directory under the target dir.
//!
//! Without a server binary the tests skip with a message, unless
//! `ANALYTICS_REQUIRE_CLICKHOUSE=1` (set by `.ci/run`): then they fail.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use analytics_core::clickhouse::Connection;

/// The running server of this test binary.
pub struct ClickHouse {
    url: String,
    zookeeper: bool,
    dir: PathBuf,
    binary: (PathBuf, Vec<String>),
    child: Mutex<Option<Child>>,
}

static SERVER: OnceLock<Option<ClickHouse>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The shared server, started on first use; `None` (after a printed notice)
/// when no `clickhouse-server` is installed and none is required.
pub fn server() -> Option<&'static ClickHouse> {
    SERVER.get_or_init(|| start(None)).as_ref()
}

/// The shared server with a ZooKeeper of its own (for `ON CLUSTER` DDL and
/// replicated tables); `None` when either is not installed and none is required.
pub fn server_with_zookeeper() -> Option<&'static ClickHouse> {
    SERVER
        .get_or_init(|| {
            let zookeeper = start_zookeeper()?;
            start(Some(zookeeper))
        })
        .as_ref()
}

/// Prints past the test harness's capture (which hides a passing test's
/// output), once per test binary.
fn notice(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

fn required() -> bool {
    std::env::var("ANALYTICS_REQUIRE_CLICKHOUSE").is_ok_and(|value| value == "1")
}

/// Debian's `zookeeper` package, run in the foreground on a free port with
/// its data in the target dir; returns the port once it answers `srvr`.
fn start_zookeeper() -> Option<u16> {
    let jar = Path::new("/usr/share/java/zookeeper.jar");
    let java = ["/usr/bin/java", "/usr/local/bin/java"]
        .into_iter()
        .map(Path::new)
        .find(|path| path.is_file());
    let Some(java) = java.filter(|_| jar.is_file()) else {
        assert!(
            !required(),
            "ANALYTICS_REQUIRE_CLICKHOUSE=1 but ZooKeeper is not installed \
             (apt-get install -y zookeeper)"
        );
        notice(
            "SKIPPED: no ZooKeeper (/usr/share/java/zookeeper.jar and java); install it with \
             `apt-get install -y zookeeper` to run the ClickHouse cluster tests",
        );
        return None;
    };
    let dir = work_dir("zookeeper");
    let port = free_port();
    let log = std::fs::File::create(dir.join("zookeeper.log")).unwrap();
    let mut command = Command::new(java);
    command
        .arg("-Xmx256m")
        .arg("-Dzookeeper.admin.enableServer=false")
        .arg("-cp")
        .arg(jar)
        .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
        .arg(port.to_string())
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let child = spawn_owned(command);
    std::mem::forget(child); // dies with the test process (PR_SET_PDEATHSIG)
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if four_letter(port, "srvr").is_some_and(|answer| answer.contains("Mode: standalone")) {
            return Some(port);
        }
        assert!(
            Instant::now() < deadline,
            "ZooKeeper did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn four_letter(port: u16, word: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(word.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// Spawns `command` so that it dies with the test process, even when a test
/// panics: statics are never dropped, so no `Drop` could stop it.
fn spawn_owned(mut command: Command) -> Child {
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    // PR_SET_PDEATHSIG fires when the spawning *thread* ends: spawn from a
    // thread that lives as long as the process.
    let (sender, receiver) = std::sync::mpsc::channel();
    let program = command.get_program().to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(command.spawn());
        loop {
            std::thread::park();
        }
    });
    receiver
        .recv()
        .unwrap()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.to_string_lossy()))
}

/// The binary that runs a server: `clickhouse-server`, or `clickhouse server`.
fn find_binary() -> Option<(PathBuf, Vec<String>)> {
    // An explicit binary (`clickhouse-server`, or a path that does not exist
    // to see the skip without uninstalling).
    if let Some(path) = std::env::var_os("ANALYTICS_CLICKHOUSE_SERVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some((path, Vec::new()));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/usr/bin", "/usr/local/bin"].map(PathBuf::from));
    for (name, args) in [
        ("clickhouse-server", vec![]),
        ("clickhouse", vec!["server".to_owned()]),
    ] {
        if let Some(dir) = dirs.iter().find(|dir| dir.join(name).is_file()) {
            return Some((dir.join(name), args));
        }
    }
    None
}

fn start(zookeeper: Option<u16>) -> Option<ClickHouse> {
    let Some(binary) = find_binary() else {
        assert!(
            !required(),
            "ANALYTICS_REQUIRE_CLICKHOUSE=1 but no clickhouse-server is installed \
             (apt-get install -y clickhouse-server)"
        );
        notice(
            "SKIPPED: no clickhouse-server found (PATH, /usr/sbin); install it with \
             `apt-get install -y clickhouse-server` to run the ClickHouse tests",
        );
        return None;
    };
    let dir = work_dir("clickhouse");
    let http = free_port();
    let tcp = free_port();
    let interserver = free_port();
    write_config(&dir, http, tcp, interserver, zookeeper);
    let server = ClickHouse {
        url: format!("http://127.0.0.1:{http}"),
        zookeeper: zookeeper.is_some(),
        dir,
        binary,
        child: Mutex::new(None),
    };
    server.restart();
    Some(server)
}

/// `target/tmp/<what>-<test binary>-<pid>`, after removing the ones of
/// earlier runs whose process is gone.
fn work_dir(what: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let exe = std::env::current_exe().unwrap();
    let name = exe.file_stem().unwrap().to_string_lossy().into_owned();
    let prefix = format!("{what}-{name}-");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = file_name.strip_prefix(&prefix) {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    let dir = base.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server's `config.xml` and `users.xml`: loopback ports, everything
/// under `dir`, a one-node cluster `analytics_test`, and ZooKeeper when given.
pub fn write_config(dir: &Path, http: u16, tcp: u16, interserver: u16, zookeeper: Option<u16>) {
    let d = dir.display();
    let zookeeper = match zookeeper {
        Some(port) => format!(
            "<zookeeper><node><host>127.0.0.1</host><port>{port}</port></node></zookeeper>\n  \
             <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>"
        ),
        None => String::new(),
    };
    let config = format!(
        r#"<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog><size>100M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <interserver_http_port>{interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
  <remote_servers>
    <analytics_test>
      <shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>{tcp}</port></replica></shard>
    </analytics_test>
  </remote_servers>
  <macros><shard>1</shard><replica>r1</replica></macros>
  {zookeeper}
</yandex>
"#
    );
    let users = r#"<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
"#;
    std::fs::write(dir.join("config.xml"), config).unwrap();
    std::fs::write(dir.join("users.xml"), users).unwrap();
}

impl ClickHouse {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection without a database.
    pub fn connection(&self) -> Connection {
        Connection::new(self.url.clone())
    }

    /// A new, empty database for one test; returns its name.
    pub fn fresh_database(&self, test: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let name = format!("{test}_{}_{n}", std::process::id());
        self.query(&format!("CREATE DATABASE {name}"));
        name
    }

    /// Runs a statement; panics with the server's message if it fails.
    pub fn query(&self, sql: &str) -> String {
        self.connection()
            .query(sql)
            .unwrap_or_else(|error| panic!("{sql}\n-> {error}"))
    }

    /// Kills the server with SIGKILL and waits for it to be gone.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        if let Some(mut process) = child.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// (Re)starts the server and waits (at most 60 s) until it answers a query.
    pub fn restart(&self) {
        self.kill();
        let log = std::fs::File::create(self.dir.join("stdout.log")).unwrap();
        let mut command = Command::new(&self.binary.0);
        command
            .args(&self.binary.1)
            .arg(format!(
                "--config-file={}",
                self.dir.join("config.xml").display()
            ))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        *self.child.lock().unwrap() = Some(spawn_owned(command));
        self.wait_ready(Duration::from_secs(60));
    }

    /// `GET /ping` answers `Ok.`.
    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let Ok(mut stream) = std::net::TcpStream::connect(address) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut response = String::new();
        stream
            .write_all(b"GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .and_then(|()| stream.read_to_string(&mut response))
            .is_ok()
            && response.starts_with("HTTP/1.")
            && response.contains(" 200 ")
            && response.ends_with("Ok.\n")
    }

    /// The server's DDL worker has made its queue in ZooKeeper: 18.16 can
    /// crash on an `ON CLUSTER` query that arrives before.
    fn ddl_queue_ready(&self) -> bool {
        self.connection()
            .query("SELECT name FROM system.zookeeper WHERE path = '/clickhouse/task_queue'")
            .is_ok_and(|names| names.lines().any(|name| name == "ddl"))
    }

    fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if self.ping() && (!self.zookeeper || self.ddl_queue_ready()) {
                return;
            }
            if let Some(status) = self
                .child
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten())
            {
                panic!(
                    "clickhouse-server exited ({status}); its log:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "clickhouse-server did not answer within {limit:?}; its log:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of the server's error log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("server.err.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// The directory of the server's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Skips the test (returns) when no server is available.
#[macro_export]
macro_rules! clickhouse_or_skip {
    () => {
        match clickhouse_support::server() {
            Some(server) => server,
            None => return,
        }
    };
}
