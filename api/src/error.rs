//! The API's one error type. Known cases map to a 4xx with a machine code and a human
//! message, in one JSON shape: `{"error": {"code": "…", "message": "…"}}`. Anything else
//! is logged once with its cause chain and answered with an opaque 500.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A known refusal: status, machine code, human message.
    #[error("{code}: {message}")]
    Known {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Known {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such export in this account",
        )
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API token as `Authorization: Bearer <token>`",
        )
    }
    pub fn account_missing() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "account_missing",
            "the token's account no longer exists",
        )
    }
    pub fn forbidden_not_admin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "only admins of the account can export reports",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    /// Postgres out of reach (no connection within the pool's short wait, or a broken one)
    /// is a quick `503` that says to try again, not a `500` after a long wait.
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Known {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "unavailable",
                    message: "the service cannot reach its database right now; try again in a few seconds".into(),
                    retry_after: Some(5),
                }
            }
            e => ApiError::Internal(anyhow::Error::new(e).context("database")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Known {
                status,
                code,
                message,
                retry_after,
            } => {
                let mut resp = (
                    status,
                    Json(json!({"error": {"code": code, "message": message}})),
                )
                    .into_response();
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                resp
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                let body = json!({"error": {"code": "internal", "message": "something went wrong on our side; try again later"}});
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
