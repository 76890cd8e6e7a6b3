//! The client of every call with the bearer: sends it, asks [`rules::classify`] what the answer
//! means, renews and retries where the rules say so, hands endings to the tracker, and notes what
//! each call came to for the notices and the debug panel.

use crate::contract::{ErrorBody, ErrorCode};
use crate::session::context::{client, current_page};
use crate::session::ending::Ending;
use crate::session::renew::{self, RenewError};
use crate::session::rules::{self, CallKind, Refusal, Verdict};
use crate::session::tracker;
use crate::session::view::{ApiFailure, RETRY_NOTICE, billing_message};
use crate::session::wire::{ApiRequest, ApiResponse, Exchange, api_client, exchange};
use leptos::prelude::Set;

api_client!(
    /// The client of the authenticated calls (see the module docs).
    Authenticated,
    send
);

async fn send(request: ApiRequest) -> ApiResponse {
    let mut renewals = 0;
    let mut reauthed = false;
    loop {
        let answer = exchange(&request).await;
        let signed_in = client().signed_in_user();
        let verdict = rules::classify(CallKind::Authenticated, answer.reply(), signed_in.as_deref(), renewals);
        match verdict {
            Verdict::RefreshThenRetry => match renew::refresh().await {
                Ok(_) => renewals += 1,
                Err(RenewError::Ended(ending)) => return end(request.path(), ending),
                Err(RenewError::Failed(refresh)) => {
                    let verdict = rules::classify(CallKind::Refresh, refresh.reply(), None, 0);
                    note(request.path(), &refresh, verdict);
                    return refresh.into_response();
                }
            },
            // A sensitive action: the password in place, then the call once more (SPEC §2).
            Verdict::Reauth if !reauthed => {
                if !client().step_up().await {
                    note(request.path(), &answer, verdict);
                    return answer.into_response();
                }
                reauthed = true;
            }
            Verdict::Ended(code, source) => {
                return end(request.path(), Ending::new(code, source, answer.error(), &current_page()));
            }
            // A 401 or 403 that is no refusal by lanyard: its caller sees an unavailable API.
            Verdict::Unavailable if matches!(answer.status(), Some(401 | 403)) => {
                note(request.path(), &answer, verdict);
                let message = if answer.error().is_some() {
                    "The session could not be confirmed; try again."
                } else {
                    "Something in front of lanyard refused the call; try again."
                };
                return ApiResponse::error(503, &ErrorBody::plain(ErrorCode::ServiceUnavailable, message));
            }
            verdict => {
                note(request.path(), &answer, verdict);
                return answer.into_response();
            }
        }
    }
}

/// Ends the session and answers the call with the ending.
fn end(path: &str, ending: Ending) -> ApiResponse {
    record(path, 401, format!("ended session: {}", ending.code));
    let response = ApiResponse::error(401, &ending.to_body());
    tracker::logout(ending);
    response
}

/// Updates the notices and the debug panel's failure list with what a call came to.
fn note(path: &str, answer: &Exchange, verdict: Verdict) {
    let Some(view) = client().view() else { return };
    let status = answer.status();
    let shown = status.map_or_else(|| "network".to_owned(), |status| status.to_string());
    match verdict {
        Verdict::Answer => {
            view.retry_notice.set(None);
            return;
        }
        Verdict::Kept(Refusal::Plan) => view.billing_notice.set(Some(billing_message(answer.error()))),
        Verdict::Unavailable => view.retry_notice.set(Some(RETRY_NOTICE.into())),
        _ => {}
    }
    record(path, status.unwrap_or(0), format!("kept session: {shown}"));
}

fn record(path: &str, status: u16, decision: String) {
    let Some(view) = client().view() else { return };
    let at = client().server_now() as i64;
    view.record_failure(ApiFailure { at, path: path.to_owned(), status, decision });
}
