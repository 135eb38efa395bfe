//! Slack destinations: a message to an incoming webhook with the report's title, range,
//! file and a download button, in Block Kit. The link is posted, not the file (Slack's
//! `files.upload` is retired). Slack answers a refusal with a word (`no_service`,
//! `invalid_token`, `channel_is_archived`…), which is told to the admin in words they can
//! act on.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    domain::Locale,
    webhooks::{self, PostError},
};

/// What a message says.
#[derive(Debug, Clone)]
pub struct Message {
    /// The report's title, e.g. "Informe global".
    pub title: String,
    /// The days and zone, e.g. "2026-11-01 – 2026-11-30 (America/Santiago)".
    pub range: String,
    /// The file's name and size, when there is one.
    pub file: Option<String>,
    /// The download link, while the file is kept.
    pub link: Option<String>,
    pub locale: Locale,
}

struct Words {
    ready: &'static str,
    range: &'static str,
    file: &'static str,
    download: &'static str,
    test_title: &'static str,
    test_body: &'static str,
}

fn words(locale: Locale) -> Words {
    match locale {
        Locale::Es => Words {
            ready: "listo",
            range: "Rango",
            file: "Archivo",
            download: "Descargar",
            test_title: "Prueba de exportd",
            test_body: "Este canal recibirá los informes que tengan como destino «{name}».",
        },
        Locale::En => Words {
            ready: "ready",
            range: "Range",
            file: "File",
            download: "Download",
            test_title: "exportd test",
            test_body: "This channel will get the reports sent to “{name}”.",
        },
        Locale::Pt => Words {
            ready: "pronto",
            range: "Intervalo",
            file: "Arquivo",
            download: "Baixar",
            test_title: "Teste do exportd",
            test_body: "Este canal receberá os relatórios enviados a “{name}”.",
        },
    }
}

/// The message's JSON: a `text` fallback (notifications, screen readers) and its blocks.
pub fn payload(m: &Message) -> Value {
    let w = words(m.locale);
    let mut details = format!("*{}:* {}", w.range, m.range);
    if let Some(f) = &m.file {
        details.push_str(&format!("\n*{}:* {f}", w.file));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": format!("{} {}", m.title, w.ready), "emoji": false}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": details}}),
    ];
    if let Some(link) = &m.link {
        blocks.push(json!({"type": "actions", "elements": [{
            "type": "button", "style": "primary", "action_id": "download",
            "text": {"type": "plain_text", "text": w.download}, "url": link,
        }]}));
    }
    json!({"text": format!("{} {}: {}", m.title, w.ready, m.range), "blocks": blocks})
}

/// The test message of destination `name`: it says it is a test, and what the channel
/// will get.
pub fn test_payload(name: &str, locale: Locale) -> Value {
    let w = words(locale);
    let body = w.test_body.replace("{name}", name);
    json!({"text": format!("{}: {body}", w.test_title), "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": w.test_title, "emoji": false}},
        {"type": "section", "text": {"type": "plain_text", "text": body, "emoji": false}},
    ]})
}

/// What Slack's refusal means, in words an admin can act on.
pub fn explain(status: u16, said: &str) -> String {
    let said = said.trim();
    let what = match said {
        "no_service" | "no_service_id" => {
            "the webhook no longer exists (removed, or its app uninstalled): make a new incoming webhook and save it here"
        }
        "invalid_token" | "no_team" | "team_disabled" => {
            "Slack refuses the webhook's token: make a new incoming webhook and save it here"
        }
        "channel_not_found" | "channel_is_archived" => {
            "the webhook's channel is archived or gone: point a new webhook at a live channel"
        }
        "action_prohibited" | "posting_to_general_channel_denied" => {
            "the workspace does not let this webhook post there"
        }
        "invalid_payload" | "invalid_blocks" => "Slack refused the message's form",
        _ => "",
    };
    let said: String = said.chars().take(200).collect();
    if what.is_empty() {
        format!("Slack answered {status}: {said}")
    } else {
        format!("{what} (Slack answered {status}: {said})")
    }
}

/// Posts `body` to the incoming webhook `url`, connecting only to the addresses checked.
pub async fn post(url: &str, allow_private: bool, body: &Value) -> Result<(), PostError> {
    let (client, parsed) =
        webhooks::pinned_client(url, allow_private, Duration::from_secs(15)).await?;
    let resp = client
        .post(parsed)
        .json(body)
        .send()
        .await
        // Without the URL: it is the destination's secret.
        .map_err(|e| {
            PostError::transient(format!("Slack could not be reached: {}", e.without_url()))
        })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let said = resp.text().await.unwrap_or_default();
    Err(PostError {
        message: explain(status.as_u16(), &said),
        permanent: webhooks::refuses_for_good(status),
    })
}

/// Checks an incoming-webhook URL as given: an https URL (http only where the operator
/// allows private targets, as in tests) whose host resolves to allowed addresses. Returns
/// its host, which may be shown.
pub async fn check_url(url: &str, allow_private: bool) -> Result<String, String> {
    let parsed = webhooks::check_shape(url)
        .map_err(|e| e.to_string().replace("webhook", "Slack webhook"))?;
    if parsed.scheme() != "https" && !allow_private {
        return Err("a Slack incoming webhook is an https URL".into());
    }
    webhooks::resolve(&parsed, allow_private)
        .await
        .map_err(|e| e.to_string().replace("webhook", "Slack webhook"))?;
    Ok(parsed.host_str().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_has_a_fallback_text_and_a_download_button() {
        let m = Message {
            title: "Informe global".into(),
            range: "2026-11-01 – 2026-11-30 (America/Santiago)".into(),
            file: Some("informe.xlsx (27 KB)".into()),
            link: Some("https://exportd.example/d/1?sig=x".into()),
            locale: Locale::Es,
        };
        let p = payload(&m);
        assert_eq!(
            p["text"],
            "Informe global listo: 2026-11-01 – 2026-11-30 (America/Santiago)"
        );
        assert_eq!(p["blocks"][0]["type"], "header");
        assert_eq!(
            p["blocks"][2]["elements"][0]["url"],
            "https://exportd.example/d/1?sig=x"
        );
        assert_eq!(p["blocks"][2]["elements"][0]["text"]["text"], "Descargar");
        let none = payload(&Message { link: None, ..m });
        assert_eq!(none["blocks"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn refusals_are_told_in_words_an_admin_can_act_on() {
        assert!(explain(404, "no_service").starts_with("the webhook no longer exists"));
        assert!(explain(403, "invalid_token").contains("new incoming webhook"));
        assert_eq!(explain(500, "boom"), "Slack answered 500: boom");
    }
}
