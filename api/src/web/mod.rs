//! The admin web page at `/`: sign-in (a pasted token, or a one-time link from the
//! platform), then one page that asks for reports, follows them live over SSE, downloads
//! them, shows the notifications and manages schedules. The page is HTML, CSS and plain
//! JavaScript compiled into the binary (`templates/web`); it talks to the same `/v1` API as
//! any client, with the session cookie and its CSRF token. Agents get an "admins only"
//! page.

pub mod assets;
pub mod link_error;

use std::sync::Arc;

use axum::{
    Form,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use exportd_core::{
    Shared,
    auth::caller_for_token,
    sessions::{self, HandoverError},
};
use serde::Deserialize;

use crate::{
    auth::{self, CSRF_HEADER, SESSION_COOKIE},
    error::{ApiError, ApiResult},
    extract::Query,
};

const SIGN_IN: &str = include_str!("../../../templates/web/signin.html");
const APP: &str = include_str!("../../../templates/web/app.html");
const ADMINS_ONLY: &str = include_str!("../../../templates/web/admins_only.html");

/// Headers every page carries: nothing but its own assets, no framing, no caching, no
/// referrer (a hand-over link must not leak).
pub(crate) fn page(status: StatusCode, html: String) -> Response {
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The sign-in page, with an error code the page puts in words (`invalid_token`, …).
fn sign_in(status: StatusCode, error: &str) -> Response {
    page(status, SIGN_IN.replace("{{error}}", error))
}

/// `GET /`: the page for an admin's session, the sign-in page without one, "admins only"
/// for anyone else.
pub async fn index(State(ctx): State<Arc<Shared>>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(id) = auth::session_cookie(&headers) else {
        return Ok(sign_in(StatusCode::OK, ""));
    };
    match sessions::caller(&ctx.pool, id).await? {
        None => Ok(sign_in(StatusCode::OK, "session_ended")),
        Some((c, csrf)) if c.is_admin() => Ok(page(StatusCode::OK, APP.replace("{{csrf}}", &csrf))),
        Some((_, csrf)) => Ok(page(
            StatusCode::FORBIDDEN,
            ADMINS_ONLY.replace("{{csrf}}", &csrf),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    token: String,
}

/// Whether a form post comes from this site's own page: a browser names the page's origin
/// in `Origin` (and says `Sec-Fetch-Site`); one from another site is refused, so that no
/// other site can sign a visitor in as someone else.
fn same_origin(ctx: &Shared, headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(site, Some("cross-site" | "same-site")) {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let own = url::Url::parse(&ctx.cfg.public_url)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            origin == own || site == Some("same-origin")
        }
    }
}

fn session_cookie(ctx: &Shared, value: &str, max_age: i64) -> HeaderValue {
    let secure = if ctx.cfg.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie is ascii")
}

async fn open_session(ctx: &Shared, user_id: i64) -> ApiResult<Response> {
    let s = sessions::create(&ctx.pool, user_id).await?;
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(ctx, &s.id, sessions::SESSION_HOURS * 3600),
    );
    Ok(resp)
}

/// `POST /web/session`: signs in with a pasted API token.
pub async fn sign_in_with_token(
    State(ctx): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Response> {
    if !same_origin(&ctx, &headers) {
        return Ok(sign_in(StatusCode::FORBIDDEN, "cross_site"));
    }
    let Ok(Form(form)) = form else {
        return Ok(sign_in(StatusCode::BAD_REQUEST, "invalid_token"));
    };
    let token = form.token.trim();
    if token.is_empty() || token.len() > 200 {
        return Ok(sign_in(StatusCode::UNAUTHORIZED, "invalid_token"));
    }
    match caller_for_token(&ctx.pool, token).await? {
        Some(c) => open_session(&ctx, c.user_id).await,
        None => Ok(sign_in(StatusCode::UNAUTHORIZED, "invalid_token")),
    }
}

#[derive(Debug, Deserialize)]
pub struct HandoverQuery {
    user: i64,
    expires: i64,
    nonce: String,
    kid: Option<String>,
    sig: String,
}

/// `GET /web/handover`: signs in with a one-time link from the platform.
pub async fn handover(
    State(ctx): State<Arc<Shared>>,
    q: Result<Query<HandoverQuery>, ApiError>,
) -> ApiResult<Response> {
    let Ok(Query(q)) = q else {
        return Ok(sign_in(StatusCode::FORBIDDEN, "invalid_link"));
    };
    let redeemed = sessions::redeem_handover(
        &ctx.pool,
        &ctx.cfg.keys,
        q.user,
        q.expires,
        &q.nonce,
        q.kid.as_deref(),
        &q.sig,
    )
    .await?;
    let code = match redeemed {
        Ok(user_id) => return open_session(&ctx, user_id).await,
        Err(HandoverError::Invalid) => "invalid_link",
        Err(HandoverError::Expired) => "expired_link",
        Err(HandoverError::Used) => "used_link",
    };
    Ok(sign_in(StatusCode::FORBIDDEN, code))
}

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf: Option<String>,
}

/// `POST /web/signout`: ends the session; wants its CSRF token (form field `csrf` or the
/// header).
pub async fn sign_out(
    State(ctx): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> ApiResult<Response> {
    if let Some(id) = auth::session_cookie(&headers)
        && let Some((_, csrf)) = sessions::caller(&ctx.pool, id).await?
    {
        let given = form
            .as_ref()
            .ok()
            .and_then(|f| f.csrf.as_deref())
            .or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()));
        if !auth::csrf_matches(given, &csrf) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "sign out from the page itself",
            ));
        }
        sessions::delete(&ctx.pool, id).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&ctx, "", 0));
    Ok(resp)
}
