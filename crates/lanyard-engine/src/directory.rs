//! The accounts directory: where accounts live and how they stand ([`Accounts`]), with lanyard's
//! own table as the default ([`TableAccounts`]).

use super::clock::Clock;
use super::error::AuthResult;
use super::store::Store;
use lanyard_contract::{AccountStatus, PlanStatus, Role};
use std::sync::Arc;

/// An account as lanyard's guard judges it: its status gives SPEC §2's `ACCOUNT_*` codes (a
/// suspended or cancelled account ends its sessions), its plan the `PLAN_*` ones (402, the session
/// kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountStanding {
    /// The name the pages show (`account_name` in `/api/auth/me`).
    pub name: String,
    /// Whether the account may be used at all.
    pub status: AccountStatus,
    /// Whether the account's plan lets its users make the calls that check it.
    pub plan: PlanStatus,
}

/// Where lanyard's accounts live and how they stand. lanyard's own table (`lanyard_accounts`) is the
/// default; an app with accounts (and billing) of its own implements this and passes it to
/// [`Engine::with_accounts`](crate::Engine::with_accounts), and lanyard's users then name the app's
/// account ids.
///
/// Users stay lanyard's: each user's row holds its account id and its role. An implementation is
/// asked for an account's standing when a session is read into the engine's memory, or a user signs
/// in; when a standing changes, the app calls
/// [`Engine::account_changed`](crate::Engine::account_changed) so every instance asks again at the
/// account's next call. An error answers the call 503 (`AuthError::Unavailable`): the session
/// is kept and the client retries, so accounts that cannot answer never sign anybody out.
///
/// ```
/// use lanyard_contract::{AccountStatus, PlanStatus, Role};
/// use lanyard_engine::{AccountStanding, Accounts, AuthResult, async_trait};
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// /// Teams kept by the app: here in memory, in a real app in its own table.
/// #[derive(Default)]
/// struct Teams(Mutex<HashMap<String, (String, bool)>>); // id -> (name, paid)
///
/// #[async_trait]
/// impl Accounts for Teams {
///     async fn standing(&self, account_id: &str) -> AuthResult<Option<AccountStanding>> {
///         let teams = self.0.lock().unwrap();
///         Ok(teams.get(account_id).map(|(name, paid)| AccountStanding {
///             name: name.clone(),
///             status: AccountStatus::Active,
///             plan: if *paid { PlanStatus::Active } else { PlanStatus::Inactive },
///         }))
///     }
///     async fn named(&self, name: &str) -> AuthResult<Option<String>> {
///         Ok(self.0.lock().unwrap().iter().find(|(_, team)| team.0 == name).map(|(id, _)| id.clone()))
///     }
///     async fn create(&self, name: &str) -> AuthResult<Option<String>> {
///         let mut teams = self.0.lock().unwrap();
///         let id = format!("team-{}", teams.len() + 1);
///         teams.insert(id.clone(), (name.to_owned(), true));
///         Ok(Some(id))
///     }
///     async fn add_member(&self, _account_id: &str, _user_id: &str, _role: Role) -> AuthResult<()> {
///         Ok(()) // the app could record the membership in its own table here
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let teams = Teams::default();
/// let id = teams.create("acme").await?.unwrap();
/// assert_eq!(teams.named("acme").await?, Some(id.clone()));
/// assert_eq!(teams.standing(&id).await?.unwrap().plan, PlanStatus::Active);
/// # Ok::<(), lanyard_engine::AuthError>(())
/// # }).unwrap();
/// ```
#[async_trait::async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// The standing of the account `account_id`; `None` when there is no such account (its users'
    /// sessions end with ACCOUNT_MISSING).
    async fn standing(&self, account_id: &str) -> AuthResult<Option<AccountStanding>>;

    /// The id of the account named `name`, if there is one (the operator's `--account NAME`).
    async fn named(&self, name: &str) -> AuthResult<Option<String>>;

    /// Creates an account named `name`, active with an active plan, and returns its id; `None` when
    /// the name is taken and names are unique.
    async fn create(&self, name: &str) -> AuthResult<Option<String>>;

    /// Tells the accounts that `user_id` joined `account_id` with `role`, after the user's row (which
    /// records both) is written. lanyard's own table needs nothing more; an app may record the
    /// membership. It may be called again for the same user, so it must be idempotent.
    async fn add_member(&self, account_id: &str, user_id: &str, role: Role) -> AuthResult<()>;
}

/// The default [`Accounts`]: lanyard's own `lanyard_accounts` table.
pub(crate) struct TableAccounts {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl Accounts for TableAccounts {
    async fn standing(&self, account_id: &str) -> AuthResult<Option<AccountStanding>> {
        let row = self.store.account(account_id).await?;
        Ok(row.map(|row| AccountStanding { name: row.name, status: row.status, plan: row.plan }))
    }

    async fn named(&self, name: &str) -> AuthResult<Option<String>> {
        self.store.account_id_by_name(name).await
    }

    async fn create(&self, name: &str) -> AuthResult<Option<String>> {
        self.store.insert_account(name, self.clock.now()).await
    }

    async fn add_member(&self, _account_id: &str, _user_id: &str, _role: Role) -> AuthResult<()> {
        Ok(())
    }
}
