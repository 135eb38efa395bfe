//! The API's one error type. Known cases map to a 4xx with a machine code and a human
//! message, in one JSON shape: `{"error": {"code": "…", "message": "…"}}`. Anything else
//! is logged once with its cause chain and answered with an opaque 500.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

/// The one shape of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "range_too_long", "message": "the range has 120 days; a report covers at most 90 days"}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "range_too_long", "message": "the range has 120 days; a report covers at most 90 days"}))]
pub struct ErrorDetail {
    /// A machine code, stable across releases.
    pub code: String,
    /// What happened and what to do, for a person.
    pub message: String,
}

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
    pub fn database_unavailable() -> Self {
        ApiError::Known {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: "the service cannot reach its database right now; try again in a few seconds"
                .into(),
            retry_after: Some(5),
        }
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

    /// The status and machine code this error answers with (`internal` for a fault).
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Known { status, code, .. } => (*status, code),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// As `From<sqlx::Error>`, for an error that answers several requests at once (the
    /// error itself is shared, so the `500` carries its text, not the error).
    pub fn from_shared_db(e: &sqlx::Error) -> Self {
        if unavailable(e) {
            tracing::warn!(error = %e, "database unavailable");
            return ApiError::database_unavailable();
        }
        ApiError::Internal(anyhow::anyhow!("database: {e}"))
    }
}

impl From<sqlx::Error> for ApiError {
    /// Postgres out of reach (no connection within the pool's short wait, or a broken one)
    /// is a quick `503` that says to try again, not a `500` after a long wait.
    fn from(e: sqlx::Error) -> Self {
        if unavailable(&e) {
            return ApiError::from_shared_db(&e);
        }
        ApiError::Internal(anyhow::Error::new(e).context("database"))
    }
}

/// Whether the error says Postgres is out of reach rather than that the query is wrong: no
/// connection, a broken one, or the server shutting down or starting (SQLSTATE classes 08
/// and 57P).
pub(crate) fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
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
            // A database outage that reached here inside another error is still an outage.
            ApiError::Internal(e)
                if e.chain()
                    .any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(unavailable)) =>
            {
                tracing::warn!(error = format!("{e:#}"), "database unavailable");
                ApiError::database_unavailable().into_response()
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
