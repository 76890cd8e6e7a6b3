//! One browser of one engine, driven by its own WebDriver server, and what a journey does with it:
//! find things by their accessible names (SPEC §5), sign in, read the client's token status and
//! storage, wait for what the user would wait for.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use thirtyfour::prelude::*;
use thirtyfour::{Key, WindowHandle};

use crate::engine::Engine;
use crate::process::Group;
use crate::server::DEMO_PASSWORD;

/// How long a journey waits for what a user would see at once (a page, a banner) before failing.
pub const SOON: Duration = Duration::from_secs(15);

pub struct Browser {
    pub engine: Engine,
    pub driver: WebDriver,
    _process: Group,
}

/// `window.__tokenMonitor.getTokenStatus()` (SPEC §4).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    pub signed_in: bool,
    pub access_expires_at: Option<i64>,
    pub access_expires_in_secs: Option<i64>,
    pub last_refresh_at: Option<i64>,
    pub session_id: Option<String>,
    pub level: String,
}

/// An XPath string literal for `text` (which holds no double quote: the names here are ours).
fn literal(text: &str) -> String {
    assert!(!text.contains('"'), "names with a double quote are not supported: {text}");
    format!("\"{text}\"")
}

impl Browser {
    pub async fn start(engine: Engine, display: Option<&str>, log: &Path) -> anyhow::Result<Self> {
        let (url, process) = engine.start_driver(display, log).await?;
        let driver = WebDriver::new(url, engine.capabilities()).await?;
        driver.set_page_load_timeout(Duration::from_secs(30)).await?;
        driver.set_script_timeout(Duration::from_secs(30)).await?;
        Ok(Self { engine, driver, _process: process })
    }

