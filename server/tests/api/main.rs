//! The HTTP tests: the real router on port 0 with a fresh database per test, each test run against
//! SQLite and PostgreSQL.

mod accounts;
mod audit;
mod auth;
mod binary;
mod email;
mod endpoints;
mod factors;
mod failpoints;
mod guard;
mod helpers;
mod input;
mod invitations;
mod jwt;
mod keys;
mod limit;
mod limits;
mod load;
mod mail;
mod migrations;
mod model;
mod operations;
mod outage;
mod promise;
mod proxy;
mod races;
mod recovery;
mod revocation;
mod rotation;
mod schema;
mod scope;
mod signup;
mod step_up;
mod throttles;
mod tls;
