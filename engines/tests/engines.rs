//! The cross-engine journeys: every journey in Firefox ESR and in WebKitGTK, against the built
//! server (`scripts/site`). Run with `cargo test -p lanyard-engines`; a filter selects journeys as
//! with any cargo test (`cargo test -p lanyard-engines -- webkit::`).
//!
//! The harness is libtest-mimic's: one process starts two servers (default lifetimes, and 5-second
//! access tokens), the other site and the X display once, and every journey starts a browser of its
//! own (its own driver, profile, cookies and storage). Journeys of the two engines run side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lanyard_engines::browser::{Browser, SOON};
use lanyard_engines::display::Display;
use lanyard_engines::engine::{Engine, Hiding};
use lanyard_engines::process::work_dir;
use lanyard_engines::server::{Lifetimes, Server};
use lanyard_engines::site::OtherSite;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// What every journey shares: started once, stopped when the run ends.
struct World {
    standard: Server,
    short: Server,
    other_site: OtherSite,
    display: Option<Display>,
}

/// The journeys, each run in every engine.
#[derive(Clone, Copy, Debug)]
enum Journey {
    SignIn,
    ReloadRestoresTheSession,
    UsedPastTheAccessTokensLifetime,
    ArrivalFromAnotherSiteThenReload,
    SignOutInOneTabShowsTheBannerInTheOther,
    DebugPanelByCtrlShiftD,
    RevokedFromAnotherDeviceIsExplained,
    LogoutHistoryKeepsEveryEnding,
    BackgroundTabPastTheTokensLifetimeComesBack,
}

impl Journey {
    const ALL: [Journey; 9] = [
        Journey::SignIn,
        Journey::ReloadRestoresTheSession,
        Journey::UsedPastTheAccessTokensLifetime,
        Journey::ArrivalFromAnotherSiteThenReload,
        Journey::SignOutInOneTabShowsTheBannerInTheOther,
        Journey::DebugPanelByCtrlShiftD,
        Journey::RevokedFromAnotherDeviceIsExplained,
        Journey::LogoutHistoryKeepsEveryEnding,
        Journey::BackgroundTabPastTheTokensLifetimeComesBack,
    ];

    fn name(self) -> &'static str {
        match self {
            Journey::SignIn => "sign_in",
            Journey::ReloadRestoresTheSession => "reload_restores_the_session",
            Journey::UsedPastTheAccessTokensLifetime => "used_past_the_access_tokens_lifetime",
            Journey::ArrivalFromAnotherSiteThenReload => "arrival_from_another_site_then_reload",
            Journey::SignOutInOneTabShowsTheBannerInTheOther => "sign_out_in_one_tab_shows_the_banner_in_the_other",
            Journey::DebugPanelByCtrlShiftD => "debug_panel_by_ctrl_shift_d",
            Journey::RevokedFromAnotherDeviceIsExplained => "revoked_from_another_device_is_explained",
            Journey::LogoutHistoryKeepsEveryEnding => "logout_history_keeps_every_ending",
            Journey::BackgroundTabPastTheTokensLifetimeComesBack => {
                "background_tab_past_the_tokens_lifetime_comes_back"
            }
        }
    }

    async fn run(self, world: &World, browser: &Browser) -> anyhow::Result<()> {
        match self {
            Journey::SignIn => sign_in(world, browser).await,
            Journey::ReloadRestoresTheSession => reload_restores_the_session(world, browser).await,
            Journey::UsedPastTheAccessTokensLifetime => used_past_the_access_tokens_lifetime(world, browser).await,
            Journey::ArrivalFromAnotherSiteThenReload => arrival_from_another_site_then_reload(world, browser).await,
            Journey::SignOutInOneTabShowsTheBannerInTheOther => sign_out_in_one_tab(world, browser).await,
            Journey::DebugPanelByCtrlShiftD => debug_panel_by_ctrl_shift_d(world, browser).await,
            Journey::RevokedFromAnotherDeviceIsExplained => revoked_from_another_device(world, browser).await,
            Journey::LogoutHistoryKeepsEveryEnding => logout_history_keeps_every_ending(world, browser).await,
            Journey::BackgroundTabPastTheTokensLifetimeComesBack => background_tab(world, browser).await,
        }
    }
}

