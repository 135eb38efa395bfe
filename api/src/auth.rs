//! Authentication: `Authorization: Bearer <token>` resolves to a [`Caller`]; export
//! endpoints require an admin of the account.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use exportd_core::Shared;
use exportd_core::auth::{Caller, caller_for_token};

use crate::error::ApiError;

/// The caller of a request, if it carries a valid token.
pub async fn caller(headers: &HeaderMap, ctx: &Shared) -> Result<Option<Caller>, ApiError> {
    if headers.get(axum::http::header::AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    match caller_for_token(&ctx.pool, token).await? {
        Some(c) => Ok(Some(c)),
        None => Err(ApiError::unauthorized()),
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// An authenticated admin of an account.
pub struct Admin(pub Caller);

impl<S> FromRequestParts<S> for Admin
where
    Arc<Shared>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Arc::<Shared>::from_ref(state);
        let c = caller(&parts.headers, &ctx)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if !c.is_admin() {
            return Err(ApiError::forbidden_not_admin());
        }
        Ok(Admin(c))
    }
}
