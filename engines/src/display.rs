//! The X display WebKitGTK draws on: Debian's Xvfb, one for the whole run. Firefox runs headless and
//! needs none.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{Group, work_dir};

pub struct Display {
    pub name: String,
    _process: Group,
}

impl Display {
    /// Starts Xvfb on the first display number that is free (another run, or `xvfb-run`, may hold
    /// some), and waits for its socket.
    pub fn start() -> anyhow::Result<Self> {
        for number in 140..200 {
            if Path::new(&format!("/tmp/.X{number}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
            {
                continue;
            }
            let name = format!(":{number}");
            let mut command = Command::new("Xvfb");
            command.args([name.as_str(), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"]);
            let mut process = Group::spawn("Xvfb", command, &work_dir().join("xvfb.log"))?;
            let socket = format!("/tmp/.X11-unix/X{number}");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !Path::new(&socket).exists() && Instant::now() < deadline && process.check_running().is_ok() {
                std::thread::sleep(Duration::from_millis(50));
            }
            if process.check_running().is_ok() && Path::new(&socket).exists() {
                return Ok(Self { name, _process: process });
            }
        }
        anyhow::bail!("no free X display for Xvfb (see target/engines/xvfb.log)")
    }
}
