//! `/assets/{name}`: the page's scripts, styles and icon, compiled in (the icon also at
//! `/favicon.ico`, where browsers look for it unasked). Each answer carries a
//! strong ETag (the content's hash), so browsers revalidate cheaply after an upgrade.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/app.js"),
    ),
    (
        "options.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/options.js"),
    ),
    (
        "request.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/request.js"),
    ),
    (
        "exports.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/exports.js"),
    ),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/live.js"),
    ),
    (
        "schedules.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/schedules.js"),
    ),
    (
        "destination_form.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/destination_form.js"),
    ),
    (
        "destinations.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/destinations.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/i18n.js"),
    ),
    (
        "docs.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../templates/web/docs.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../../templates/web/favicon.svg"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../../templates/web/app.css"),
    ),
];

pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

/// `/favicon.ico`: the page's icon (SVG, which browsers take whatever the path says).
pub async fn favicon(headers: HeaderMap) -> Response {
    serve("favicon.svg", &headers)
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::new(StatusCode::NOT_FOUND, "no_such_asset", "no such asset")
            .into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..8]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, *content_type)], *body).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}
