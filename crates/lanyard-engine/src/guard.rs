//! The guard: token → session → user → account → plan → role, each answered with its SPEC §2 code.

use super::directory::AccountStanding;
use super::ending::Initiator;
use super::error::{AuthError, AuthResult};
use super::hooks::Step;
use super::instance::Engine;
use super::live::Entry;
use super::policy::RequestMeta;
use super::store::sessions::SessionState;
use lanyard_contract::{AccountStatus, LogoutCode, LogoutContext, PlanStatus, Role, UserView};
use std::sync::Arc;

/// Whether the call needs an active plan (SPEC §3: `me`, jobs and admin do; self-service does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanCheck {
    /// The call needs an active plan; without one it is refused with 402 and the session kept.
    Required,
    /// The call works whatever the plan (self-service), so a user whose plan lapsed can still
    /// manage their sessions and password.
    Skipped,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The signed-in user, as the guard found them on this call.
    pub user: UserView,
    /// The session that authenticated the call.
    pub session_id: String,
    /// The account's plan: `active`, `inactive` or `none`.
    pub plan: PlanStatus,
    /// When the access token that authenticated the call expires (0 on refresh).
    pub access_expires_at: i64,
}

impl Principal {
    /// The role check, last in the guard order: an owner or an admin becomes an [`Admin`]; anyone
    /// else is refused with 403, the session kept.
    pub fn admin(self) -> AuthResult<Admin> {
        if self.user.role.is_admin() {
            Ok(Admin(self))
        } else {
            Err(AuthError::Forbidden {
                code: lanyard_contract::ErrorCode::Forbidden,
                message: lanyard_contract::NO_PERMISSION,
            })
        }
    }
}

/// A caller who administers their account. Only [`Principal::admin`] makes one, so an engine call
/// that takes an `Admin` cannot be reached without the role check: the compiler carries it.
#[derive(Debug, Clone)]
pub struct Admin(Principal);

impl std::ops::Deref for Admin {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The guard's verdict on a session that is not (or no longer) usable.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: LogoutCode,
    pub context: Box<LogoutContext>,
    /// True when the session was still live and this refusal ends it now.
    pub ends_now: bool,
}

/// The facts a verdict depends on besides the stored state.
#[derive(Clone, Copy, Debug)]
pub struct Check<'a> {
    /// The access token's user; `None` on refresh, where the cookie is the credential.
    pub token_user: Option<&'a str>,
    pub now: i64,
    pub plan: PlanCheck,
    /// 0 when idle sessions never end.
    pub idle_timeout: i64,
    /// The newest known moment of user activity.
    pub last_active: i64,
}

/// Decides, without side effects, whether `state` may be used, its user's account standing as
/// `account` says (see [`Check`]).
pub fn judge(state: &SessionState, account: Option<&AccountStanding>, check: Check<'_>) -> Result<Principal, Refusal> {
    let Check { token_user, now, plan, idle_timeout, last_active } = check;
    let context = LogoutContext {
        session_id: Some(state.session_id.clone()),
        user_id: Some(state.session_user_id.clone()),
        account_id: state.session_account_id.clone(),
        ..LogoutContext::default()
    };
    let refuse =
        |code: LogoutCode, context| Err(Refusal { code, context: Box::new(context), ends_now: code.ends_session() });

    if let Some(code) = state.end_reason {
        let context = Box::new(LogoutContext { ended_at: state.ended_at, ..context });
        return Err(Refusal { code, context, ends_now: false });
    }
    if now >= state.expires_at {
        return refuse(LogoutCode::SessionExpired, LogoutContext { expired_at: Some(state.expires_at), ..context });
    }
    if idle_timeout > 0 && now - last_active >= idle_timeout {
        let facts =
            LogoutContext { idle_secs: Some(now - last_active), idle_timeout_secs: Some(idle_timeout), ..context };
        return refuse(LogoutCode::IdleTimeout, facts);
    }
    if let Some(token_user) = token_user.filter(|user| *user != state.session_user_id) {
        let facts = LogoutContext { token_user_id: Some(token_user.to_owned()), ..context };
        return refuse(LogoutCode::SessionUserMismatch, facts);
    }
    let Some(email) = &state.email else {
        return refuse(LogoutCode::AccountMissing, LogoutContext { user_missing: true, ..context });
    };
    let Some(account_id) = &state.account_id else {
        return refuse(LogoutCode::AccountMissing, context);
    };
    if state.session_account_id.as_deref() != Some(account_id.as_str()) {
        let facts = LogoutContext { user_account_id: Some(account_id.clone()), ..context };
        return refuse(LogoutCode::SessionAccountMismatch, facts);
    }
    let Some(account) = account else {
        return refuse(LogoutCode::AccountMissing, context);
    };
    if let Some(code) = account_refusal(account.status) {
        return refuse(code, LogoutContext { account_status: Some(account.status), ..context });
    }
    let user = UserView {
        id: state.session_user_id.clone(),
        email: email.clone(),
        account_id: Some(account_id.clone()),
        account_name: Some(account.name.clone()),
        role: state.role.unwrap_or(Role::Viewer),
    };
    if plan == PlanCheck::Required && account.plan != PlanStatus::Active {
        let code = match account.plan {
            PlanStatus::Inactive => LogoutCode::PlanInactive,
            _ => LogoutCode::PlanMissing,
        };
        let facts = LogoutContext { plan: Some(account.plan), user: Some(user), ..context };
        return refuse(code, facts);
    }
    Ok(Principal { user, session_id: state.session_id.clone(), plan: account.plan, access_expires_at: 0 })
}