    /// Ends the WebDriver session (the browser closes); the driver process goes when `self` drops.
    pub async fn quit(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.driver.clone().quit()).await;
    }

    /// Polls `probe` until it answers `Some`, for at most `within`; the error names `what`.
    pub async fn wait<T>(
        &self,
        what: &str,
        within: Duration,
        mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + within;
        let mut last = None;
        loop {
            match probe().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(error) => last = Some(error),
            }
            if Instant::now() > deadline {
                let url = self.url().await.unwrap_or_default();
                let last = last.map(|error| format!(" (last error: {error:#})")).unwrap_or_default();
                anyhow::bail!("{}: waited {within:?} for {what} at {url}{last}", self.engine.name());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        Ok(self.driver.goto(url).await?)
    }

    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self.driver.current_url().await?.to_string())
    }

    pub async fn reload(&self) -> anyhow::Result<()> {
        Ok(self.driver.refresh().await?)
    }

    /// Runs `body` as a function in the page and deserialises what it returns.
    pub async fn script<T: DeserializeOwned>(&self, body: &str) -> anyhow::Result<T> {
        let answer = self.driver.execute(body, Vec::new()).await?;
        Ok(serde_json::from_value(answer.json().clone())?)
    }

    /// The client's status, once the page has hydrated and installed its monitor.
    pub async fn token_status(&self) -> anyhow::Result<TokenStatus> {
        self.wait("the page to hydrate (window.__tokenMonitor)", SOON, async || {
            self.script("return window.__tokenMonitor ? window.__tokenMonitor.getTokenStatus() : null;").await
        })
        .await
    }

    /// A localStorage entry of the current page's origin, parsed as JSON (null when absent).
    pub async fn local_storage(&self, key: &str) -> anyhow::Result<serde_json::Value> {
        self.script(&format!("return JSON.parse(localStorage.getItem({}) ?? 'null');", serde_json::to_string(key)?))
            .await
    }

    /// The first element `xpath` names that is displayed, if any.
    async fn displayed(&self, xpath: &str) -> anyhow::Result<Option<WebElement>> {
        for element in self.driver.find_all(By::XPath(xpath)).await? {
            if element.is_displayed().await? {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }

    /// A button by its accessible name: its text, or its aria-label.
    pub async fn button(&self, name: &str) -> anyhow::Result<WebElement> {
        let xpath = format!("//button[normalize-space()={0} or @aria-label={0}]", literal(name));
        self.wait(&format!("the button \"{name}\""), SOON, async || self.displayed(&xpath).await).await
    }

    /// A form field by the text of its label.
    pub async fn field(&self, label: &str) -> anyhow::Result<WebElement> {
        let xpath = format!("//*[@id=//label[normalize-space()={}]/@for]", literal(label));
        self.wait(&format!("the field labelled \"{label}\""), SOON, async || self.displayed(&xpath).await).await
    }

    /// Whether anything with `role` is on the page now.
    pub async fn has_role(&self, role: &str) -> anyhow::Result<bool> {
        Ok(!self.driver.find_all(By::Css(format!("[role=\"{role}\"]"))).await?.is_empty())
    }

    /// The text of the first displayed element with `role` (and `name`, its aria-label, if given),
    /// once it contains `expected`.
    pub async fn role_text(&self, role: &str, name: Option<&str>, expected: &str) -> anyhow::Result<String> {
        let selector = match name {
            Some(name) => format!("[role=\"{role}\"][aria-label=\"{name}\"]"),
            None => format!("[role=\"{role}\"]"),
        };
        self.wait(&format!("[role={role}] saying \"{expected}\""), SOON, async || {
            for element in self.driver.find_all(By::Css(selector.clone())).await? {
                let text = element.text().await?;
                if element.is_displayed().await? && text.contains(expected) {
                    return Ok(Some(text));
                }
            }
            Ok(None)
        })
        .await
    }

    pub async fn wait_for_url(&self, what: &str, accept: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        self.wait(&format!("the address to be {what}"), SOON, async || {
            let url = self.url().await?;
            Ok(accept(&url).then_some(url))
        })
        .await
    }

    /// Fills in and submits the sign-in form once the page has hydrated (the button is disabled
    /// until then).
    pub async fn sign_in(&self, email: &str) -> anyhow::Result<()> {
        self.sign_in_with(email, DEMO_PASSWORD).await
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let button = self.button("Sign in").await?;
        self.wait("\"Sign in\" to be enabled", SOON, async || Ok(button.is_enabled().await?.then_some(()))).await?;
        let field = self.field("Email").await?;
        field.clear().await?;
        field.send_keys(email).await?;
        let field = self.field("Password").await?;
        field.clear().await?;
        field.send_keys(password).await?;
        button.click().await?;
        Ok(())
    }

    /// Signed in as `email`: the header's "Sign out" button and the user's address, and the
    /// client's own status agrees.
    pub async fn expect_signed_in(&self, email: &str) -> anyhow::Result<TokenStatus> {
        self.button("Sign out").await?;
        self.wait(&format!("the header to name {email}"), SOON, async || {
            let who = self.driver.find_all(By::Css(".who")).await?;
            for element in who {
                if element.text().await? == email {
                    return Ok(Some(()));
                }
            }
            Ok(None)
        })
        .await?;
        let status = self.token_status().await?;
        anyhow::ensure!(status.signed_in, "the header says signed in, getTokenStatus does not: {status:?}");
        Ok(status)
    }

    /// The session-ended banner on /signin: the only role="alert" (SPEC §4), saying `message`; its
    /// "Details" opened, it names `code`. Answers the banner's whole text.
    pub async fn banner(&self, message: &str, code: &str) -> anyhow::Result<String> {
        self.wait_for_url("/signin", |url| url.contains("/signin")).await?;
        self.role_text("alert", None, "Session ended").await?;
        self.role_text("alert", None, message).await?;
        let alerts = self.driver.find_all(By::Css("[role=\"alert\"]")).await?.len();
        anyhow::ensure!(alerts == 1, "{alerts} elements have role=alert");
        let details = format!("//*[@role=\"alert\"]//button[normalize-space()={}]", literal("Details"));
        self.driver.find(By::XPath(details)).await?.click().await?;
        self.role_text("alert", None, code).await
    }

    /// Ctrl+Shift+D, as a keyboard sends it: the page sees `code == "KeyD"` with both modifiers.
    pub async fn press_ctrl_shift_d(&self) -> anyhow::Result<()> {
        self.driver
            .action_chain()
            .key_down(Key::Control)
            .key_down(Key::Shift)
            .key_down('D')
            .key_up('D')
            .key_up(Key::Shift)
            .key_up(Key::Control)
            .perform()
            .await?;
        Ok(())
    }

    /// Opens a new tab and makes it WebDriver's current one. Firefox shows it; WebKitGTK's MiniBrowser
    /// keeps it behind the tab that was in front (see `Hiding`).
    pub async fn open_tab(&self, url: &str) -> anyhow::Result<WindowHandle> {
        let handle = self.driver.new_tab().await?;
        self.driver.switch_to_window(handle.clone()).await?;
        self.goto(url).await?;
        Ok(handle)
    }

    pub async fn switch_to(&self, handle: &WindowHandle) -> anyhow::Result<()> {
        Ok(self.driver.switch_to_window(handle.clone()).await?)
    }

    /// Saves a screenshot and the page's text beside the run's logs, for a journey that failed.
    pub async fn keep_evidence(&self, stem: &Path) {
        let _ = self.driver.screenshot(&stem.with_extension("png")).await;
        if let Ok(text) = self.script::<String>("return location.href + '\\n\\n' + document.body.innerText;").await {
            let _ = std::fs::write(stem.with_extension("txt"), text);
        }
    }
}
