//! The page a browser gets when a download link cannot give the file (expired, not ready,
//! forged, …): the same status and code as the JSON answer, as HTML in the reader's
//! language. The server names the account's locale when it knows the export; the words are
//! the page's own (`i18n.js`), so they live in one place.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use exportd_core::Shared;

use crate::error::ApiError;

const PAGE: &str = include_str!("../../../templates/web/link_error.html");

/// Whether the client asked for a page (a browser following a link) rather than JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The error as a page. `export_id` is the export the link names, once the link or the
/// caller was found good: its account's locale picks the language. An internal error is
/// logged here, once, as the JSON answer would have.
pub async fn page(ctx: &Shared, error: ApiError, export_id: Option<i64>) -> Response {
    let (_, code) = error.status_and_code();
    let message = match &error {
        ApiError::Known { message, .. } => message.clone(),
        ApiError::Internal(_) => "something went wrong on our side; try again later".into(),
    };
    let json = error.into_response();
    let status = json.status();
    let code = if status == StatusCode::SERVICE_UNAVAILABLE {
        "unavailable"
    } else {
        code
    };
    let locale = match export_id {
        Some(id) => locale_of(ctx, id).await,
        None => None,
    };
    let html = PAGE
        .replace(
            "{{locale}}",
            &locale.map_or(String::new(), |l| format!(" data-locale=\"{l}\"")),
        )
        .replace("{{code}}", code)
        .replace("{{message}}", &escape(&message));
    let mut resp = super::page(status, html);
    if let Some(v) = json.headers().get(header::RETRY_AFTER) {
        resp.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    resp
}

async fn locale_of(ctx: &Shared, export_id: i64) -> Option<&'static str> {
    let export = exportd_core::exports::get(&ctx.pool, export_id)
        .await
        .ok()??;
    let account = exportd_core::accounts::get(&ctx.pool, export.account_id)
        .await
        .ok()??;
    Some(account.locale.as_str())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
