//! [`ErrorBody`] as the error of every server function (feature `server-fn`), so that the errors
//! the server-function framework raises itself are bodies of SPEC §2 too.

use crate::codes::ErrorCode;
use crate::session::ErrorBody;
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

impl FromServerFnError for ErrorBody {
    type Encoder = JsonEncoding;

    /// On the server (feature `ssr`), arguments that do not decode are the caller's mistake: 400,
    /// never 500, with a fixed message (the decoder's own would echo parts of the input back); the
    /// server's [`on_framework_error`] hook sets the status. In the browser, a call that could not
    /// be sent, or whose answer did not decode, names that instead.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        #[cfg(not(feature = "ssr"))]
        return match error {
            ServerFnErrorErr::Request(detail) => ErrorBody::plain(ErrorCode::Unreachable, &detail),
            other => ErrorBody::plain(ErrorCode::UnreadableAnswer, &other.to_string()),
        };
        #[cfg(feature = "ssr")]
        {
            let bad_input = matches!(
                error,
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_)
            );
            if let Some(hook) = FRAMEWORK_ERROR_HOOK.get() {
                hook(bad_input, &error);
            }
            if bad_input {
                ErrorBody::plain(ErrorCode::BadRequest, "The request body is not valid for this call.")
            } else {
                ErrorBody::plain(ErrorCode::Internal, "Something went wrong on our side.")
            }
        }
    }
}

/// What the server does with an error the framework raised: whether it was bad input, and the
/// error (for the log; it may quote the input).
#[cfg(feature = "ssr")]
pub type FrameworkErrorHook = fn(bad_input: bool, error: &ServerFnErrorErr);

#[cfg(feature = "ssr")]
static FRAMEWORK_ERROR_HOOK: std::sync::OnceLock<FrameworkErrorHook> = std::sync::OnceLock::new();

/// Names what the server does with an error the framework raised (its status and log line); the
/// first call wins, as there is one server per process.
#[cfg(feature = "ssr")]
pub fn on_framework_error(hook: FrameworkErrorHook) {
    let _ = FRAMEWORK_ERROR_HOOK.set(hook);
}
