//! Sessions in the browser, and the one face the pages (`ui/`) use for them.
//!
//! Compiled in both builds. The pure parts, [`rules`] (what an answer means for the session),
//! [`ending`] and [`view`] (the signals the UI shows), are the same everywhere and tested natively.
//! The browser parts exist only in the `hydrate` build; in the server build `offline` stands in
//! with the same names, so the pages need no `#[cfg]` of their own.
//!
//! Layers, each importing only those below it:
//! `factors` → `flows` → `webauthn`, `monitor` → `transport` → `renew` → `wire` → `tracker`, `tabs`,
//! `storage`, `activity` → `context`; and everywhere `rules`, `ending`, `view`, `contract`, `paths`.
//! `factors` and `webauthn` (the second factor, SPEC §11) come with the `mfa` feature.

pub mod ending;
pub mod rules;
pub mod view;

#[cfg(feature = "hydrate")]
mod activity;
#[cfg(feature = "hydrate")]
mod context;
#[cfg(all(feature = "hydrate", feature = "mfa"))]
pub mod factors;
#[cfg(feature = "hydrate")]
mod flows;
#[cfg(feature = "hydrate")]
mod monitor;
#[cfg(feature = "hydrate")]
mod renew;
#[cfg(feature = "hydrate")]
mod storage;
#[cfg(feature = "hydrate")]
mod tabs;
#[cfg(feature = "hydrate")]
mod tracker;
#[cfg(feature = "hydrate")]
pub mod transport;
#[cfg(all(feature = "hydrate", feature = "mfa"))]
mod webauthn;
#[cfg(feature = "hydrate")]
pub mod wire;

#[cfg(not(feature = "hydrate"))]
mod offline;

#[cfg(feature = "hydrate")]
pub use flows::{
    accept_invitation, answer_reauth, change_password, console_log, copy_to_clipboard, dismiss_new_sign_in,
    disown_sign_in, field_checked, field_text, invitation, local_time, logout_history, note_activity, pause,
    request_password_reset, resend_verification, reset_password, restore, server_now, sign_in, sign_out, sign_out_all,
    sign_up, start, tab_id, take_link_token, take_logout_reason, verify_email,
};
#[cfg(all(not(feature = "hydrate"), feature = "mfa"))]
pub use offline::factors;
#[cfg(not(feature = "hydrate"))]
pub use offline::{
    accept_invitation, answer_reauth, change_password, console_log, copy_to_clipboard, dismiss_new_sign_in,
    disown_sign_in, field_checked, field_text, invitation, local_time, logout_history, note_activity, pause,
    request_password_reset, resend_verification, reset_password, restore, server_now, sign_in, sign_out, sign_out_all,
    sign_up, start, tab_id, take_link_token, take_logout_reason, verify_email,
};
pub use view::{
    AuthStatus, ClientView, FirstStep, NewSignIn, ReauthPrompt, SecondFactor, StepUpAnswer, browser_name, describe,
    device_label, human_duration, problem,
};