/// Signs a fresh user in at `server`'s /signin (with `next`, if given) and waits for the page it
/// lands on to show the user signed in.
async fn signed_in(server: &Server, browser: &Browser, label: &str, next: Option<&str>) -> anyhow::Result<String> {
    let email = server.fresh_user(label)?;
    let url = match next {
        Some(next) => server.url(&format!("/signin?next={}", next.replace('/', "%2F"))),
        None => server.url("/signin"),
    };
    browser.goto(&url).await?;
    browser.sign_in(&email).await?;
    let landing = next.unwrap_or("/").to_owned();
    browser.wait_for_url(&landing, |url| url.ends_with(&landing)).await?;
    browser.expect_signed_in(&email).await?;
    Ok(email)
}

/// Follows the header's link `name` (a client-side navigation, no reload).
async fn follow(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let xpath = format!("//a[normalize-space()=\"{name}\"]");
    let link = browser
        .wait(&format!("the link \"{name}\""), SOON, async || {
            Ok(browser.driver.find_all(thirtyfour::By::XPath(xpath.clone())).await?.into_iter().next())
        })
        .await?;
    link.click().await?;
    Ok(())
}

/// The sessions page has loaded its list through an authenticated call: this device is on it.
async fn sessions_listed(browser: &Browser) -> anyhow::Result<()> {
    browser
        .wait("the sessions page to list this device", SOON, async || {
            let text: String = browser.script("return document.body.innerText;").await?;
            Ok((text.contains("Your sessions") && text.contains("This device")).then_some(()))
        })
        .await
}

/// The user comes back to the tab, which confirms its session with the server on focus (SPEC §4),
/// until the tab learns that its session ended: an operator's change reaches the server within a
/// second, so one focus could come before it.
async fn come_back_until_signed_out(browser: &Browser) -> anyhow::Result<()> {
    browser
        .wait("the tab to learn that its session ended", SOON, async || {
            browser.script::<Value>("window.dispatchEvent(new Event('focus')); return null;").await?;
            for _ in 0..10 {
                if browser.url().await?.contains("/signin") {
                    return Ok(Some(()));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(None)
        })
        .await
}

async fn sign_in(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    browser.goto(&server.url("/signin")).await?;
    anyhow::ensure!(!browser.has_role("alert").await?, "a first visit to /signin shows a banner");
    let signed_out = browser.token_status().await?;
    anyhow::ensure!(!signed_out.signed_in && signed_out.level == "signed_out", "before sign-in: {signed_out:?}");

    let email = signed_in(server, browser, "sign-in", None).await?;
    let status = browser.expect_signed_in(&email).await?;
    anyhow::ensure!(status.level == "ok", "level after sign-in: {status:?}");
    anyhow::ensure!(status.access_expires_in_secs.unwrap_or(0) > 3_000, "an hour's access token: {status:?}");
    let storage: String = browser.script("return JSON.stringify(localStorage);").await?;
    anyhow::ensure!(storage.contains("lanyard_session"), "no session hint in localStorage: {storage}");
    anyhow::ensure!(
        !storage.contains("eyJ") && !storage.contains("access_token"),
        "a token in localStorage: {storage}"
    );
    Ok(())
}

async fn reload_restores_the_session(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "reload", Some("/sessions")).await?;
    sessions_listed(browser).await?;
    let before = browser.token_status().await?;
    browser.reload().await?;
    let after = browser.expect_signed_in(&email).await?;
    sessions_listed(browser).await?;
    anyhow::ensure!(browser.url().await?.ends_with("/sessions"), "the reload left /sessions");
    anyhow::ensure!(after.session_id == before.session_id, "the reload changed the session: {before:?} → {after:?}");
    anyhow::ensure!(!browser.has_role("alert").await?, "a banner after a reload");
    Ok(())
}

async fn used_past_the_access_tokens_lifetime(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.short;
    let email = signed_in(server, browser, "lifetime", None).await?;
    let first = browser.token_status().await?;
    // Three lifetimes of the access token, moving between pages as a user does.
    let until = Instant::now() + Duration::from_secs(3 * server.lifetimes.access_ttl());
    let mut pages = ["Sessions", "Dashboard"].into_iter().cycle();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(2)).await;
        follow(browser, pages.next().unwrap_or("Dashboard")).await?;
        browser.expect_signed_in(&email).await?;
    }
    follow(browser, "Sessions").await?;
    sessions_listed(browser).await?;
    let later = browser.expect_signed_in(&email).await?;
    anyhow::ensure!(later.session_id == first.session_id, "another session: {first:?} → {later:?}");
    anyhow::ensure!(
        later.last_refresh_at > first.last_refresh_at
            && later.access_expires_at > first.access_expires_at.map(|at| at + 5),
        "no refresh in 15 s of 5-second tokens: {first:?} → {later:?}"
    );
    Ok(())
}

