//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa) and served
//! at `/openapi.json`, and `/docs`, a page that reads it and needs nothing from the
//! internet. Responses every `/v1` endpoint can give (400, 401, 403, 500, 503) are added
//! here once rather than on each handler.

use std::sync::OnceLock;

use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use crate::{
    account, destinations, error::ErrorBody, exports, health, metrics, notifications, schedules,
    webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "exportd",
        description = "Asynchronous exports of a customer-chat platform's reports. Ask for a report over a date range; the API answers at once; a worker builds the Excel or CSV file, stores it, and sends the download link by email, webhook or in-app notification. Every endpoint is scoped to the caller's account and needs an admin's token as `Authorization: Bearer <token>`.",
        license(name = "MIT"),
    ),
    paths(
        exports::create::create,
        exports::list::list,
        exports::get::get,
        exports::cancel::cancel,
        exports::delete::delete,
        exports::download::download,
        notifications::feed::list,
        notifications::feed::read_one,
        notifications::feed::read_all,
        notifications::stream::stream,
        schedules::create::create,
        schedules::get::list,
        schedules::get::get,
        schedules::update::update,
        schedules::delete::delete,
        schedules::run::run,
        destinations::routes::create,
        destinations::routes::list,
        destinations::routes::get,
        destinations::routes::update,
        destinations::routes::delete,
        destinations::routes::test,
        webhooks::secret::get,
        webhooks::secret::rotate,
        account::me,
        account::kinds,
        health::healthz,
        health::readyz,
        metrics::metrics,
    ),
    components(schemas(ErrorBody, exportd_core::events::ExportEvent)),
    modifiers(&Common),
    tags(
        (name = "exports", description = "Ask for reports, follow them, download them"),
        (name = "notifications", description = "The in-app feed and its live stream"),
        (name = "schedules", description = "Daily, weekly and monthly exports, and runs now for a past period"),
        (name = "destinations", description = "Where finished files go besides exportd's bucket: Slack channels"),
        (name = "webhooks", description = "The account's webhook signing secret (Standard Webhooks)"),
        (name = "account", description = "The caller, the account's limits and the report kinds"),
        (name = "health", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token of an admin of the account"))
                    .build(),
            ),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        let common: [(&str, &str); 5] = [
            (
                "400",
                "Malformed: `malformed_json`, `invalid_query`, `invalid_idempotency_key`",
            ),
            ("401", "`unauthorized`: no valid token"),
            (
                "403",
                "`not_admin`: only admins of the account; `account_missing`",
            ),
            ("500", "`internal`: a fault on exportd's side, logged"),
            (
                "503",
                "`unavailable`: the database is out of reach; retry after `Retry-After`",
            ),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                // Handlers of several resources share names (`create`, `list`, `get`): the
                // tag makes each operation id unique.
                if let (Some(id), Some(tag)) =
                    (&op.operation_id, op.tags.as_ref().and_then(|t| t.first()))
                {
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(error_response(description)));
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

pub async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}

/// `/docs`: a page compiled into the binary that renders `/openapi.json`.
pub async fn docs() -> Response {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
        )],
        Html(include_str!("../../templates/web/docs.html")),
    )
        .into_response()
}
