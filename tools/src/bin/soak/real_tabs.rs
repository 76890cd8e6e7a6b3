//! The real browsers beside the simulated ones: Chromium tabs under Playwright (`end2end/soak`),
//! Firefox ESR tabs under geckodriver driven from this process, both through the proxy. Each tab
//! reports the endings its banner and history showed, and each ending is checked against the
//! ledger.

use crate::PASSWORD;
use crate::ledger::{Ledger, World};
use anyhow::Context as _;
use lanyard::contract::{LogoutCode, Role};
use lanyard::engine::Engine;
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---- Chromium tabs ----

/// Real Chromium tabs (Playwright, `end2end/soak/soak.spec.ts`) browsing through the proxy.
pub(crate) struct Chromium {
    child: std::process::Child,
    result: std::path::PathBuf,
    emails: Vec<String>,
}

/// An ending a real tab met: the code its logout history names, and whether its banner and its
/// history showed it.
#[derive(serde::Deserialize)]
struct TabEnding {
    email: String,
    code: LogoutCode,
    banner: bool,
    history: bool,
}

impl Chromium {
    pub(crate) async fn start(
        operator: &Arc<Engine>,
        world: &Arc<World>,
        tabs: usize,
        seconds: u64,
    ) -> anyhow::Result<Self> {
        let emails: Vec<String> = (0..tabs).map(|i| format!("soak-chromium-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }
        let result = std::env::temp_dir().join(format!("lanyard-soak-chromium-{}.json", std::process::id()));
        let child = std::process::Command::new("npx")
            .args(["playwright", "test", "--config", "soak/playwright.config.ts"])
            .current_dir("end2end")
            .env("SOAK_URL", &world.base)
            .env("SOAK_EMAILS", emails.join(","))
            .env("SOAK_PASSWORD", PASSWORD)
            .env("SOAK_SECONDS", seconds.to_string())
            .env("SOAK_RESULT", &result)
            .stdout(std::process::Stdio::inherit())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .context("starting Playwright for the Chromium tabs")?;
        if let Some(email) = emails.first().cloned() {
            // One ending a browser must explain in its banner and history: an operator revocation.
            let (operator, world) = (operator.clone(), world.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(seconds / 3)).await;
                world.ledger.cause(&email, LogoutCode::AdminRevoked, None);
                let _ = operator.revoke_user_sessions(&email).await;
            });
        }
        Ok(Self { child, result, emails })
    }

    pub(crate) fn finish(mut self, ledger: &Ledger) -> anyhow::Result<BrowserReport> {
        let status = self.child.wait()?;
        let text = std::fs::read_to_string(&self.result).context("the Chromium tabs wrote no result")?;
        let endings: Vec<TabEnding> = serde_json::from_str(&text)?;
        let _ = std::fs::remove_file(&self.result);
        Ok(BrowserReport::judge(BrowserKind::Chromium, self.emails.len(), status.success(), endings, ledger))
    }
}

// ---- Firefox tabs ----

/// The pages a real tab moves between, as the Chromium tabs do.
const PAGES: [&str; 4] = ["/", "/sessions", "/jobs", "/billing"];

/// Real Firefox ESR tabs, each in a browser of its own under geckodriver, driven from this process
/// through the proxy as the Chromium tabs are: they browse, and whenever one finds itself on /signin
/// it records the ending its banner and history show and signs in again.
pub(crate) struct Firefox {
    tabs: Vec<std::thread::JoinHandle<anyhow::Result<Vec<TabEnding>>>>,
}

impl Firefox {
    pub(crate) async fn start(
        operator: &Arc<Engine>,
        world: &Arc<World>,
        tabs: usize,
        seconds: u64,
    ) -> anyhow::Result<Self> {
        let emails: Vec<String> = (0..tabs).map(|i| format!("soak-firefox-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }
        let logs = lanyard_engines::process::work_dir();
        std::fs::create_dir_all(&logs)?;
        let tabs = emails
            .iter()
            .enumerate()
            .map(|(index, email)| {
                let (base, email) = (world.base.clone(), email.clone());
                let log = logs.join(format!("soak-firefox-{index}.driver.log"));
                // A thread with a runtime of its own: the WebDriver client's futures are not `Send`
                // for every lifetime, which `tokio::spawn` requires.
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(firefox_tab(&base, &email, seconds, &log))
                })
            })
            .collect();
        if let Some(email) = emails.first().cloned() {
            // One ending the tab must explain in its banner and history: an operator revocation,
            // at another moment than the Chromium tab's.
            let (operator, world) = (operator.clone(), world.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(seconds / 2)).await;
                world.ledger.cause(&email, LogoutCode::AdminRevoked, None);
                let _ = operator.revoke_user_sessions(&email).await;
            });
        }
        Ok(Self { tabs })
    }

    pub(crate) async fn finish(self, ledger: &Ledger) -> BrowserReport {
        let count = self.tabs.len();
        let mut endings = Vec::new();
        let mut ok = true;
        for tab in self.tabs {
            match tokio::task::spawn_blocking(move || tab.join()).await.expect("joining a Firefox tab's thread") {
                Ok(Ok(seen)) => endings.extend(seen),
                Ok(Err(error)) => {
                    eprintln!("soak: a Firefox tab failed: {error:#}");
                    ok = false;
                }
                Err(_) => {
                    eprintln!("soak: a Firefox tab panicked");
                    ok = false;
                }
            }
        }
        BrowserReport::judge(BrowserKind::Firefox, count, ok, endings, ledger)
    }
}

