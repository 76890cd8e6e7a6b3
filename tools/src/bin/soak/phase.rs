//! A phase of the soak: its instances, the proxy, the simulated browsers and the real tabs, the
//! operator's recorded actions, the restarts and the rolling rotation of the signing secret, for
//! the phase's duration; then its report.

use crate::instances::{Instance, config, free_port};
use crate::ledger::{Figures, Ledger, World};
use crate::proxy::{Proxy, serve_proxied};
use crate::real_tabs::{Chromium, Firefox};
use crate::simulated::Browser;
use crate::{Args, DEADLINE, PASSWORD, Report};
use lanyard::contract::{AccountStatus, LogoutCode, PlanStatus, Role};
use lanyard::engine::{AccountChange, Engine, SystemClock};
use rand::Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex as AsyncMutex;
use tokio::task::JoinSet;

pub(crate) struct Phase;

impl Phase {
    pub(crate) async fn run(
        args: &Args,
        url: &str,
        instances: usize,
        browser_tabs: usize,
        firefox_tabs: usize,
    ) -> anyhow::Result<Report> {
        let ports: Vec<u16> = (0..instances).map(|_| free_port()).collect();
        let mut running = Vec::new();
        for &port in &ports {
            running.push(Instance::start(&config(url, port, 0, None)).await?);
        }
        let operator = Arc::new(server::engine(&config(url, ports[0], 0, None), Arc::new(SystemClock)).await?);
        let emails: Vec<String> = (0..args.users).map(|i| format!("soak-{i}@example.com")).collect();
        for email in &emails {
            operator.create_user(email, PASSWORD, Role::Owner, email).await?;
        }

        let proxy = Arc::new(Proxy {
            upstreams: ports.clone(),
            next: AtomicUsize::new(0),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
            fault_percent: args.fault_percent,
            injected: Mutex::default(),
            disturbed: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new().fallback(serve_proxied).with_state(proxy.clone());
        let proxy_task = tokio::spawn(async move { drop(axum::serve(listener, app).await) });
        let world = Arc::new(World {
            base: base.clone(),
            http: reqwest::Client::builder().timeout(DEADLINE).redirect(reqwest::redirect::Policy::none()).build()?,
            proxy: proxy.clone(),
            ledger: Ledger::default(),
            figures: Figures::default(),
            next_call: AtomicU64::new(1),
            disturbed_until: Mutex::new(Instant::now()),
            running: AtomicBool::new(true),
        });
        println!(
            "soak: {} instance(s) behind {base}, {} users × {} tabs, {} s",
            instances, args.users, args.tabs, args.duration
        );

        let mut tasks = JoinSet::new();
        let mut browsers = Vec::new();
        for email in &emails {
            let browser = Arc::new(Browser { email: email.clone(), held: Mutex::default(), lock: AsyncMutex::new(()) });
            browser.sign_in(&world).await;
            for tab in 0..args.tabs {
                tasks.spawn(browser.clone().tab(world.clone(), tab == 0));
            }
            browsers.push(browser);
        }
        let chromium = if browser_tabs > 0 {
            Some(Chromium::start(&operator, &world, browser_tabs, args.duration).await?)
        } else {
            None
        };
        let firefox = if firefox_tabs > 0 {
            Some(Firefox::start(&operator, &world, firefox_tabs, args.duration).await?)
        } else {
            None
        };

        let started = Instant::now();
        let duration = Duration::from_secs(args.duration);
        let mut next_restart = Duration::from_secs(args.restart_every);
        let mut rotated = false;
        let mut restarts = 0;
        let mut next_action = Duration::from_secs(5);
        let mut actions = 0_u64;
        while started.elapsed() < duration {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let elapsed = started.elapsed();
            if !rotated && elapsed >= duration / 2 {
                rotated = true;
                println!("soak: rotating the signing secret (rolling restart) at {} s", elapsed.as_secs());
                for (index, instance) in running.iter_mut().enumerate() {
                    world.disturb();
                    instance.stop().await;
                    *instance = Instance::start(&config(url, ports[index], 1, Some(0))).await?;
                    world.disturb();
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
            } else if elapsed >= next_restart {
                next_restart += Duration::from_secs(args.restart_every);
                let index = restarts % running.len();
                restarts += 1;
                let (secret, previous) = if rotated { (1, Some(0)) } else { (0, None) };
                world.disturb();
                running[index].stop().await;
                running[index] = Instance::start(&config(url, ports[index], secret, previous)).await?;
                world.disturb();
            }
            if elapsed >= next_action {
                next_action = elapsed + Duration::from_secs(rand::rng().random_range(5..15));
                let chosen = rand::rng().random_range(0..emails.len());
                actions += 1;
                // Of every three actions, one is a user's password change, one another user's
                // sign-in in a browser, one the operator's.
                if actions % 3 == 1 {
                    let (browser, world) = (browsers[chosen].clone(), world.clone());
                    tasks.spawn(async move { browser.change_password_losing_the_answer(&world).await });
                } else if actions % 3 == 2 {
                    let other = &emails[(chosen + 1) % emails.len()];
                    browsers[chosen].another_user_signs_in_here(&world, other).await;
                } else {
                    operate(&operator, &world.ledger, &emails[chosen]).await;
                }
            }
        }
        world.running.store(false, Ordering::Relaxed);
        let mut browser_reports = Vec::new();
        if let Some(chromium) = chromium {
            browser_reports.push(chromium.finish(&world.ledger)?);
        }
        if let Some(firefox) = firefox {
            browser_reports.push(firefox.finish(&world.ledger).await);
        }
        tasks.shutdown().await;
        proxy_task.abort();
        for instance in &mut running {
            instance.stop().await;
        }
        drop(browsers);
        Ok(Report::new(&world, restarts, rotated, browser_reports))
    }
}

/// One operator action on `email`'s account, recorded before it is made.
async fn operate(operator: &Arc<Engine>, ledger: &Ledger, email: &str) {
    let action = rand::rng().random_range(0..3);
    let result = match action {
        0 => {
            ledger.cause(email, LogoutCode::AdminRevoked, None);
            operator.revoke_user_sessions(email).await.map(drop)
        }
        1 => {
            ledger.cause(email, LogoutCode::AccountSuspended, None);
            let suspended = operator.change_account(email, AccountChange::Status(AccountStatus::Suspended)).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let active = operator.change_account(email, AccountChange::Status(AccountStatus::Active)).await;
            ledger.close(email, LogoutCode::AccountSuspended);
            suspended.and(active).map(drop)
        }
        _ => {
            let inactive = operator.change_account(email, AccountChange::Plan(PlanStatus::Inactive)).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            inactive.and(operator.change_account(email, AccountChange::Plan(PlanStatus::Active)).await).map(drop)
        }
    };
    if let Err(error) = result {
        eprintln!("soak: operator action on {email} failed: {error}");
    }
}