async fn arrival_from_another_site_then_reload(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "cross-site", None).await?;
    let before = browser.token_status().await?;
    browser.goto(&world.other_site.url).await?;
    let link = browser.driver.find(thirtyfour::By::Id("to-lanyard")).await?;
    link.click().await?;
    browser.wait_for_url("lanyard's /sessions", |url| url == server.url("/sessions")).await?;
    let referrer: String = browser.script("return document.referrer;").await?;
    anyhow::ensure!(referrer.starts_with("http://127.0.0.2:"), "not arrived from the other site: {referrer:?}");
    browser.expect_signed_in(&email).await.map_err(|error| error.context("arriving by a link from another site"))?;
    sessions_listed(browser).await?;
    browser.reload().await?;
    let after = browser.expect_signed_in(&email).await.map_err(|error| error.context("reloading after the arrival"))?;
    sessions_listed(browser).await?;
    anyhow::ensure!(after.session_id == before.session_id, "another session: {before:?} → {after:?}");
    anyhow::ensure!(!browser.has_role("alert").await?, "a banner after the arrival");
    Ok(())
}

async fn sign_out_in_one_tab(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "two-tabs", None).await?;
    let first = browser.driver.window().await?;
    let second = browser.open_tab(&server.url("/sessions")).await?;
    browser.expect_signed_in(&email).await?;
    sessions_listed(browser).await?;

    browser.switch_to(&first).await?;
    browser.button("Sign out").await?.click().await?;
    browser.banner("You signed out.", "MANUAL_LOGOUT").await?;

    browser.switch_to(&second).await?;
    browser.wait_for_url("/signin?next=%2Fsessions", |url| url.ends_with("/signin?next=%2Fsessions")).await?;
    let there = browser.banner("You signed out.", "MANUAL_LOGOUT").await?;
    anyhow::ensure!(there.contains("Original page: /sessions"), "the other tab's banner: {there}");
    Ok(())
}

async fn debug_panel_by_ctrl_shift_d(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "panel", None).await?;
    browser.button("Sign out").await?.click().await?;
    browser.wait_for_url("/signin", |url| url.contains("/signin")).await?;
    browser.sign_in(&email).await?;
    browser.expect_signed_in(&email).await?;

    const PANEL: &str = "[role=\"dialog\"][aria-label=\"Auth debug panel\"]";
    let panel_count = async || Ok::<_, anyhow::Error>(browser.driver.find_all(thirtyfour::By::Css(PANEL)).await?.len());
    anyhow::ensure!(panel_count().await? == 0, "the panel is open before Ctrl+Shift+D");
    browser.press_ctrl_shift_d().await?;
    let text = browser.role_text("dialog", Some("Auth debug panel"), "MANUAL_LOGOUT").await?;
    anyhow::ensure!(text.contains(&email), "the panel does not name the user: {text}");
    anyhow::ensure!(!text.contains("eyJ"), "the panel shows a token: {text}");
    browser.press_ctrl_shift_d().await?;
    browser
        .wait("Ctrl+Shift+D to close the panel", SOON, async || Ok((panel_count().await? == 0).then_some(())))
        .await?;
    Ok(())
}

async fn revoked_from_another_device(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "revoked", Some("/sessions")).await?;
    sessions_listed(browser).await?;
    let other_device = server.sign_in_elsewhere(&email).await?;
    let ended = server.sign_out_other_devices(&other_device).await?;
    anyhow::ensure!(ended == 1, "\"Sign out other devices\" ended {ended} sessions, not this browser's one");
    come_back_until_signed_out(browser).await?;
    browser.wait_for_url("/signin?next=%2Fsessions", |url| url.ends_with("/signin?next=%2Fsessions")).await?;
    let banner = browser.banner("You were signed out from another device.", "LOGOUT_OTHER_DEVICE").await?;
    anyhow::ensure!(banner.contains("Original page: /sessions"), "the banner: {banner}");
    Ok(())
}