async fn firefox_tab(base: &str, email: &str, seconds: u64, log: &std::path::Path) -> anyhow::Result<Vec<TabEnding>> {
    let browser = lanyard_engines::browser::Browser::start(lanyard_engines::engine::Engine::Firefox, None, log).await?;
    let outcome = firefox_browse(&browser, base, email, seconds).await;
    browser.quit().await;
    outcome
}

async fn firefox_browse(
    browser: &lanyard_engines::browser::Browser,
    base: &str,
    email: &str,
    seconds: u64,
) -> anyhow::Result<Vec<TabEnding>> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut endings = Vec::new();
    let mut seen_history = 0;
    firefox_sign_in(browser, base, email).await?;
    let mut step = 0_usize;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        step += 1;
        if browser.url().await.unwrap_or_default().contains("/signin") {
            let banner = browser.role_text("alert", None, "Session ended").await.unwrap_or_default();
            let history = browser.local_storage("logout_history").await.unwrap_or_default();
            let entries = history.as_array().cloned().unwrap_or_default();
            let last = entries.first();
            let code = last.and_then(|entry| serde_json::from_value(entry["code"].clone()).ok());
            let message = last.and_then(|entry| entry["message"].as_str()).unwrap_or("");
            endings.push(TabEnding {
                email: email.to_owned(),
                code: code.unwrap_or(LogoutCode::OtherTabLogout),
                banner: last.is_some() && banner.contains(message),
                history: entries.len() > seen_history,
            });
            seen_history = entries.len();
            firefox_sign_in(browser, base, email).await?;
        } else if step.is_multiple_of(5) {
            // A page that does not load in time under the injected faults is only a slow page.
            let _ = browser.goto(&format!("{base}{}", PAGES[(step / 5) % PAGES.len()])).await;
        }
    }
    Ok(endings)
}

/// Signs in, again after a refusal the proxy injected (a 503, a dropped answer), as a user would.
async fn firefox_sign_in(browser: &lanyard_engines::browser::Browser, base: &str, email: &str) -> anyhow::Result<()> {
    for _ in 0..20 {
        if !browser.url().await.unwrap_or_default().contains("/signin") {
            let _ = browser.goto(&format!("{base}/signin")).await;
        }
        let attempt = async {
            browser.sign_in_with(email, PASSWORD).await?;
            browser.button("Sign out").await
        };
        if attempt.await.is_ok() {
            return Ok(());
        }
        let _ = browser.goto(&format!("{base}/signin")).await;
    }
    anyhow::bail!("{email} could not sign in in Firefox")
}

/// The real browsers beside the simulated ones.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BrowserKind {
    /// Playwright's tabs (`end2end/soak`).
    Chromium,
    /// geckodriver's tabs, driven from this process.
    Firefox,
}

impl BrowserKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// What drove the tabs, as the report names it.
    pub(crate) fn driver(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "playwright",
            BrowserKind::Firefox => "webdriver",
        }
    }
}

pub(crate) struct BrowserReport {
    pub(crate) kind: BrowserKind,
    pub(crate) tabs: usize,
    pub(crate) driver_ok: bool,
    pub(crate) endings: usize,
    pub(crate) explained: usize,
}

impl BrowserReport {
    /// Checks every ending the tabs met against the ledger: explained only when the ledger has its
    /// cause and the tab's banner and history both showed it.
    fn judge(kind: BrowserKind, tabs: usize, driver_ok: bool, endings: Vec<TabEnding>, ledger: &Ledger) -> Self {
        let mut report = Self { kind, tabs, driver_ok, endings: 0, explained: 0 };
        for ending in endings {
            let explained = ledger.explains(&ending.email, ending.code, Instant::now());
            report.endings += 1;
            if explained && ending.banner && ending.history {
                report.explained += 1;
            } else {
                eprintln!("soak: a {} tab of {} ended with {} unexplained", kind.name(), ending.email, ending.code);
            }
        }
        report
    }
}
