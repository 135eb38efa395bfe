//! `GET /v1/exports/{id}/download`: with `?expires=…&sig=…` (the link in emails and
//! webhooks) no token is needed; without them the caller must be an admin of the account.
//! Each use redirects to a fresh presigned URL valid for minutes (S3), or streams the file
//! (local storage). A forged, altered or expired link gets 403 and reveals nothing. A
//! browser (`Accept: text/html`) gets each refusal as a page in its reader's language.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use exportd_core::exports;
use exportd_core::{Shared, domain::Status};
use serde::Deserialize;

use crate::{
    auth,
    error::{ApiError, ApiResult, ErrorBody},
    extract::Query,
};

/// The signature of a link from an email, the feed or a webhook; absent, the caller must
/// be an admin of the account.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The id of the key that signed the link.
    kid: Option<String>,
    /// Unix seconds after which the link is refused.
    expires: Option<String>,
    /// The link's HMAC-SHA256, hex.
    sig: Option<String>,
}

fn bad_link() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "invalid_link",
        "this download link is not valid or has expired; ask for a new report or download it from the app",
    )
}

/// Downloads the file: a redirect to a storage URL valid for minutes (or the file itself
/// with local storage). Needs a token, or a signed link's `kid`, `expires` and `sig`.
#[utoipa::path(get, path = "/v1/exports/{id}/download", tag = "exports",
    params(("id" = String, Path, description = "The export's id", example = "42"), LinkQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 303, description = "To a presigned storage URL valid for minutes",
            headers(("Location" = String, description = "The storage URL"))),
        (status = 200, description = "The file itself (local storage)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 403, description = "`invalid_link`: forged, altered or expired link; `not_admin`; as a page with `Accept: text/html`",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 404, description = "`not_found`; as a page with `Accept: text/html`",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 409, description = "`not_ready`: the export has not succeeded; as a page with `Accept: text/html`",
            content((ErrorBody = "application/json"), (String = "text/html"))),
        (status = 410, description = "`file_expired`: the file was deleted; as a page with `Accept: text/html`",
            content((ErrorBody = "application/json"), (String = "text/html"))),
    ))]
pub async fn download(
    State(ctx): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<LinkQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    match serve(&ctx, &id, &q, &headers).await {
        Err(e) if crate::web::link_error::wants_html(&headers) => {
            // These two are answered only once the link or the caller was found good.
            let known = matches!(e.status_and_code().1, "file_expired" | "not_ready");
            let export_id = known.then(|| id.parse().ok()).flatten();
            Ok(crate::web::link_error::page(&ctx, e, export_id).await)
        }
        answer => answer,
    }
}

async fn serve(ctx: &Shared, id: &str, q: &LinkQuery, headers: &HeaderMap) -> ApiResult<Response> {
    let export = match (&q.expires, &q.sig) {
        (None, None) => {
            let caller = auth::caller(headers, ctx)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            if !caller.is_admin() {
                return Err(ApiError::forbidden_not_admin());
            }
            super::load(ctx, caller.account(), super::parse_id(id)?).await?
        }
        (Some(expires), Some(sig)) => {
            let id: i64 = id.parse().map_err(|_| bad_link())?;
            let expires: i64 = expires.parse().map_err(|_| bad_link())?;
            if !ctx.cfg.keys.verify(q.kid.as_deref(), id, expires, sig) {
                return Err(bad_link());
            }
            let export = exports::get(&ctx.pool, id).await?.ok_or_else(bad_link)?;
            // A genuine link past its time: say the file is gone if it is, else refuse.
            if expires < Utc::now().timestamp() && export.status != Status::Expired {
                return Err(bad_link());
            }
            export
        }
        _ => return Err(bad_link()),
    };
    match export.status {
        Status::Succeeded => {}
        Status::Expired => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "file_expired",
                "this report's file has expired and was deleted; request the report again",
            ));
        }
        status => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_ready",
                format!("the export is {status}; the file can be downloaded once it has succeeded"),
            ));
        }
    }
    let (Some(key), Some(name)) = (&export.file_key, &export.file_name) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "succeeded export {} has no file",
            export.id
        )));
    };
    let presigned = ctx
        .storage
        .presign_get(key, ctx.cfg.presign_ttl, name)
        .await
        .map_err(|e| anyhow::Error::new(e).context("presigning the download"))?;
    if let Some(url) = presigned {
        return Ok(Redirect::to(&url).into_response());
    }
    let path = ctx
        .storage
        .local_path(key)
        .expect("local storage has paths");
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "file_expired",
                "this report's file is no longer stored; request the report again",
            ));
        }
        Err(e) => {
            return Err(ApiError::Internal(
                anyhow::Error::new(e).context("opening the file"),
            ));
        }
    };
    let format = export.format;
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        format.content_type().parse().expect("static content type"),
    );
    if let Ok(v) = format!("attachment; filename=\"{name}\"").parse() {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(bytes) = export.file_bytes {
        h.insert(header::CONTENT_LENGTH, bytes.into());
    }
    Ok(resp)
}