async fn logout_history_keeps_every_ending(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.standard;
    let email = signed_in(server, browser, "history", None).await?;
    browser.button("Sign out").await?.click().await?;
    browser.banner("You signed out.", "MANUAL_LOGOUT").await?;
    browser.sign_in(&email).await?;
    browser.expect_signed_in(&email).await?;
    server.cli(&["admin", "sessions", "revoke", "--email", &email])?;
    come_back_until_signed_out(browser).await?;
    browser.banner("An administrator ended this session.", "ADMIN_REVOKED").await?;

    let history = browser.local_storage("logout_history").await?;
    let entries = history.as_array().ok_or_else(|| anyhow::anyhow!("logout_history is not a list: {history}"))?;
    let codes: Vec<&str> = entries.iter().filter_map(|entry| entry["code"].as_str()).collect();
    anyhow::ensure!(codes == ["ADMIN_REVOKED", "MANUAL_LOGOUT"], "logout_history, newest first: {codes:?}");
    for (entry, source) in entries.iter().zip(["backend", "frontend"]) {
        for field in ["code", "message", "path", "context", "at", "source", "idle_secs", "tab_id"] {
            anyhow::ensure!(entry.get(field).is_some(), "an entry without {field}: {entry}");
        }
        anyhow::ensure!(entry["source"] == source, "{} from {source}: {entry}", entry["code"]);
        anyhow::ensure!(entry["path"] == "/", "the page it happened on: {entry}");
    }
    anyhow::ensure!(!history.to_string().contains("eyJ"), "a token in the history: {history}");
    Ok(())
}

/// Records, in the page's own localStorage, each change of its `document.visibilityState`, so that
/// another tab of the same origin can read whether this one is hidden without switching to it
/// (in Firefox, switching shows it); and counts the ticks of a 100 ms timer, to show how much the
/// browser throttled it while hidden.
const RECORD_VISIBILITY: &str = "
    const note = () => localStorage.setItem('engines_visibility',
        JSON.stringify({ state: document.visibilityState, at: Date.now() }));
    document.addEventListener('visibilitychange', note);
    note();
    window.enginesTicks = 0;
    setInterval(() => { window.enginesTicks += 1; }, 100);
    return document.visibilityState;";

async fn background_tab(world: &World, browser: &Browser) -> anyhow::Result<()> {
    let server = &world.short;
    let engine = browser.engine.name();
    let email = signed_in(server, browser, "background", None).await?;
    let shown: String = browser.script(RECORD_VISIBILITY).await?;
    anyhow::ensure!(shown == "visible", "the tab in front is {shown}");
    let before = browser.token_status().await?;
    let tab = browser.driver.window().await?;

    let hiding = browser.engine.hiding();
    let ticks_before: u64 = browser.script("return window.enginesTicks;").await?;
    match hiding {
        // In front, a page of lanyard's origin without its client (so nothing but the background tab
        // itself keeps its session, and the record is readable from there).
        Hiding::AnotherTabInFront => {
            browser.open_tab(&server.url("/healthz")).await?;
        }
        Hiding::MinimisedWindow => {
            println!(
                "  {engine}: WebDriver cannot put a tab behind another here (a new tab opens behind the current \
                 one and stays there); the tab is hidden by minimising its window instead"
            );
            browser.driver.minimize_window().await?;
        }
    }
    let hidden = browser
        .wait("the tab to be hidden", Duration::from_secs(5), async || {
            let record = browser.local_storage("engines_visibility").await?;
            Ok((record["state"] == "hidden").then_some(record))
        })
        .await
        .map_err(|error| error.context(format!("{engine} did not hide the tab ({hiding:?})")))?;
    let hidden_at = hidden["at"].as_i64().unwrap_or(0);

    // Three lifetimes of the access token out of sight.
    let waited = Duration::from_secs(3 * server.lifetimes.access_ttl());
    tokio::time::sleep(waited).await;
    let record = browser.local_storage("engines_visibility").await?;
    anyhow::ensure!(
        record["state"] == "hidden" && record["at"].as_i64() == Some(hidden_at),
        "the tab did not stay hidden while it waited: {record}"
    );

    match hiding {
        Hiding::AnotherTabInFront => browser.switch_to(&tab).await?,
        Hiding::MinimisedWindow => browser.driver.set_window_rect(0, 0, 1280, 1024).await?,
    }
    browser
        .wait("the tab to be shown again", SOON, async || {
            let record = browser.local_storage("engines_visibility").await?;
            Ok((record["state"] == "visible").then_some(()))
        })
        .await?;
    let ticks = browser.script::<u64>("return window.enginesTicks;").await? - ticks_before;
    let after = browser.expect_signed_in(&email).await?;
    follow(browser, "Sessions").await?;
    sessions_listed(browser).await?;
    let after = browser.token_status().await.unwrap_or(after);
    anyhow::ensure!(after.session_id == before.session_id, "another session: {before:?} → {after:?}");
    anyhow::ensure!(after.access_expires_in_secs.unwrap_or(0) > 0, "an expired token after coming back: {after:?}");
    anyhow::ensure!(after.last_refresh_at > before.last_refresh_at, "no refresh: {before:?} → {after:?}");
    let hidden_until = hidden_at / 1000 + waited.as_secs() as i64;
    println!(
        "  {engine}: hidden {} s ({hiding:?}); a 100 ms timer ticked {ticks} times meanwhile (unthrottled: {}); \
         last refresh {}",
        waited.as_secs(),
        waited.as_millis() / 100,
        if after.last_refresh_at.unwrap_or(0) < hidden_until { "while hidden" } else { "on its return" }
    );
    Ok(())
}

