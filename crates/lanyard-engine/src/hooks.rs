//! Named steps inside the engine where a test can stop a call or make it fail, so races and faults
//! are driven deterministically instead of hoped for. Without the `test-hooks` feature, reaching a
//! step does nothing and compiles to nothing.

/// A step of an engine call that a test can hold or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// A refresh has judged the session and is about to open its transaction.
    RefreshJudged,
    /// A refresh has consumed its token inside the transaction, before the commit.
    RefreshConsumed,
    /// A refresh has committed and is about to answer.
    RefreshCommitted,
    /// A cache miss has read the session's row and is about to keep it in the live view.
    SessionLoaded,
    /// A sign-in has checked the password and is about to open its transaction.
    SignInVerified,
    /// A sign-in has committed its session and is about to answer.
    SignInCommitted,
    /// A password change has written everything it changes and is about to commit.
    PasswordChangeWritten,
    /// A sign-in's second step has written its session (and a waiting reset) and is about to
    /// commit.
    SecondStepWritten,
}

#[cfg(not(feature = "test-hooks"))]
#[derive(Default)]
pub struct Hooks(());

#[cfg(not(feature = "test-hooks"))]
impl Hooks {
    #[inline(always)]
    pub async fn reach(&self, _step: Step) -> super::error::AuthResult<()> {
        Ok(())
    }
}

#[cfg(feature = "test-hooks")]
pub use armed::{Gate, Hooks};

#[cfg(feature = "test-hooks")]
mod armed {
    use crate::error::{AuthError, AuthResult};
    use crate::hooks::Step;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use tokio::sync::oneshot;

    /// What an armed step does to the first call that reaches it.
    enum Action {
        Hold { reached: oneshot::Sender<()>, release: oneshot::Receiver<()> },
        Fail(AuthError),
    }

    /// The steps armed on one engine; each acts once, on the first call that reaches it.
    #[derive(Default)]
    pub struct Hooks {
        armed: Mutex<HashMap<Step, Action>>,
    }

    /// A held step: wait until a call reaches it, then let that call go on.
    pub struct Gate {
        reached: Option<oneshot::Receiver<()>>,
        release: Option<oneshot::Sender<()>>,
    }

    impl Gate {
        /// Returns once a call is held at the step.
        pub async fn reached(&mut self) {
            if let Some(reached) = self.reached.take() {
                reached.await.expect("the engine reached the step");
            }
        }

        /// Lets the held call go on (dropping the gate does the same).
        pub fn release(mut self) {
            if let Some(release) = self.release.take() {
                let _ = release.send(());
            }
        }
    }

    impl Hooks {
        /// Holds the next call that reaches `step` until the returned gate is released.
        pub fn hold(&self, step: Step) -> Gate {
            let (reached_tx, reached_rx) = oneshot::channel();
            let (release_tx, release_rx) = oneshot::channel();
            self.arm(step, Action::Hold { reached: reached_tx, release: release_rx });
            Gate { reached: Some(reached_rx), release: Some(release_tx) }
        }

        /// Makes the next call that reaches `step` fail with `error` (a failpoint).
        pub fn fail(&self, step: Step, error: AuthError) {
            self.arm(step, Action::Fail(error));
        }

        fn arm(&self, step: Step, action: Action) {
            self.armed.lock().expect("hooks lock").insert(step, action);
        }

        /// Called by the engine at `step`: does what a test armed there (holds the call until its
        /// gate is released, or fails it), and nothing when the step is not armed.
        pub async fn reach(&self, step: Step) -> AuthResult<()> {
            let action = self.armed.lock().expect("hooks lock").remove(&step);
            match action {
                None => Ok(()),
                Some(Action::Fail(error)) => Err(error),
                Some(Action::Hold { reached, release }) => {
                    let _ = reached.send(());
                    let _ = release.await;
                    Ok(())
                }
            }
        }
    }
}
