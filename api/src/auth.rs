//! Authentication: `Authorization: Bearer <token>`, or the web page's session cookie,
//! resolves to a [`Caller`]; export endpoints require an admin of the account. A request
//! made with the cookie that changes state (any method but GET and HEAD) must carry the
//! session's CSRF token in `X-CSRF-Token`.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
};
use exportd_core::Shared;
use exportd_core::auth::{Caller, caller_for_token, hash_token};
use sha2::{Digest, Sha256};

use crate::{error::ApiError, state::AppState};

/// The name of the web page's session cookie.
pub const SESSION_COOKIE: &str = "exportd_session";
/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a request authenticates with.
#[derive(Debug, Clone)]
pub enum Credential {
    Bearer(String),
    Session(String),
}

/// The request's credential: a bearer token first, else the session cookie.
pub fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    if headers.get(header::AUTHORIZATION).is_some() {
        return bearer(headers)
            .map(|t| Some(Credential::Bearer(t.to_owned())))
            .ok_or_else(ApiError::unauthorized);
    }
    Ok(session_cookie(headers).map(|s| Credential::Session(s.to_owned())))
}

/// The value of the session cookie, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The caller behind a credential, with the session's CSRF token when it is a session.
pub async fn resolve(
    ctx: &Shared,
    cred: &Credential,
) -> Result<Option<(Caller, Option<String>)>, sqlx::Error> {
    Ok(match cred {
        Credential::Bearer(t) => caller_for_token(&ctx.pool, t).await?.map(|c| (c, None)),
        Credential::Session(s) => exportd_core::sessions::caller(&ctx.pool, s)
            .await?
            .map(|(c, csrf)| (c, Some(csrf))),
    })
}

/// The caller of a request, if it carries a valid credential; an invalid one is a 401.
pub async fn caller(headers: &HeaderMap, ctx: &Shared) -> Result<Option<Caller>, ApiError> {
    let Some(cred) = credential(headers)? else {
        return Ok(None);
    };
    match resolve(ctx, &cred).await? {
        Some((c, _)) => Ok(Some(c)),
        None => Err(ApiError::unauthorized()),
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Whether `given` is the session's CSRF token, compared as digests so that the time taken
/// says nothing about the token.
pub fn csrf_matches(given: Option<&str>, want: &str) -> bool {
    given.is_some_and(|g| Sha256::digest(g.as_bytes()) == Sha256::digest(want.as_bytes()))
}

/// An authenticated admin of an account, and the credential used.
pub struct Admin(pub Caller);

impl<S> FromRequestParts<S> for Admin
where
    Arc<Shared>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Arc::<Shared>::from_ref(state);
        let cred = credential(&parts.headers)?.ok_or_else(ApiError::unauthorized)?;
        let (c, csrf) = resolve(&ctx, &cred)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if let Some(want) = csrf
            && !matches!(parts.method, Method::GET | Method::HEAD)
        {
            let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !csrf_matches(given, &want) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "this request changes state and came with the session cookie but without its CSRF token; reload the page",
                ));
            }
        }
        if !c.is_admin() {
            return Err(ApiError::forbidden_not_admin());
        }
        Ok(Admin(c))
    }
}

/// An admin, for a request whose one write checks the credential again in the same
/// statement (`POST /v1/exports`, through [`exportd_core::exports::Authority`]). A bearer
/// token seen lately is answered from the token cache ([`AppState::tokens`]) without a
/// database round trip; if the write finds that it no longer holds, the handler reads the
/// caller afresh. A session cookie is resolved as for [`Admin`].
pub struct ProvisionalAdmin {
    pub caller: Caller,
    /// The bearer token's sha256, for the write to check.
    pub token: Option<Vec<u8>>,
}

impl FromRequestParts<AppState> for ProvisionalAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(Credential::Bearer(token)) = credential(&parts.headers)? else {
            let Admin(caller) = Admin::from_request_parts(parts, state).await?;
            return Ok(ProvisionalAdmin {
                caller,
                token: None,
            });
        };
        let digest = hash_token(&token);
        let caller = match state.tokens.get(&digest) {
            Some(c) => c,
            None => admin_or_reject(state.tokens.refresh(&state.ctx, &digest).await?)?,
        };
        Ok(ProvisionalAdmin {
            caller,
            token: Some(digest),
        })
    }
}

/// A caller read afresh: 401 when there is none (revoked or unknown), 403 unless an admin.
pub fn admin_or_reject(caller: Option<Caller>) -> Result<Caller, ApiError> {
    let c = caller.ok_or_else(ApiError::unauthorized)?;
    if !c.is_admin() {
        return Err(ApiError::forbidden_not_admin());
    }
    Ok(c)
}
