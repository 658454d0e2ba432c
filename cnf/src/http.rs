//! The HTTP endpoint: `/metrics` (Prometheus text), `/healthz` (the process
//! answers), `/readyz` (dataplane ports up and PFCP listening, and not
//! draining).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::metrics;
use crate::state::UpfState;

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// The UPF.
    pub upf: Arc<dyn UpfState>,
    /// Set once shutdown has begun: readiness turns false at once.
    pub draining: Arc<AtomicBool>,
}

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState")
            .field("draining", &self.draining)
            .finish_non_exhaustive()
    }
}

/// The router.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready_handler))
        .with_state(state)
}

async fn metrics_handler(State(s): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(s.upf.as_ref()),
    )
}

async fn ready_handler(State(s): State<HttpState>) -> impl IntoResponse {
    if s.draining.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: draining\n".to_owned(),
        );
    }
    let r = s.upf.readiness();
    if r.ready() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", r.reasons.join("; ")),
        )
    }
}
