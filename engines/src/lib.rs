//! lanyard's browser client in the engines beside Chromium: Debian's Firefox ESR (geckodriver) and
//! WebKitGTK (WebKitWebDriver under Xvfb), driven over W3C WebDriver against the built server. The
//! journeys live in `tests/engines.rs`; this crate holds what they stand on.

pub mod browser;
pub mod display;
pub mod engine;
pub mod process;
pub mod server;
pub mod site;
