//! Sign-in, refresh-token rotation and sign-out: where sessions begin, live and end.

use super::attempts::{Flow, Outcome};
use super::directory::AccountStanding;
use super::ending::{Ending, Initiator};
use super::error::{AuthError, AuthResult};
use super::guard::{PlanCheck, Principal, account_refusal};
use super::hooks::Step;
use super::input::plain_text;
use super::instance::Engine;
use super::live::Change;
use super::metrics::{LoginOutcome, RefreshOutcome};
use super::new_password;
use super::policy::RequestMeta;
use super::store::accounts::UserRecord;
use super::store::audit::AuthEvent;
use super::store::sessions::{NewRefreshToken, NewSession, Replay, SessionState};
use super::store::{Store, TokenOrigin, Tx, new_id};
use super::tokens::{hash_refresh_token, looks_like_refresh_token, new_refresh_token};
use lanyard_contract::credentials::EMAIL_MAX_CHARS;
use lanyard_contract::{
    AuditKind, LogoutCode, LogoutContext, MfaRequired, Secret, SessionView, SessionsAnswer, TokenInfo, UserView,
};
use serde_json::json;

/// A token answer and the refresh token to set as the cookie.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The answer's body: the access token and the instants the client schedules by.
    pub token: TokenInfo,
    /// The refresh token, to be set as the cookie; it never goes in a body.
    pub refresh_token: Secret,
    /// The session's user, for the answer's `X-Session-User`.
    pub user_id: String,
}

/// What a sign-in's first step leads to: a session, or the second factor of SPEC §11.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the tokens and the user.
    Done(Issued, UserView),
    /// The password was right and the user has a second factor: no session yet.
    SecondFactor(MfaRequired),
}

impl SignIn {
    /// The session, for a user without a second factor.
    pub fn session(self) -> Option<(Issued, UserView)> {
        match self {
            Self::Done(issued, user) => Some((issued, user)),
            Self::SecondFactor(_) => None,
        }
    }
}

/// What a new session is made of: whose, in which account, for how long, on which device.
pub(super) struct SessionRequest<'a> {
    pub user_id: &'a str,
    pub account_id: &'a str,
    pub remember_me: bool,
    pub device_id: Option<&'a str>,
}

/// A session written by `Engine::open_session`, with the endings to announce once it commits.
pub(super) struct OpenedSession {
    pub session_id: String,
    pub refresh_token: String,
    pub expires_at: i64,
    pub endings: Vec<Ending>,
}

impl Issued {
    /// The cookie's Max-Age: the session's remaining lifetime.
    pub fn refresh_max_age(&self) -> i64 {
        (self.token.refresh_expires_at - self.token.server_time).max(0)
    }
}

/// What a sign-out does with the browser's refresh cookie (SPEC §3 logout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedOutCookie {
    /// It named the session that ended, or no session that lives: cleared.
    Clear,
    /// It names another session that lives (another user signed in since, in this browser): kept.
    Keep,
}

/// Longest accepted inputs; anything longer is a bad request, refused before any hashing.
const MAX_LOGIN_PASSWORD_CHARS: usize = 1024;
const MAX_DEVICE_ID_CHARS: usize = 100;
/// Refresh cookies of one request looked at, at most.
const MAX_REFRESH_COOKIES: usize = 4;

impl Engine {
    /// The access token and expiries for a live session. The access token never outlives the session.
    pub(super) fn issue(
        &self,
        session_id: &str,
        user_id: &str,
        session_expires_at: i64,
        refresh_token: String,
        now: i64,
    ) -> AuthResult<Issued> {
        let access_expires_at = (now + self.policy.access_ttl).min(session_expires_at);
        Ok(Issued {
            token: TokenInfo {
                access_token: self.keys.sign_access(user_id, session_id, now, access_expires_at)?.into(),
                access_expires_at,
                refresh_expires_at: session_expires_at,
                session_id: session_id.to_owned(),
                server_time: now,
                idle_timeout_secs: self.policy.idle_timeout.max(0) as u64,
            },
            refresh_token: refresh_token.into(),
            user_id: user_id.to_owned(),
        })
    }

