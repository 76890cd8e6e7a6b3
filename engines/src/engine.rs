//! The two engines beside Chromium (which the Playwright suite drives): Debian's Firefox ESR through
//! geckodriver, and WebKitGTK's MiniBrowser through WebKitWebDriver, both over W3C WebDriver.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use thirtyfour::Capabilities;

use crate::process::{Group, free_port, wait_ready, work_dir};

/// How a journey puts a tab out of sight under WebDriver, so that its page is `hidden` and the
/// browser throttles its timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hiding {
    /// Another tab is opened and brought to the front: a background tab, as a user makes one.
    AnotherTabInFront,
    /// The window is minimised. WebKitGTK's MiniBrowser opens a WebDriver "new tab" behind the
    /// current one, and "Switch To Window" never brings it to the front, so no tab can be put behind
    /// another; a minimised window hides its tab the same way (`visibilityState` is `hidden`, timers
    /// are throttled), and setting the window's size restores it.
    MinimisedWindow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Firefox,
    WebKit,
}

const FIREFOX: &str = "/usr/bin/firefox-esr";
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Firefox, Engine::WebKit];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// WebKitGTK draws on an X display (Xvfb); Firefox runs headless.
    pub fn needs_display(self) -> bool {
        matches!(self, Engine::WebKit)
    }

    pub fn hiding(self) -> Hiding {
        match self {
            Engine::Firefox => Hiding::AnotherTabInFront,
            Engine::WebKit => Hiding::MinimisedWindow,
        }
    }

    /// The browser's own words for its version, for the run's header and the docs.
    pub fn version(self, display: Option<&str>) -> String {
        let mut command = match self {
            Engine::Firefox => Command::new(FIREFOX),
            Engine::WebKit => Command::new(MINIBROWSER),
        };
        command.arg("--version");
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        match command.output() {
            Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            Err(error) => format!("unknown ({error})"),
        }
    }

    /// Starts this engine's WebDriver server on a free port; answers its URL and the process.
    pub async fn start_driver(self, display: Option<&str>, log: &Path) -> anyhow::Result<(String, Group)> {
        let port = free_port("127.0.0.1");
        let command = match self {
            Engine::Firefox => {
                let mut command = Command::new("geckodriver");
                // Each geckodriver asks its Firefox for a WebDriver BiDi port; 9222 for all would
                // collide when two run at once.
                // Profiles under target/, so a run that was killed leaves nothing in /tmp.
                let profiles = work_dir().join("profiles");
                std::fs::create_dir_all(&profiles)?;
                command
                    .args(["--host", "127.0.0.1", "--log", "warn", "--profile-root"])
                    .arg(&profiles)
                    .args(["--port".to_owned(), port.to_string(), "--websocket-port".to_owned()])
                    .arg(free_port("127.0.0.1").to_string());
                command
            }
            Engine::WebKit => {
                let mut command = Command::new("WebKitWebDriver");
                command.arg(format!("--port={port}"));
                if let Some(display) = display {
                    command.env("DISPLAY", display);
                }
                command
            }
        };
        let mut process = Group::spawn(self.name(), command, log)?;
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&mut process, &format!("{url}/status"), Duration::from_secs(20)).await?;
        Ok((url, process))
    }

    pub fn capabilities(self) -> Capabilities {
        let value = match self {
            Engine::Firefox => json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": FIREFOX,
                    "args": ["-headless"],
                    // Nothing outside loopback is reachable here: no updates, reports or lookups.
                    "prefs": {
                        "app.update.auto": false,
                        "browser.shell.checkDefaultBrowser": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                        "network.captive-portal-service.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "toolkit.telemetry.reportingpolicy.firstRun": false,
                    },
                },
            }),
            Engine::WebKit => json!({
                "webkitgtk:browserOptions": { "binary": MINIBROWSER, "args": ["--automation"] },
            }),
        };
        serde_json::from_value(value).expect("capabilities are a JSON object")
    }
}
