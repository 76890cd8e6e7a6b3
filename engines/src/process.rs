//! The processes a run starts (servers, drivers, the X display) and how they are stopped: each in a
//! process group of its own, killed whole, so a browser a driver started never outlives the run,
//! even when a journey panics half-way.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root: the server binary, `target/site` and the SQLite files are found from here.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("engines/ sits in the workspace").to_path_buf()
}

/// Where a run keeps its databases and logs: `target/engines/`, recreated by each run.
pub fn work_dir() -> PathBuf {
    root().join("target/engines")
}

/// A port nobody listens on now. Another process could take it before ours binds it; on a test
/// machine that only this suite and the Playwright suite (fixed ports 3100–3103) share, it does not.
pub fn free_port(host: &str) -> u16 {
    TcpListener::bind((host, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A started process and its whole process group, killed when dropped.
pub struct Group {
    what: String,
    child: Child,
}

impl Group {
    /// Starts `command` in a new process group, its output appended to `log`.
    pub fn spawn(what: &str, mut command: Command, log: &Path) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt;
        let out = File::options().create(true).append(true).open(log)?;
        command.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).process_group(0);
        let child = command.spawn().map_err(|error| anyhow::anyhow!("starting {what}: {error}"))?;
        Ok(Self { what: what.to_owned(), child })
    }

    /// Fails if the process has already exited (it could not start, or its port was taken).
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait()? {
            Some(status) => anyhow::bail!("{} exited early: {status}", self.what),
            None => Ok(()),
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a negative pid signals the process group this struct created.
        let pgid = self.child.id() as libc::pid_t;
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Waits until `url` answers 200, while `process` keeps running.
pub async fn wait_ready(process: &mut Group, url: &str, within: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        process.check_running()?;
        if let Ok(answer) = client.get(url).timeout(Duration::from_secs(2)).send().await
            && answer.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("{} did not answer at {url} within {within:?}", process.what);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
