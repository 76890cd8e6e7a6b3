//! An app's own accounts (SPEC §12): lanyard creates accounts and adds members through them, judges
//! every session on their standing, and signs nobody out because they could not answer.

use crate::helpers::{Db, spawn_app, spawn_with_accounts};
use crate::on_both_databases;
use lanyard::contract::{AccountStatus, PlanStatus, Role};
use lanyard::engine::{AccountStanding, Accounts, AuthError, AuthResult, async_trait};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

on_both_databases!(
    users_join_the_apps_accounts,
    the_apps_standing_ends_or_refuses_sessions,
    accounts_that_cannot_answer_sign_nobody_out,
    a_user_whose_account_is_gone_is_signed_out,
);

/// An app's teams, with their members: the app's own record of accounts.
#[derive(Default)]
struct Teams {
    teams: Mutex<HashMap<String, AccountStanding>>,
    members: Mutex<Vec<(String, String, Role)>>,
    down: AtomicBool,
}

impl Teams {
    fn id_of(&self, name: &str) -> String {
        let teams = self.teams.lock().unwrap();
        teams.iter().find(|(_, team)| team.name == name).map(|(id, _)| id.clone()).expect("the team exists")
    }

    fn change(&self, id: &str, change: impl FnOnce(&mut AccountStanding)) {
        change(self.teams.lock().unwrap().get_mut(id).expect("the team exists"));
    }

    fn answer(&self) -> AuthResult<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(AuthError::Unavailable("the teams service is down".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Accounts for Teams {
    async fn standing(&self, account_id: &str) -> AuthResult<Option<AccountStanding>> {
        self.answer()?;
        Ok(self.teams.lock().unwrap().get(account_id).cloned())
    }

    async fn named(&self, name: &str) -> AuthResult<Option<String>> {
        self.answer()?;
        let teams = self.teams.lock().unwrap();
        Ok(teams.iter().find(|(_, team)| team.name == name).map(|(id, _)| id.clone()))
    }

    async fn create(&self, name: &str) -> AuthResult<Option<String>> {
        self.answer()?;
        let mut teams = self.teams.lock().unwrap();
        let id = format!("team-{}", teams.len() + 1);
        let team = AccountStanding { name: name.to_owned(), status: AccountStatus::Active, plan: PlanStatus::Active };
        teams.insert(id.clone(), team);
        Ok(Some(id))
    }

    async fn add_member(&self, account_id: &str, user_id: &str, role: Role) -> AuthResult<()> {
        self.answer()?;
        self.members.lock().unwrap().push((account_id.to_owned(), user_id.to_owned(), role));
        Ok(())
    }
}

async fn users_join_the_apps_accounts(db: Db) {
    let teams = Arc::new(Teams::default());
    let app = spawn_with_accounts(db, teams.clone()).await;

    let ada = app.signed_in("ada@example.com").await;
    let bob = app.signed_in("bob@example.com").await;

    let acme = teams.id_of("acme");
    assert_eq!(teams.teams.lock().unwrap().len(), 1, "the second user joined the team the first one made");
    assert_eq!(
        *teams.members.lock().unwrap(),
        [(acme.clone(), ada.user_id.clone(), Role::Owner), (acme.clone(), bob.user_id.clone(), Role::Owner)]
    );
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!(
        (me.status, &me.body["account_id"], &me.body["account_name"]),
        (200, &acme.clone().into(), &"acme".into())
    );
    let (rows,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM lanyard_accounts").fetch_one(app.engine.database()).await.unwrap();
    assert_eq!(rows, 0, "lanyard's own accounts table is not used");
}

async fn the_apps_standing_ends_or_refuses_sessions(db: Db) {
    let teams = Arc::new(Teams::default());
    let app = spawn_with_accounts(db, teams.clone()).await;
    let ada = app.signed_in("ada@example.com").await;
    let acme = teams.id_of("acme");

    teams.change(&acme, |team| team.plan = PlanStatus::Inactive);
    app.engine.account_changed(&acme).await.unwrap();
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["logout_reason"]), (402, &"PLAN_INACTIVE".into()));
    assert_eq!(app.get_with_token("/api/auth/sessions", &ada.access).await.status, 200, "the session is kept");

    teams.change(&acme, |team| team.status = AccountStatus::Suspended);
    app.engine.account_changed(&acme).await.unwrap();
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["logout_reason"]), (401, &"ACCOUNT_SUSPENDED".into()));
    let again = app.login("ada@example.com").await;
    assert_eq!((again.status, &again.body["logout_reason"]), (401, &"ACCOUNT_SUSPENDED".into()));
}

async fn accounts_that_cannot_answer_sign_nobody_out(db: Db) {
    let teams = Arc::new(Teams::default());
    let app = spawn_with_accounts(db, teams.clone()).await;
    let ada = app.signed_in("ada@example.com").await;
    let acme = teams.id_of("acme");

    teams.down.store(true, Ordering::SeqCst);
    app.engine.account_changed(&acme).await.unwrap();
    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["logout_reason"]), (503, &serde_json::Value::Null), "{:?}", me.body);
    let refreshed = app.refresh_with(&ada.refresh).await;
    assert_eq!(refreshed.status, 503, "{:?}", refreshed.body);
    assert_eq!(app.login("ada@example.com").await.status, 503);

    teams.down.store(false, Ordering::SeqCst);
    assert_eq!(app.get_with_token("/api/auth/me", &ada.access).await.status, 200, "the session lived on");
    assert_eq!(app.refresh_with(&ada.refresh).await.status, 200, "and so did its refresh token");
}

/// lanyard's own table: a user whose account row is removed has no account (ACCOUNT_MISSING).
async fn a_user_whose_account_is_gone_is_signed_out(db: Db) {
    let app = spawn_app(db).await;
    let ada = app.signed_in("ada@example.com").await;

    app.sql("DELETE FROM lanyard_accounts WHERE name = 'acme'").await;

    let me = app.get_with_token("/api/auth/me", &ada.access).await;
    assert_eq!((me.status, &me.body["logout_reason"]), (401, &"ACCOUNT_MISSING".into()));
}