/// One journey in one engine: its own browser, evidence kept when it fails, the browser closed
/// either way.
async fn run(world: &World, engine: Engine, journey: Journey) -> anyhow::Result<()> {
    let stem = work_dir().join(format!("{}-{}", engine.name(), journey.name()));
    let display = world.display.as_ref().map(|display| display.name.as_str());
    let browser = Browser::start(engine, display, &stem.with_extension("driver.log")).await?;
    let started = Instant::now();
    let outcome = journey.run(world, &browser).await;
    eprintln!("  {}::{} took {:.1} s", engine.name(), journey.name(), started.elapsed().as_secs_f64());
    if outcome.is_err() {
        browser.keep_evidence(&stem).await;
    }
    browser.quit().await;
    outcome
}

fn main() {
    let mut args = Arguments::from_args();
    // Journeys of the two engines run side by side; each waits on timers far more than it computes.
    args.test_threads = args.test_threads.or(Some(2));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");

    let engines_selected = |engine: Engine| {
        Journey::ALL.iter().any(|journey| {
            let name = format!("{}::{}", engine.name(), journey.name());
            args.filter.as_deref().is_none_or(|filter| if args.exact { name == filter } else { name.contains(filter) })
        })
    };
    let world = if args.list {
        None
    } else {
        // A failure's evidence from an earlier run must not be taken for this one's.
        let _ = std::fs::remove_dir_all(work_dir());
        let _ = std::fs::create_dir_all(work_dir());
        let needs_display = Engine::ALL.into_iter().any(|engine| engine.needs_display() && engines_selected(engine));
        let display = needs_display.then(Display::start).transpose().expect("Xvfb starts");
        let world = runtime.block_on(async {
            let standard = Server::start(Lifetimes::Standard).await?;
            let short = Server::start(Lifetimes::Short).await?;
            let other_site = OtherSite::start(&standard.url("/sessions")).await?;
            anyhow::Ok(World { standard, short, other_site, display })
        });
        let world = world.expect("the servers start (is target/debug/server built? scripts/site builds it)");
        for engine in Engine::ALL.into_iter().filter(|&engine| engines_selected(engine)) {
            let display = world.display.as_ref().map(|display| display.name.as_str());
            println!("engine {}: {}", engine.name(), engine.version(display));
        }
        Some(Arc::new(world))
    };

    let mut trials = Vec::new();
    for journey in Journey::ALL {
        for engine in Engine::ALL {
            let world = world.clone();
            let handle = runtime.handle().clone();
            trials.push(Trial::test(format!("{}::{}", engine.name(), journey.name()), move || {
                let world = world.as_ref().expect("the world is started unless listing");
                handle.block_on(run(world, engine, journey)).map_err(|error| Failed::from(format!("{error:#}")))
            }));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    drop(world);
    drop(runtime);
    conclusion.exit();
}