    /// Signs in: one answer for a wrong password and an unknown email, a new session with an absolute
    /// lifetime (`remember_me` picks the longer one), and the first refresh token of its chain. For
    /// a user with a second factor the right password opens no session yet: the answer asks for the
    /// factor ([`Engine::login_mfa`]).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        remember_me: bool,
        device_id: Option<&str>,
        meta: &RequestMeta,
    ) -> AuthResult<SignIn> {
        let signed_in = self.sign_in(email, password, remember_me, device_id, meta).await;
        self.metrics.login(match &signed_in {
            Ok(SignIn::SecondFactor(_)) => LoginOutcome::SecondFactor,
            other => LoginOutcome::of(other),
        });
        signed_in
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        remember_me: bool,
        device_id: Option<&str>,
        meta: &RequestMeta,
    ) -> AuthResult<SignIn> {
        plain_text("email address", email)?;
        if email.trim().is_empty() || email.chars().count() > EMAIL_MAX_CHARS {
            return Err(AuthError::BadRequest("Enter your email address.".into()));
        }
        if password.chars().count() > MAX_LOGIN_PASSWORD_CHARS {
            return Err(AuthError::BadRequest("The password is too long.".into()));
        }
        let device_id = device_id.filter(|id| !id.is_empty()).map(|id| plain_text("device_id", id)).transpose()?;
        if device_id.is_some_and(|id| id.chars().count() > MAX_DEVICE_ID_CHARS) {
            return Err(AuthError::BadRequest("device_id is too long.".into()));
        }

        let user = self.store.user_by_email(email).await?;
        let stored = user.as_ref().map(|u| u.password_hash.expose());
        let verified = self.check_password(email, password, stored, meta).await?;
        self.hooks.reach(Step::SignInVerified).await?;
        let now = self.now();
        let user = match user {
            Some(user) if verified => user,
            other => return Err(self.refuse_sign_in(other.as_ref(), email, now, meta).await),
        };

        if self.policy.verify_email && user.email_verified_at.is_none() {
            return Err(AuthError::EmailNotVerified);
        }
        let (account_id, account) = self.account_to_sign_in(&user).await?;

        let new_session = SessionRequest { user_id: &user.id, account_id: &account_id, remember_me, device_id };
        if let Some(second_factor) = self.begin_second_step(&new_session, None).await? {
            return Ok(SignIn::SecondFactor(second_factor));
        }
        let new_device = self.is_new_device(&new_session).await?;
        let mut tx = self.store.write_tx().await?;
        // The password checked must still be the user's as the session is made: a change that
        // committed meanwhile wins, and this sign-in is refused as a wrong password would be.
        let checked = user.password_hash.expose();
        if !Store::swap_password_hash(&mut tx, &user.id, checked, checked).await? {
            tx.rollback().await?;
            return Err(self.refuse_sign_in(Some(&user), email, now, meta).await);
        }
        let mut opened = self.open_session(&mut tx, &new_session, new_device, now, meta).await?;
        tx.commit().await?;
        for ending in std::mem::take(&mut opened.endings) {
            self.announce(ending, meta);
        }
        self.hooks.reach(Step::SignInCommitted).await?;

        let (issued, user) = self.signed_in(opened, user, account_id, account, now)?;
        Ok(SignIn::Done(issued, user))
    }

    /// The account `user` signs in to, and how it stands: refused with ACCOUNT_MISSING, or the
    /// account's own code when it is suspended or cancelled.
    pub(super) async fn account_to_sign_in(&self, user: &UserRecord) -> AuthResult<(String, AccountStanding)> {
        let context = LogoutContext {
            user_id: Some(user.id.clone()),
            account_id: user.account_id.clone(),
            ..LogoutContext::default()
        };
        let (Some(account_id), Some(account)) =
            (user.account_id.clone(), self.standing(user.account_id.as_deref()).await?)
        else {
            return Err(AuthError::logout(LogoutCode::AccountMissing, context));
        };
        match account_refusal(account.status) {
            Some(code) => Err(AuthError::logout(code, context)),
            None => Ok((account_id, account)),
        }
    }

    /// The answer of a sign-in that opened `opened` (its endings announced): the tokens, and the user
    /// in the account it signed in to.
    pub(super) fn signed_in(
        &self,
        opened: OpenedSession,
        user: UserRecord,
        account_id: String,
        account: AccountStanding,
        now: i64,
    ) -> AuthResult<(Issued, UserView)> {
        let issued = self.issue(&opened.session_id, &user.id, opened.expires_at, opened.refresh_token, now)?;
        let view = UserView {
            id: user.id,
            email: user.email,
            account_id: Some(account_id),
            account_name: Some(account.name),
            role: user.role,
        };
        Ok((issued, view))
    }

    /// Whether `request`'s device is new to its user: without a device id a device cannot be
    /// recognised, so it counts as new.
    pub(super) async fn is_new_device(&self, request: &SessionRequest<'_>) -> AuthResult<bool> {
        Ok(match request.device_id {
            Some(device_id) => !self.store.knows_device(request.user_id, device_id).await?,
            None => true,
        })
    }

    /// Writes a new session into `tx`: its row, the first refresh token of its chain, its `login`
    /// event, and the endings `LANYARD_MAX_SESSIONS` asks for (to announce once `tx` commits).
    pub(super) async fn open_session(
        &self,
        tx: &mut Tx,
        request: &SessionRequest<'_>,
        new_device: bool,
        now: i64,
        meta: &RequestMeta,
    ) -> AuthResult<OpenedSession> {
        let ttl = if request.remember_me { self.policy.remember_ttl } else { self.policy.session_ttl };
        let session_id = new_id();
        let refresh_token = new_refresh_token();
        let session = NewSession {
            id: &session_id,
            user_id: request.user_id,
            account_id: Some(request.account_id),
            device_id: request.device_id,
            user_agent: meta.user_agent.as_deref(),
            ip: meta.ip.as_deref(),
            remember_me: request.remember_me,
            new_device,
            created_at: now,
            expires_at: now + ttl,
        };
        Store::insert_session(tx, &session).await?;
        let first = NewRefreshToken {
            hash: &hash_refresh_token(&refresh_token),
            session_id: &session_id,
            parent_hash: None,
            origin: TokenOrigin::SignIn,
            key_id: None,
        };
        Store::insert_refresh_token(tx, &first, now).await?;
        let event = AuthEvent {
            user_id: Some(request.user_id),
            account_id: Some(request.account_id),
            session_id: Some(&session_id),
            detail: Some(json!({ "remember_me": request.remember_me }).to_string()),
            ..self.event(AuditKind::SignedIn, now, meta)
        };
        Store::record_event(tx, &event).await?;
        let endings = self.keep_session_limit(tx, request.user_id, &session_id, meta).await?;
        Ok(OpenedSession { expires_at: session.expires_at, session_id, refresh_token, endings })
    }

    /// A sign-in refused as wrong credentials, recorded. The email is kept only when it names a
    /// user: what is typed into the field may be a password, which must not sit in the audit trail
    /// for 90 days.
    async fn refuse_sign_in(&self, user: Option<&UserRecord>, email: &str, now: i64, meta: &RequestMeta) -> AuthError {
        let event = AuthEvent {
            user_id: user.map(|u| u.id.as_str()),
            detail: user.map(|_| json!({ "email": email.trim() }).to_string()),
            ..self.event(AuditKind::SignInFailed, now, meta)
        };
        let recorded = async {
            let mut tx = self.store.write_tx().await?;
            Store::record_event(&mut tx, &event).await?;
            tx.commit().await
        };
        match recorded.await {
            Ok(()) => AuthError::InvalidCredentials,
            Err(error) => error,
        }
    }

    /// With a session limit (SPEC §1), ends the user's least recently active live sessions (ties: the
    /// oldest) until at most the limit are left, never the one just made; sessions past their
    /// lifetime do not count. It runs inside the sign-in's transaction, with the user's row held, so
    /// sign-ins of one user are judged one after the other and none ends a session made after it.
    async fn keep_session_limit(
        &self,
        tx: &mut Tx,
        user_id: &str,
        newest: &str,
        meta: &RequestMeta,
    ) -> AuthResult<Vec<Ending>> {
        let limit = self.policy.max_sessions;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let mut others: Vec<_> = Store::live_sessions_of_user_in(tx, user_id)
            .await?
            .into_iter()
            .filter(|state| state.session_id != newest && state.expires_at > now)
            .map(|state| {
                let active = self.live.last_active_of(&state.session_id).unwrap_or(0).max(state.last_active_at);
                (active, state.created_at, state)
            })
            .collect();
        let excess = (others.len() + 1).saturating_sub(limit);
        others.sort_by_key(|(active, created, _)| (*active, *created));
        let mut endings = Vec::new();
        for (_, _, state) in others.into_iter().take(excess) {
            endings.extend(self.write_ending(tx, &state, LogoutCode::SessionLimit, Initiator::Automatic, meta).await?);
        }
        Ok(endings)
    }

    /// Checks `password` against `stored` (`None`: an unknown email, checked against a dummy hash)
    /// under the password throttle of `email` from this address, shared by every instance
    /// (`attempts`). The attempt is counted before the check and taken back when the password was
    /// right, so guesses sent in parallel cannot all be judged, and a caller that leaves mid-check
    /// is counted. Sign-in and every check of the current password go through here, so a stolen
    /// access token is no faster an oracle than the sign-in page.
    async fn check_password(
        &self,
        email: &str,
        password: &str,
        stored: Option<&str>,
        meta: &RequestMeta,
    ) -> AuthResult<bool> {
        let attempt = self.attempt(Flow::Password, email, meta).await?;
        let verified = self.passwords.verify(password, stored).await;
        let outcome = match verified {
            Ok(true) => Outcome::Succeeded,
            Ok(false) => Outcome::Counted,
            Err(_) => Outcome::Refunded,
        };
        if let Err(error) = self.settle(attempt, outcome).await {
            tracing::warn!("settling a password attempt: {error}");
        }
        verified
    }

    /// Checks the signed-in user's password again (a password change's current password, a
    /// reauth) under the sign-in throttle; returns the user when it is right. A wrong one is
    /// recorded against the session: it is a guess made with a valid access token.
    pub(super) async fn check_session_password(
        &self,
        principal: &Principal,
        password: &str,
        meta: &RequestMeta,
    ) -> AuthResult<Option<UserRecord>> {
        let user = self.store.user_by_email(&principal.user.email).await?.ok_or(AuthError::NotFound)?;
        if self.check_password(&user.email, password, Some(user.password_hash.expose()), meta).await? {
            return Ok(Some(user));
        }
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let event = self.session_event(AuditKind::PasswordCheckFailed, self.now(), &entry.state, meta);
        let mut tx = self.store.write_tx().await?;
        Store::record_event(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(None)
    }

    /// Rotates a refresh token (SPEC §1). The token is consumed atomically and its successor derived
    /// from it, so a token presented again can get the same successor: concurrent tabs and retries
    /// after a lost answer end with one live token. Only a replay after the successor has itself been
    /// in use for longer than the grace window counts as theft and ends the session.
    pub async fn refresh(&self, cookies: &[&str], meta: &RequestMeta) -> AuthResult<Issued> {
        let started = std::time::Instant::now();
        let refreshed = self.rotate(cookies, meta).await;
        let outcome = match &refreshed {
            Ok((_, outcome)) => *outcome,
            Err(refusal) => RefreshOutcome::of_refusal(refusal),
        };
        self.metrics.refresh(outcome, started.elapsed());
        refreshed.map(|(issued, _)| issued)
    }

    async fn rotate(&self, cookies: &[&str], meta: &RequestMeta) -> AuthResult<(Issued, RefreshOutcome)> {
        let cookie = self.pick_refresh_cookie(cookies).await?;
        let token = cookie.ok_or_else(|| AuthError::logout(LogoutCode::NoRefreshToken, LogoutContext::default()))?;
        let unknown = || AuthError::logout(LogoutCode::TokenRefreshFailed, LogoutContext::default());
        let hash = hash_refresh_token(token);
        let known = match looks_like_refresh_token(token) {
            true => self.store.session_of_token(&hash).await?,
            false => None,
        };
        let Some(session_id) = known else {
            let well_formed = looks_like_refresh_token(token);
            self.trace_refresh(AuditKind::RefreshUnknown, None, json!({ "well_formed": well_formed }), meta).await;
            return Err(unknown());
        };
        let entry = self.session_entry(&session_id).await?.ok_or_else(unknown)?;
        let principal = self.enforce(&entry, None, PlanCheck::Skipped, meta).await?;
        let state = &entry.state;
        self.hooks.reach(Step::RefreshJudged).await?;

        let now = self.now();
        let mut tx = self.store.write_tx().await?;
        if !Store::hold_live_session(&mut tx, &state.session_id, now, true).await? {
            tx.rollback().await?;
            return Err(self.ended_since_judged(&state.session_id, meta).await);
        }
        let successor = if Store::consume_refresh_token(&mut tx, &hash, now).await? {
            let successor = self.keys.successor(token);
            let next = NewRefreshToken {
                hash: &hash_refresh_token(&successor),
                session_id: &state.session_id,
                parent_hash: Some(&hash),
                origin: TokenOrigin::Rotation,
                key_id: Some(self.keys.current_id()),
            };
            Store::insert_refresh_token(&mut tx, &next, now).await?;
            let event = self.session_event(AuditKind::Refreshed, now, state, meta);
            Store::record_event(&mut tx, &event).await?;
            self.hooks.reach(Step::RefreshConsumed).await?;
            tx.commit().await?;
            self.hooks.reach(Step::RefreshCommitted).await?;
            (successor, RefreshOutcome::Rotated)
        } else {
            let replay = Store::replay(&mut tx, &hash).await?;
            tx.rollback().await?;
            let answered = replay.as_ref().and_then(|replay| self.replayed_successor(token, replay, now).transpose());
            match answered {
                Some(successor) => {
                    let successor = successor?;
                    // Let through, so worth a trace: a second tab, a retry, or a thief inside the window.
                    let age = replay.and_then(|replay| replay.used_at).map(|used| now - used);
                    let detail = json!({ "seconds_since_first_use": age });
                    self.trace_refresh(AuditKind::RefreshReplayed, Some(state), detail, meta).await;
                    (successor, RefreshOutcome::Replayed)
                }
                None => {
                    // The ending's audit event (reason REFRESH_TOKEN_REUSED) is the record of the detection.
                    let code =
                        self.end_session(state, LogoutCode::RefreshTokenReused, Initiator::Automatic, meta).await?;
                    let context = LogoutContext {
                        session_id: Some(state.session_id.clone()),
                        user_id: Some(state.session_user_id.clone()),
                        ..LogoutContext::default()
                    };
                    return Err(AuthError::logout(code, context));
                }
            }
        };
        let (successor, outcome) = successor;
        Ok((self.issue(&state.session_id, &principal.user.id, state.expires_at, successor, now)?, outcome))
    }

    /// Records a refresh that rotated nothing (a replay let through, an unknown token) so an operator
    /// can see it, at most ten a minute per session (per address for unknown tokens): a flood of
    /// garbage cannot fill the audit trail. A trace that cannot be written fails nothing.
    async fn trace_refresh(
        &self,
        kind: AuditKind,
        state: Option<&SessionState>,
        detail: serde_json::Value,
        meta: &RequestMeta,
    ) {
        let now = self.now();
        let key = match state {
            Some(state) => state.session_id.clone(),
            None => meta.address(),
        };
        if self.refresh_traces.try_hit(&key, now).is_err() {
            return;
        }
        let event = match state {
            Some(state) => self.session_event(kind, now, state, meta),
            None => self.event(kind, now, meta),
        };
        let event = AuthEvent { detail: Some(detail.to_string()), ..event };
        let written = async {
            let mut tx = self.store.write_tx().await?;
            Store::record_event(&mut tx, &event).await?;
            tx.commit().await
        };
        if let Err(error) = written.await {
            tracing::warn!("recording a {kind} trace: {error}");
        }
    }

    /// Which of a request's refresh cookies to judge. A browser can hold stale ones (set for another
    /// path or subdomain, or left by an older session), so the first whose token is unused and whose
    /// session lives wins and the others are ignored, never counted as reuse; with none live, the
    /// first is judged as usual. At most [`MAX_REFRESH_COOKIES`] are looked at.
    async fn pick_refresh_cookie<'a>(&self, cookies: &[&'a str]) -> AuthResult<Option<&'a str>> {
        if cookies.len() > 1 {
            for &cookie in cookies.iter().take(MAX_REFRESH_COOKIES) {
                if looks_like_refresh_token(cookie)
                    && self.store.token_is_live(&hash_refresh_token(cookie), self.now()).await?
                {
                    tracing::info!("a request carried {} refresh cookies; the live one is used", cookies.len());
                    return Ok(Some(cookie));
                }
            }
        }
        Ok(cookies.first().copied())
    }

    /// The answer to a used token presented again, if SPEC §1 lets it have one: its successor (for
    /// the token a password change retired, the new chain's first token), when that is unused or
    /// was first used within the grace window. `Ok(None)` is reuse. A successor derived by a key
    /// this instance does not hold is unavailable, not reuse.
    fn replayed_successor(&self, token: &str, replay: &Replay, now: i64) -> AuthResult<Option<String>> {
        let (Some(successor_hash), Some(origin)) = (replay.successor_hash.as_deref(), replay.successor_origin) else {
            return Ok(None);
        };
        let within_grace = |since: i64| now - since < self.policy.refresh_grace;
        // A rotation's successor, and the first token of the chain a password change restarted,
        // answer the token before them while they are unused or were first used within the grace
        // window: a lost answer, of any length, is not theft.
        let replayable = match origin {
            TokenOrigin::Rotation | TokenOrigin::Restart => replay.successor_used_at.is_none_or(within_grace),
            TokenOrigin::SignIn => false,
        };
        if !replayable {
            return Ok(None);
        }
        self.keys
            .rederive(origin, replay.successor_key_id.as_deref(), token, successor_hash)
            .map(Some)
            .ok_or_else(|| AuthError::Unavailable("the key that derived this successor is not held here".into()))
    }

    /// Why a session judged live a moment ago can no longer be refreshed: it ended (or ran out) in
    /// between, and the answer is that ending, judged afresh.
    async fn ended_since_judged(&self, session_id: &str, meta: &RequestMeta) -> AuthError {
        self.live.apply(&Change::Session(session_id.to_owned()));
        let judged = match self.session_entry(session_id).await {
            Ok(Some(entry)) => self.enforce(&entry, None, PlanCheck::Skipped, meta).await.err(),
            Ok(None) => None,
            Err(error) => Some(error),
        };
        judged.unwrap_or_else(|| AuthError::logout(LogoutCode::TokenRefreshFailed, LogoutContext::default()))
    }

    /// Signs out this device: idempotent, and content with either credential (a garbage one is a
    /// no-op). The session the bearer names ends, even past the token's `exp` (a tab that slept
    /// still signs out its own session), else the cookie's. The cookie is to be cleared unless it
    /// names another session that lives: another user may have signed in since in this browser.
    ///
    /// `reason` is the user's sign-out (none, or MANUAL_LOGOUT) or SESSION_USER_MISMATCH: a tab
    /// whose refresh was answered for another user ends its own session, an ending the user did
    /// not ask for, so it is recorded as such and written to the `[AUTO-LOGOUT]` log.
    pub async fn logout(
        &self,
        cookies: &[&str],
        bearer: Option<&str>,
        reason: Option<LogoutCode>,
        meta: &RequestMeta,
    ) -> AuthResult<SignedOutCookie> {
        let (code, initiator) = match reason {
            None | Some(LogoutCode::ManualLogout) => (LogoutCode::ManualLogout, Initiator::User),
            Some(LogoutCode::SessionUserMismatch) => (LogoutCode::SessionUserMismatch, Initiator::Automatic),
            Some(_) => {
                return Err(AuthError::BadRequest(
                    "A sign-out's reason is MANUAL_LOGOUT or SESSION_USER_MISMATCH.".into(),
                ));
            }
        };
        let cookie = self.pick_refresh_cookie(cookies).await?.filter(|token| looks_like_refresh_token(token));
        let cookie_session = match cookie {
            Some(token) => self.store.session_of_token(&hash_refresh_token(token)).await?,
            None => None,
        };
        let from_bearer = bearer.and_then(|token| self.keys.verify_access(token).ok()).map(|claims| claims.sid);
        let ending = match (from_bearer, code) {
            (Some(session_id), _) => Some(session_id),
            // The cookie of a tab answered for another user is that user's: only a bearer names
            // the session to end.
            (None, LogoutCode::SessionUserMismatch) => None,
            (None, _) => cookie_session.clone(),
        };
        if let Some(session_id) = &ending
            && let Some(state) = self.store.session_state(session_id).await?.filter(|s| s.ended_at.is_none())
        {
            self.end_session(&state, code, initiator, meta).await?;
        }
        let now = self.now();
        let keep = match cookie_session {
            Some(other) if Some(&other) != ending.as_ref() => self
                .store
                .session_state(&other)
                .await?
                .is_some_and(|state| state.ended_at.is_none() && state.expires_at > now),
            _ => false,
        };
        Ok(if keep { SignedOutCookie::Keep } else { SignedOutCookie::Clear })
    }

    /// Ends the caller's sessions: all of them (LOGOUT_ALL), or all but the current one
    /// (LOGOUT_OTHER_DEVICE). Returns how many this call ended.
    pub async fn logout_all(&self, principal: &Principal, keep_current: bool, meta: &RequestMeta) -> AuthResult<u64> {
        let code = if keep_current { LogoutCode::LogoutOtherDevice } else { LogoutCode::LogoutAll };
        let mut ended = 0;
        for state in self.store.live_sessions_of_user(&principal.user.id).await? {
            if keep_current && state.session_id == principal.session_id {
                continue;
            }
            if self.end_session(&state, code, Initiator::User, meta).await? == code {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Ends one of the caller's sessions: another one with LOGOUT_OTHER_DEVICE, the current one with
    /// MANUAL_LOGOUT. Another user's session is "not found", as if it did not exist.
    pub async fn revoke(&self, principal: &Principal, session_id: &str, meta: &RequestMeta) -> AuthResult<()> {
        plain_text("session_id", session_id)?;
        let state = self
            .store
            .session_state(session_id)
            .await?
            .filter(|state| state.session_user_id == principal.user.id)
            .ok_or(AuthError::NotFound)?;
        if state.ended_at.is_none() {
            let code = if session_id == principal.session_id {
                LogoutCode::ManualLogout
            } else {
                LogoutCode::LogoutOtherDevice
            };
            self.end_session(&state, code, Initiator::User, meta).await?;
        }
        Ok(())
    }

    /// The caller's live sessions and those ended in the last 30 days. A session whose lifetime ran
    /// out without a call to record it is listed as ended at its expiry.
    pub async fn sessions(&self, principal: &Principal) -> AuthResult<SessionsAnswer> {
        const LISTED_DAYS: i64 = 30;
        let now = self.now();
        let mut answer = SessionsAnswer::default();
        for row in self.store.sessions_of_user(&principal.user.id, now - LISTED_DAYS * 86_400).await? {
            let (ended_at, end_reason) = match (row.ended_at, row.end_reason) {
                (Some(at), reason) => (Some(at), reason),
                (None, _) if row.expires_at <= now => (Some(row.expires_at), Some(LogoutCode::SessionExpired)),
                (None, _) => (None, None),
            };
            let last_active_at =
                self.live.last_active_of(&row.id).map_or(row.last_active_at, |at| at.max(row.last_active_at));
            let view = SessionView {
                current: row.id == principal.session_id,
                id: row.id,
                device_id: row.device_id,
                user_agent: row.user_agent,
                ip: row.ip,
                created_at: row.created_at,
                last_active_at,
                expires_at: row.expires_at,
                ended_at,
                end_reason,
            };
            if view.ended_at.is_some() { answer.ended.push(view) } else { answer.active.push(view) }
        }
        answer.ended.sort_by_key(|view| std::cmp::Reverse(view.ended_at));
        Ok(answer)
    }

    /// Changes the caller's password. Every other session ends with PASSWORD_CHANGED, and the
    /// current session's refresh chain restarts: the answer carries a new cookie, and every earlier
    /// token of the session now counts as reuse, except the one that was live, which gets the new
    /// chain's first token while that is unused or was first used within the grace window (the
    /// user's other tab may hold it, or this tab, if the answer was lost). The new hash, the
    /// endings and the restart commit in one transaction, or none of them does.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current_password: &str,
        new_password: &str,
        meta: &RequestMeta,
    ) -> AuthResult<Issued> {
        let wrong_password = AuthError::Forbidden {
            code: lanyard_contract::ErrorCode::WrongPassword,
            message: "The current password is incorrect.",
        };
        let Some(user) = self.check_session_password(principal, current_password, meta).await? else {
            return Err(wrong_password);
        };
        new_password::new_password(new_password, &user.email).map_err(AuthError::Weak)?;
        let hash = self.passwords.hash(new_password).await?;

        let now = self.now();
        let entry = self.session_entry(&principal.session_id).await?.ok_or(AuthError::NotFound)?;
        let mut tx = self.store.write_tx().await?;
        // The user's row first (see `swap_password_hash`): a change from another session that
        // committed meanwhile makes the password checked here a wrong one.
        if !Store::swap_password_hash(&mut tx, &user.id, user.password_hash.expose(), &hash).await? {
            tx.rollback().await?;
            return Err(wrong_password);
        }
        if !Store::hold_live_session(&mut tx, &principal.session_id, now, false).await? {
            tx.rollback().await?;
            return Err(self.ended_since_judged(&principal.session_id, meta).await);
        }
        Store::set_password_checked(&mut tx, &principal.session_id, now).await?;
        let retired = Store::retire_live_tokens(&mut tx, &principal.session_id, now).await?;
        let live = retired.first().map(String::as_str);
        let refresh_token = live.map_or_else(new_refresh_token, |live| self.keys.restart_successor(live));
        let first = NewRefreshToken {
            hash: &hash_refresh_token(&refresh_token),
            session_id: &principal.session_id,
            parent_hash: live,
            origin: TokenOrigin::Restart,
            key_id: live.map(|_| self.keys.current_id()),
        };
        Store::insert_refresh_token(&mut tx, &first, now).await?;
        let event = self.session_event(AuditKind::PasswordChanged, now, &entry.state, meta);
        Store::record_event(&mut tx, &event).await?;
        let change = Change::User(user.id.clone());
        change.publish(&mut tx, &self.store, now).await?;
        let mut endings = Vec::new();
        for state in Store::live_sessions_of_user_in(&mut tx, &user.id).await? {
            if state.session_id != principal.session_id {
                let ended = self.write_ending(&mut tx, &state, LogoutCode::PasswordChanged, Initiator::Automatic, meta);
                endings.extend(ended.await?);
            }
        }
        self.hooks.reach(Step::PasswordChangeWritten).await?;
        tx.commit().await?;
        self.live.apply(&change);
        for ending in endings {
            self.announce(ending, meta);
        }
        self.issue(&principal.session_id, &user.id, entry.state.expires_at, refresh_token, now)
    }

    /// Records the ending of every session whose lifetime has run out (the hourly sweep).
    pub async fn sweep_expired(&self) -> AuthResult<usize> {
        let expired = self.store.expired_sessions(self.now()).await?;
        let meta = RequestMeta::background();
        for state in &expired {
            self.end_session(state, LogoutCode::SessionExpired, Initiator::Automatic, &meta).await?;
        }
        Ok(expired.len())
    }
}