/// Why an account in `status` refuses its sessions and sign-ins, if it does.
pub(super) fn account_refusal(status: AccountStatus) -> Option<LogoutCode> {
    match status {
        AccountStatus::Active => None,
        AccountStatus::Suspended => Some(LogoutCode::AccountSuspended),
        AccountStatus::Cancelled => Some(LogoutCode::AccountCancelled),
    }
}

impl Engine {
    /// Authenticates a bearer token: the signature and claims first, then the session it names (so a
    /// token of an ended session gets that session's reason), then its expiry. The session comes
    /// from the live view, so a call that passes needs no database round trip.
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        plan: PlanCheck,
        meta: &RequestMeta,
    ) -> AuthResult<Principal> {
        let token = bearer.ok_or(AuthError::AccessTokenInvalid("no bearer token"))?;
        let claims = self.keys.verify_access_cached(token)?;
        let now = self.now();
        if claims.iat.max(claims.nbf.unwrap_or(i64::MIN)) > now + self.policy.leeway {
            return Err(AuthError::AccessTokenInvalid("issued in the future, or not valid yet"));
        }
        let entry = self.session_entry(&claims.sid).await?.ok_or(AuthError::AccessTokenInvalid("unknown session"))?;
        let principal = self.enforce(&entry, Some(&claims.sub), plan, meta).await?;
        if claims.exp + self.policy.leeway <= now {
            return Err(AuthError::AccessTokenInvalid("expired"));
        }
        Ok(Principal { access_expires_at: claims.exp, ..principal })
    }

    /// The session from the live view, read from the database on a miss (or a stale entry). A row
    /// read while a change was applied is read again, since it may predate the change.
    pub(crate) async fn session_entry(&self, session_id: &str) -> AuthResult<Option<Arc<Entry>>> {
        const READS: usize = 3;
        if let Some(entry) = self.live.get(session_id, self.now()) {
            return Ok(Some(entry));
        }
        let mut entry = None;
        for _ in 0..READS {
            let generation = self.live.generation();
            let Some(state) = self.store.session_state(session_id).await? else { return Ok(None) };
            let account = self.standing(state.account_id.as_deref()).await?;
            self.hooks.reach(Step::SessionLoaded).await?;
            let (read, kept) = self.live.keep(state, account, generation, self.now());
            entry = Some(read);
            if kept {
                break;
            }
        }
        Ok(entry)
    }

    /// Applies [`judge`] with this request's activity, records the ending when the verdict ends a
    /// live session, and records the activity when it passes.
    pub(crate) async fn enforce(
        &self,
        entry: &Entry,
        token_user: Option<&str>,
        plan: PlanCheck,
        meta: &RequestMeta,
    ) -> AuthResult<Principal> {
        let now = self.now();
        // A request without X-User-Idle (a non-browser client) counts as activity now.
        let activity = now - meta.idle_secs.unwrap_or(0).clamp(0, now);
        let check = Check {
            token_user,
            now,
            plan,
            idle_timeout: self.policy.idle_timeout,
            last_active: entry.last_active().max(activity),
        };
        match judge(&entry.state, entry.account.as_ref(), check) {
            Ok(principal) => {
                if entry.touch(activity)
                    && let Err(error) = self.store.set_last_active(&entry.state.session_id, entry.last_active()).await
                {
                    tracing::warn!("recording activity: {error}");
                }
                Ok(principal)
            }
            Err(Refusal { code, context, ends_now }) => {
                let code = if ends_now {
                    self.end_session(&entry.state, code, Initiator::Automatic, meta).await?
                } else {
                    code
                };
                Err(AuthError::Logout { code, context })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live_state() -> SessionState {
        SessionState {
            session_id: "s1".into(),
            session_user_id: "u1".into(),
            session_account_id: Some("a1".into()),
            created_at: 1_000,
            expires_at: 2_000,
            last_active_at: 1_000,
            refresh_count: 0,
            ended_at: None,
            end_reason: None,
            email: Some("owner@example.com".into()),
            role: Some(Role::Owner),
            account_id: Some("a1".into()),
        }
    }

    fn active() -> AccountStanding {
        AccountStanding { name: "demo".into(), status: AccountStatus::Active, plan: PlanStatus::Active }
    }

    /// The verdict on `state` of a user whose account stands as [`active`] says.
    fn judge_live(state: &SessionState, check: Check<'_>) -> Result<Principal, Refusal> {
        judge(state, Some(&active()), check)
    }

    fn check(token_user: &str, now: i64, plan: PlanCheck) -> Check<'_> {
        Check { token_user: Some(token_user), now, plan, idle_timeout: 0, last_active: 1_000 }
    }

    fn refused(state: &SessionState, now: i64, plan: PlanCheck) -> LogoutCode {
        judge_live(state, check("u1", now, plan)).unwrap_err().code
    }

    #[test]
    fn a_live_session_passes() {
        let principal = judge_live(&live_state(), check("u1", 1_500, PlanCheck::Required)).unwrap();
        assert_eq!(principal.user.email, "owner@example.com");
        assert_eq!(principal.user.role, Role::Owner);
    }

    #[test]
    fn an_ended_session_keeps_its_reason_and_is_not_ended_again() {
        let state = SessionState { ended_at: Some(1_200), end_reason: Some(LogoutCode::AdminRevoked), ..live_state() };
        let refusal = judge_live(&state, check("u1", 1_500, PlanCheck::Required)).unwrap_err();
        assert_eq!(refusal.code, LogoutCode::AdminRevoked);
        assert!(!refusal.ends_now);
    }

    #[test]
    fn the_lifetime_is_absolute() {
        assert_eq!(refused(&live_state(), 2_000, PlanCheck::Skipped), LogoutCode::SessionExpired);
    }

    #[test]
    fn idle_time_ends_a_session_only_when_configured() {
        let idle = Check { idle_timeout: 300, last_active: 1_000, ..check("u1", 1_299, PlanCheck::Required) };
        assert!(judge_live(&live_state(), idle).is_ok());
        let too_idle = Check { now: 1_300, ..idle };
        assert_eq!(judge_live(&live_state(), too_idle).unwrap_err().code, LogoutCode::IdleTimeout);
        assert!(judge_live(&live_state(), Check { idle_timeout: 0, ..too_idle }).is_ok());
    }

    #[test]
    fn account_checks_come_in_order_and_plan_last() {
        let other_user = judge_live(&live_state(), check("u2", 1_500, PlanCheck::Required)).unwrap_err();
        assert_eq!(other_user.code, LogoutCode::SessionUserMismatch);

        let no_user = SessionState { email: None, ..live_state() };
        assert_eq!(refused(&no_user, 1_500, PlanCheck::Required), LogoutCode::AccountMissing);

        let moved = SessionState { account_id: Some("a2".into()), ..live_state() };
        assert_eq!(refused(&moved, 1_500, PlanCheck::Required), LogoutCode::SessionAccountMismatch);

        let no_account = judge(&live_state(), None, check("u1", 1_500, PlanCheck::Skipped)).unwrap_err();
        assert_eq!(no_account.code, LogoutCode::AccountMissing);

        let suspended_and_lapsed =
            AccountStanding { status: AccountStatus::Suspended, plan: PlanStatus::Inactive, ..active() };
        let refusal = judge(&live_state(), Some(&suspended_and_lapsed), check("u1", 1_500, PlanCheck::Required));
        assert_eq!(refusal.unwrap_err().code, LogoutCode::AccountSuspended);

        let lapsed = AccountStanding { plan: PlanStatus::Inactive, ..active() };
        let refusal = judge(&live_state(), Some(&lapsed), check("u1", 1_500, PlanCheck::Required)).unwrap_err();
        assert_eq!((refusal.code, refusal.ends_now), (LogoutCode::PlanInactive, false));
        assert!(judge(&live_state(), Some(&lapsed), check("u1", 1_500, PlanCheck::Skipped)).is_ok());
    }
}
