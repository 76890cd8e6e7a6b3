//! The floor of the benchmark: a bare axum handler answering `GET /api/auth/me` with the same JSON
//! shape as lanyard's, serialized per request, with no authentication. `bare 127.0.0.1:PORT`.

use lanyard::contract::{Role, UserView};

#[tokio::main]
async fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3900".into());
    let user = UserView {
        id: "3f1c2a4e-9b8d-4c7e-a1f2-0d9e8c7b6a50".into(),
        email: "bench@example.com".into(),
        account_id: Some("5a6b7c8d-1e2f-4a3b-9c8d-7e6f5a4b3c2d".into()),
        account_name: Some("bench".into()),
        role: Role::Owner,
    };
    let router = axum::Router::new()
        .route("/api/auth/me", axum::routing::get(move || async move { axum::Json(user.clone()) }))
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&address).await.expect("the address is free");
    axum::serve(listener, router).await.expect("serving");
}
