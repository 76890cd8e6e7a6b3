//! The guard: token → session → user → account → plan → role, each answered with its SPEC §2 code.

use super::error::{AuthError, AuthResult};
use super::sessions::Initiator;
use super::store::SessionState;
use super::{Engine, RequestMeta};
use crate::contract::{LogoutCode, Role, UserView};
use serde_json::{Value, json};

/// Whether the call needs an active plan (SPEC §3: `me`, jobs and admin do; self-service does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanCheck {
    Required,
    Skipped,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserView,
    pub session_id: String,
}

impl Principal {
    /// The role check, last in the guard order: refused with 403, the session kept.
    pub fn require_role(&self, allowed: &[Role]) -> AuthResult<()> {
        if allowed.contains(&self.user.role) {
            Ok(())
        } else {
            Err(AuthError::Forbidden { code: "FORBIDDEN", message: "You don't have permission to view this page." })
        }
    }
}

/// The guard's verdict on a session that is not (or no longer) usable.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: LogoutCode,
    pub context: Value,
    /// True when the session was still live and this refusal ends it now.
    pub ends_now: bool,
}

/// Decides, without side effects, whether `state` may be used at `now` by the token's user `token_user`
/// (`None` on refresh, where the cookie is the credential).
pub fn judge(state: &SessionState, token_user: Option<&str>, now: i64, plan: PlanCheck) -> Result<Principal, Refusal> {
    let context = json!({
        "session_id": state.session_id,
        "user_id": state.session_user_id,
        "account_id": state.session_account_id,
    });
    let refuse = |code: LogoutCode, facts: Value| {
        Err(Refusal { code, context: merge(context.clone(), facts), ends_now: code.ends_session() })
    };

    if let Some(reason) = &state.end_reason {
        let code = LogoutCode::parse(reason).unwrap_or(LogoutCode::TokenRefreshFailed);
        return Err(Refusal {
            code,
            context: merge(context.clone(), json!({ "ended_at": state.ended_at })),
            ends_now: false,
        });
    }
    if now >= state.expires_at {
        return refuse(LogoutCode::SessionExpired, json!({ "expired_at": state.expires_at }));
    }
    if token_user.is_some_and(|user| user != state.session_user_id) {
        return refuse(LogoutCode::SessionUserMismatch, json!({ "token_user_id": token_user }));
    }
    let (Some(user_id), Some(email)) = (&state.user_id, &state.email) else {
        return refuse(LogoutCode::AccountMissing, json!({ "user_missing": true }));
    };
    let Some(account_id) = &state.account_id else {
        return refuse(LogoutCode::AccountMissing, json!({}));
    };
    if state.session_account_id.as_deref() != Some(account_id.as_str()) {
        return refuse(LogoutCode::SessionAccountMismatch, json!({ "user_account_id": account_id }));
    }
    match state.account_status.as_deref() {
        Some("active") => {}
        Some("suspended") => return refuse(LogoutCode::AccountSuspended, json!({ "account_status": "suspended" })),
        _ => return refuse(LogoutCode::AccountCancelled, json!({ "account_status": state.account_status })),
    }
    if plan == PlanCheck::Required {
        match state.account_plan.as_deref() {
            Some("active") => {}
            Some("inactive") => return refuse(LogoutCode::PlanInactive, json!({ "plan": "inactive" })),
            _ => return refuse(LogoutCode::PlanMissing, json!({ "plan": state.account_plan })),
        }
    }
    Ok(Principal {
        user: UserView {
            id: user_id.clone(),
            email: email.clone(),
            account_id: Some(account_id.clone()),
            account_name: state.account_name.clone(),
            role: state.role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer),
        },
        session_id: state.session_id.clone(),
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

impl Engine {
    /// Authenticates a bearer token: the signature and claims first, then the session it names (so a
    /// token of an ended session gets that session's reason), then its expiry.
    pub async fn authenticate(&self, bearer: Option<&str>, plan: PlanCheck, meta: &RequestMeta) -> AuthResult<Principal> {
        let token = bearer.ok_or(AuthError::AccessTokenInvalid("no bearer token"))?;
        let claims = self.keys.verify_access(token)?;
        let now = self.now();
        if claims.iat > now + self.policy.leeway {
            return Err(AuthError::AccessTokenInvalid("issued in the future"));
        }
        let state = self
            .store
            .session_state(&claims.sid)
            .await?
            .ok_or(AuthError::AccessTokenInvalid("unknown session"))?;
        let principal = self.enforce(&state, Some(&claims.sub), now, plan, meta).await?;
        if claims.exp + self.policy.leeway <= now {
            return Err(AuthError::AccessTokenInvalid("expired"));
        }
        Ok(principal)
    }

    /// Applies [`judge`], recording the ending when the verdict ends a live session.
    pub(crate) async fn enforce(
        &self,
        state: &SessionState,
        token_user: Option<&str>,
        now: i64,
        plan: PlanCheck,
        meta: &RequestMeta,
    ) -> AuthResult<Principal> {
        match judge(state, token_user, now, plan) {
            Ok(principal) => Ok(principal),
            Err(refusal) => {
                let code = if refusal.ends_now {
                    self.end_session(state, refusal.code, Initiator::Automatic, meta).await?
                } else {
                    refusal.code
                };
                Err(AuthError::logout(code, refusal.context))
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
            user_id: Some("u1".into()),
            email: Some("owner@example.com".into()),
            role: Some("owner".into()),
            user_account_id: Some("a1".into()),
            account_id: Some("a1".into()),
            account_name: Some("demo".into()),
            account_status: Some("active".into()),
            account_plan: Some("active".into()),
        }
    }

    fn refused(state: &SessionState, now: i64, plan: PlanCheck) -> LogoutCode {
        judge(state, Some("u1"), now, plan).unwrap_err().code
    }

    #[test]
    fn a_live_session_passes() {
        let principal = judge(&live_state(), Some("u1"), 1_500, PlanCheck::Required).unwrap();
        assert_eq!(principal.user.email, "owner@example.com");
        assert_eq!(principal.user.role, Role::Owner);
    }

    #[test]
    fn an_ended_session_keeps_its_reason_and_is_not_ended_again() {
        let state = SessionState { ended_at: Some(1_200), end_reason: Some("ADMIN_REVOKED".into()), ..live_state() };
        let refusal = judge(&state, Some("u1"), 1_500, PlanCheck::Required).unwrap_err();
        assert_eq!(refusal.code, LogoutCode::AdminRevoked);
        assert!(!refusal.ends_now);
    }

    #[test]
    fn the_lifetime_is_absolute() {
        assert_eq!(refused(&live_state(), 2_000, PlanCheck::Skipped), LogoutCode::SessionExpired);
    }

    #[test]
    fn account_checks_come_in_order_and_plan_last() {
        let other_user = judge(&live_state(), Some("u2"), 1_500, PlanCheck::Required).unwrap_err();
        assert_eq!(other_user.code, LogoutCode::SessionUserMismatch);

        let no_user = SessionState { user_id: None, email: None, ..live_state() };
        assert_eq!(refused(&no_user, 1_500, PlanCheck::Required), LogoutCode::AccountMissing);

        let moved = SessionState { account_id: Some("a2".into()), ..live_state() };
        assert_eq!(refused(&moved, 1_500, PlanCheck::Required), LogoutCode::SessionAccountMismatch);

        let suspended_and_lapsed = SessionState {
            account_status: Some("suspended".into()),
            account_plan: Some("inactive".into()),
            ..live_state()
        };
        assert_eq!(refused(&suspended_and_lapsed, 1_500, PlanCheck::Required), LogoutCode::AccountSuspended);

        let lapsed = SessionState { account_plan: Some("inactive".into()), ..live_state() };
        let refusal = judge(&lapsed, Some("u1"), 1_500, PlanCheck::Required).unwrap_err();
        assert_eq!((refusal.code, refusal.ends_now), (LogoutCode::PlanInactive, false));
        assert!(judge(&lapsed, Some("u1"), 1_500, PlanCheck::Skipped).is_ok());
    }
}
