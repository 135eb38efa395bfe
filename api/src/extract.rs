//! Extractors that answer their refusals in the API's error shape, where axum's own would
//! answer plain text: a JSON body ([`JsonBody`]: 415 without a JSON content type, 413 over
//! the limit, 400 malformed, 422 naming an unknown field) and a query string ([`Query`]:
//! 400 naming the parameter). The router's fallbacks give a missing route and an unknown
//! method the same shape.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body, parsed into `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON, with `Content-Type: application/json`",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!(
                        "the request body is larger than this endpoint takes ({} bytes; {} for destinations)",
                        crate::MAX_BODY_BYTES,
                        crate::MAX_DESTINATION_BODY_BYTES
                    ),
                ),
                _ => ApiError::bad_request("malformed_body", e.body_text()),
            })?;
        serde_json::from_slice(&body).map(JsonBody).map_err(|e| {
            // A field the request does not have (a typo such as `notfy`) would otherwise
            // fall back to defaults unnoticed.
            let text = e.to_string();
            if text.starts_with("unknown field") {
                ApiError::unprocessable("unknown_field", format!("the body has an {text}"))
            } else {
                ApiError::bad_request(
                    "malformed_json",
                    format!("the body is not a valid request: {e}"),
                )
            }
        })
    }
}

/// A JSON body that may be left out: a request with no body and no content type is
/// `T::default()`; any other is read as [`JsonBody`].
pub struct OptionalJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let h = req.headers();
        let bodiless = !h.contains_key(header::CONTENT_TYPE)
            && !h.contains_key(header::TRANSFER_ENCODING)
            && h.get(header::CONTENT_LENGTH).is_none_or(|v| v == "0");
        if bodiless {
            return Ok(OptionalJsonBody(T::default()));
        }
        JsonBody::from_request(req, state)
            .await
            .map(|JsonBody(v)| OptionalJsonBody(v))
    }
}

/// A query string, parsed into `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("the query string is not valid: {}", e.body_text()),
                )
            })
    }
}

/// A route that does not exist.
pub async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_route",
        "there is no such endpoint; see /docs",
    )
}

/// A route that exists, asked with a method it does not take.
pub async fn no_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /docs",
    )
}
