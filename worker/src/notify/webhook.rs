//! The webhook channel: one signed POST per delivery, to the Standard Webhooks
//! specification: headers `webhook-id` (the same on every retry of a delivery),
//! `webhook-timestamp` and `webhook-signature` (`v1,<base64>`, one per secret during a
//! rotation), signed with the account's own secret. The target is checked again at send
//! time; the connection goes only to the addresses checked, and no redirect is followed.

use std::time::Duration;

use exportd_core::{exports::Export, notifications::Notification, webhooks};

use super::DeliveryError;
use crate::Ctx;

/// Posts notification `n` about `export` to its webhook, signed with the account's secrets.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    let body = serde_json::json!({
        "event": format!("export.{}", n.event.as_str()),
        "export_id": export.id,
        "status": export.status,
        "link": super::link(ctx, export),
        "file": export.view().file,
        "expires_at": export.expires_at,
        "error": export.view().error,
        "notification_id": n.id,
    });
    let body = serde_json::to_vec(&body).expect("json serializes");
    let secrets = webhooks::signing_secrets(&ctx.pool, export.account_id)
        .await
        .map_err(|e| DeliveryError::transient(format!("reading the webhook secret: {e}")))?;
    deliver(
        &n.recipient,
        ctx.cfg.webhook_allow_private,
        &secrets,
        &format!("msg_exportd_{}", n.id),
        body,
        Duration::from_secs(15),
    )
    .await
}

/// The `webhook-signature` header: one `v1,<base64>` per secret, space-separated.
pub fn signature(
    secrets: &[String],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, String> {
    let mut sigs = Vec::with_capacity(secrets.len());
    for s in secrets {
        let wh = standardwebhooks::Webhook::new(s).map_err(|e| format!("webhook secret: {e}"))?;
        sigs.push(
            wh.sign(msg_id, timestamp, body)
                .map_err(|e| format!("signing: {e}"))?,
        );
    }
    Ok(sigs.join(" "))
}

/// Posts `body` to `url`, signed with `secrets`.
pub async fn deliver(
    url: &str,
    allow_private: bool,
    secrets: &[String],
    msg_id: &str,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    if secrets.is_empty() {
        return Err(DeliveryError::permanent(
            "the account has no webhook secret (POST /v1/webhook-secret makes one)",
        ));
    }
    let (client, parsed) = webhooks::pinned_client(url, allow_private, timeout)
        .await
        .map_err(DeliveryError::from)?;
    let ts = chrono::Utc::now().timestamp();
    let sig = signature(secrets, msg_id, ts, &body).map_err(DeliveryError::permanent)?;
    let resp = client
        .post(parsed)
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, msg_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, ts.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, sig)
        .body(body)
        .send()
        .await
        .map_err(|e| DeliveryError::transient(format!("webhook: {e}")))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    Err(DeliveryError {
        message: format!("webhook answered {status}"),
        permanent: webhooks::refuses_for_good(status),
    })
}
