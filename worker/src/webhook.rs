//! Sending one webhook delivery, to the Standard Webhooks specification: headers
//! `webhook-id` (the same on every retry of a delivery), `webhook-timestamp` and
//! `webhook-signature` (`v1,<base64>`, one per secret during a rotation), signed with the
//! account's own secret. The target is checked again at send time; the connection goes
//! only to the addresses checked, and no redirect is followed.

use std::time::Duration;

use exportd_core::webhooks;

/// Why a delivery (webhook or email) failed, and whether retrying can help.
#[derive(Debug)]
pub struct DeliveryError {
    pub message: String,
    pub permanent: bool,
}

fn permanent(message: String) -> DeliveryError {
    DeliveryError {
        message,
        permanent: true,
    }
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
        return Err(permanent(
            "the account has no webhook secret (POST /v1/webhook-secret makes one)".into(),
        ));
    }
    let parsed = webhooks::check_shape(url).map_err(|e| permanent(e.to_string()))?;
    let addrs = match webhooks::resolve(&parsed, allow_private).await {
        Ok(a) => a,
        Err(e @ webhooks::TargetError::Unresolved(_)) => {
            return Err(DeliveryError {
                message: e.to_string(),
                permanent: false,
            });
        }
        Err(e) => return Err(permanent(e.to_string())),
    };
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&host, &addrs)
        .user_agent(concat!("exportd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| permanent(format!("webhook client: {e}")))?;
    let ts = chrono::Utc::now().timestamp();
    let sig = signature(secrets, msg_id, ts, &body).map_err(permanent)?;
    let resp = client
        .post(parsed)
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, msg_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, ts.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, sig)
        .body(body)
        .send()
        .await
        .map_err(|e| DeliveryError {
            message: format!("webhook: {e}"),
            permanent: false,
        })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    // A redirect is not followed: the receiver must give the final address. A 4xx other
    // than 408/429 means the receiver refuses this delivery for good.
    let permanent = status.is_redirection()
        || (status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429);
    Err(DeliveryError {
        message: format!("webhook answered {status}"),
        permanent,
    })
}
