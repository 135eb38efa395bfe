//! Email: lettre over SMTP when `SMTP_HOST` is set, otherwise `.eml` files in an outbox
//! directory. Messages come from the templates in `templates/email/`, compiled in, with a
//! text part and an HTML part in the account's locale.

use std::{path::PathBuf, sync::LazyLock, time::Duration};

use exportd_core::{config::SmtpTls, domain::Locale};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{MultiPart, SinglePart, header},
    transport::smtp::authentication::Credentials,
};
use minijinja::Environment;
use secrecy::ExposeSecret;
use serde::Serialize;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // minijinja's HTML escaping also escapes `/`, which mangles links to the eye; escape
    // only what HTML needs.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html
            && !value.is_safe()
            && value.as_str().is_some()
        {
            let s = value.as_str().unwrap_or_default();
            let escaped = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            out.write_str(&escaped).map_err(minijinja::Error::from)
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    for (name, src) in [
        ("ready.txt", include_str!("../../templates/email/ready.txt")),
        (
            "ready.html",
            include_str!("../../templates/email/ready.html"),
        ),
        (
            "failed.txt",
            include_str!("../../templates/email/failed.txt"),
        ),
        (
            "failed.html",
            include_str!("../../templates/email/failed.html"),
        ),
    ] {
        env.add_template(name, src).expect("email templates parse");
    }
    env
});

static STRINGS: LazyLock<serde_json::Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../templates/email/strings.json"))
        .expect("strings.json parses")
});

/// What an email about an export says.
#[derive(Debug, Clone, Serialize)]
pub struct ExportEmail {
    pub export_id: i64,
    pub report: String,
    pub from: String,
    pub to: String,
    pub timezone: String,
    /// Set when the file is ready.
    pub size: Option<String>,
    pub expires: Option<String>,
    pub link: Option<String>,
    /// Set when the export failed.
    pub error: Option<String>,
    /// The filters applied, in words: (label, value).
    pub filters: Vec<(String, String)>,
    /// The destinations the ready file could not be delivered to, each with why.
    pub undelivered: Vec<String>,
}

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn fill(pattern: &str, e: &ExportEmail) -> String {
    pattern
        .replace("{report}", &e.report)
        .replace("{from}", &e.from)
        .replace("{to}", &e.to)
}

/// Renders the ready or failed email in the given locale.
pub fn render(locale: Locale, email: &ExportEmail) -> Result<Rendered, minijinja::Error> {
    let t = &STRINGS[locale.as_str()];
    let failed = email.error.is_some();
    let (stem, subject_key, intro_key) = if failed {
        ("failed", "failed_subject", "failed_intro")
    } else if !email.undelivered.is_empty() {
        ("ready", "undelivered_subject", "undelivered_intro")
    } else {
        ("ready", "ready_subject", "ready_intro")
    };
    let subject = fill(t[subject_key].as_str().unwrap_or_default(), email);
    let intro = fill(t[intro_key].as_str().unwrap_or_default(), email);
    let ctx = minijinja::context! {
        t => t, intro => intro, locale => locale.as_str(),
        export_id => email.export_id, from => email.from, to => email.to, timezone => email.timezone,
        size => email.size, expires => email.expires, link => email.link, error => email.error,
        filters => email.filters, undelivered => email.undelivered,
    };
    Ok(Rendered {
        subject,
        text: TEMPLATES
            .get_template(&format!("{stem}.txt"))?
            .render(&ctx)?,
        html: TEMPLATES
            .get_template(&format!("{stem}.html"))?
            .render(&ctx)?,
    })
}

