//! What the command-line tests share.

#![allow(dead_code)] // each test file uses its part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A fresh directory under cargo's test temp dir, named after the test file
/// (`name`), this process and the time.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `analytics serve` on `listen` with `dir/plan.json`, `dir/out` and
/// `args`, and waits (at most 30 s) until it listens; the child and the
/// address it printed.
pub fn serve(dir: &Path, listen: &str, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_analytics"))
        .args(["serve", "--plan"])
        .arg(dir.join("plan.json"))
        .args(["--listen", listen, "--out"])
        .arg(dir.join("out"))
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (ready, listening) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(address) = line.split("listening on ").nth(1) {
                let _ = ready.send(address.trim().to_owned());
            }
        }
    });
    let address = listening
        .recv_timeout(Duration::from_secs(30))
        .expect("the collector starts listening");
    (child, address)
}