/// The name of a month in a locale ("septiembre").
pub fn month_name(locale: Locale, month: u32) -> String {
    STRINGS[locale.as_str()]["months"][(month as usize).saturating_sub(1)]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A file size for people: 1.2 MB.
pub fn human_size(bytes: i64) -> String {
    let b = bytes as f64;
    match bytes {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KB", b / 1024.0),
        n if n < 1024 * 1024 * 1024 => format!("{:.1} MB", b / 1048576.0),
        _ => format!("{:.2} GB", b / 1073741824.0),
    }
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    Outbox {
        dir: PathBuf,
        from: String,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Outbox { dir, .. } => write!(f, "Mailer::Outbox({})", dir.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("outbox: {0}")]
    Io(#[from] std::io::Error),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

impl MailError {
    /// A permanent SMTP answer (5xx) or a bad address will not pass on a retry.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address(_) => true,
            MailError::Smtp(e) => e.is_permanent(),
            _ => false,
        }
    }
}

impl Mailer {
    pub fn from_config(cfg: &exportd_core::Config) -> Result<Mailer, MailError> {
        let from = cfg.mail_from.clone();
        from.parse::<lettre::message::Mailbox>()
            .map_err(|_| MailError::Address(from.clone()))?;
        let Some(smtp) = &cfg.smtp else {
            return Ok(Mailer::Outbox {
                dir: cfg.outbox_dir.clone(),
                from,
            });
        };
        let mut b = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        }
        .port(smtp.port)
        .timeout(Some(cfg.io_timeout.min(Duration::from_secs(60))));
        if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose_secret().to_owned()));
        }
        Ok(Mailer::Smtp {
            transport: b.build(),
            from,
        })
    }

    /// Sends one email to one recipient. `name` names the outbox file.
    pub async fn send(&self, to: &str, mail: &Rendered, name: &str) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from,
        };
        let msg = Message::builder()
            .from(from.parse().map_err(|_| MailError::Address(from.clone()))?)
            .to(to.parse().map_err(|_| MailError::Address(to.to_owned()))?)
            .subject(&mail.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_PLAIN)
                            .header(header::ContentTransferEncoding::QuotedPrintable)
                            .body(mail.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_HTML)
                            .header(header::ContentTransferEncoding::QuotedPrintable)
                            .body(mail.html.clone()),
                    ),
            )?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(msg).await?;
            }
            Mailer::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{name}.eml"));
                let tmp = path.with_extension("eml.partial");
                tokio::fs::write(&tmp, msg.formatted()).await?;
                tokio::fs::rename(&tmp, &path).await?;
            }
        }
        Ok(())
    }

    /// Where emails go, for people.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { .. } => "SMTP".to_owned(),
            Mailer::Outbox { dir, .. } => format!("outbox {}", dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(error: Option<&str>) -> ExportEmail {
        ExportEmail {
            export_id: 42,
            report: "Informe global".into(),
            from: "2026-10-01".into(),
            to: "2026-10-30".into(),
            timezone: "America/Santiago".into(),
            size: Some("1.2 MB".into()),
            expires: Some("2026-11-07 10:00".into()),
            link: Some("https://x.example/v1/exports/42/download?expires=1&sig=ab&x=<b>".into()),
            error: error.map(str::to_owned),
            filters: vec![("Cuentas".into(), "WA Ventas, Web".into())],
            undelivered: Vec::new(),
        }
    }

    #[test]
    fn an_undelivered_file_is_said_with_each_destination_and_the_link() {
        let e = ExportEmail {
            undelivered: vec!["«Almacén» (SFTP)".into()],
            ..sample(None)
        };
        let r = render(Locale::Es, &e).unwrap();
        assert!(
            r.subject
                .starts_with("Tu informe está listo, pero no pudimos entregarlo"),
            "{}",
            r.subject
        );
        for part in [&r.text, &r.html] {
            assert!(part.contains("No entregado en"), "{part}");
            assert!(part.contains("«Almacén» (SFTP)"), "{part}");
            assert!(part.contains("x.example/v1/exports/42/download"), "{part}");
        }
        assert!(
            !render(Locale::Es, &sample(None))
                .unwrap()
                .text
                .contains("No entregado")
        );
    }

    #[test]
    fn ready_email_holds_name_range_size_expiry_and_link_in_both_parts() {
        let r = render(Locale::Es, &sample(None)).unwrap();
        assert!(r.text.contains("Cuentas: WA Ventas, Web"), "{}", r.text);
        assert!(r.html.contains("WA Ventas, Web"));
        assert!(
            r.subject.contains("Informe global") && r.subject.contains("2026-10-01"),
            "{}",
            r.subject
        );
        for part in [&r.text, &r.html] {
            for needle in [
                "2026-10-01",
                "2026-10-30",
                "America/Santiago",
                "1.2 MB",
                "2026-11-07 10:00",
            ] {
                assert!(part.contains(needle), "{needle} missing in {part}");
            }
        }
        assert!(r.text.contains("sig=ab&x=<b>"));
        assert!(
            r.html.contains("sig=ab&amp;x=&lt;b&gt;"),
            "html escapes the link: {}",
            r.html
        );
    }

    #[test]
    fn failed_email_says_what_went_wrong_and_what_to_do_in_english() {
        let r = render(Locale::En, &sample(Some("the account was deleted"))).unwrap();
        assert!(r.subject.starts_with("We could not"));
        assert!(
            r.text.contains("the account was deleted")
                && r.text.contains("Request the report again")
        );
        assert!(r.text.contains("42"));
    }
}
