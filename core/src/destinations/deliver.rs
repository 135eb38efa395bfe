//! Writing to an S3 or SFTP destination: a finished export's file, streamed from exportd's
//! storage, or the small probe file of a test. Both answer where the bytes went, or a
//! [`PostError`] that says, in words an admin can act on, what failed and whether a retry
//! can help. The sender opens the sealed secret and hands it here.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;

use super::{
    Destination, s3, sftp,
    spec::{Kind, Settings},
};
use crate::{Config, webhooks::PostError};

/// What a destination needs to be written to.
pub struct Target<'a> {
    pub destination: &'a Destination,
    /// The opened secret: a secret access key, a private key or a password; empty in role
    /// mode.
    pub secret: &'a str,
    pub cfg: &'a Config,
}

/// A file to write: its bytes as a stream, its length and type.
pub struct File {
    pub name: String,
    pub body: ByteStream,
    pub len: i64,
    pub content_type: &'static str,
}

impl Target<'_> {
    fn parts(&self) -> Result<(Kind, Settings), PostError> {
        let kind = Kind::parse(&self.destination.kind)
            .filter(|k| *k != Kind::Slack)
            .ok_or_else(|| {
                PostError::permanent(format!(
                    "a {} destination takes no files",
                    self.destination.kind
                ))
            })?;
        let settings = self.destination.parsed().map_err(|e| {
            PostError::permanent(format!("the destination's settings cannot be read: {e}"))
        })?;
        Ok((kind, settings))
    }

    /// How long one operation may take: the I/O timeout, plus a second a MiB of the file, so
    /// a large file on a slow link is not cut off and retried forever.
    fn timeout(&self, len: i64) -> Duration {
        let transfer = Duration::from_secs(u64::try_from(len).unwrap_or(0) / (1024 * 1024));
        self.cfg.io_timeout.max(Duration::from_secs(10)) + transfer
    }

    /// Writes `file`; returns where it went.
    pub async fn put(&self, file: File) -> Result<String, PostError> {
        let (kind, s) = self.parts()?;
        match kind {
            Kind::S3 => {
                let client = s3::client(&self.s3(&s, file.len)).await?;
                let key = s3::key(&s, &file.name);
                s3::put(&client, &s, &key, file.body, file.len, file.content_type).await
            }
            Kind::Sftp => {
                let open = sftp::open(&self.sftp(&s, file.len)).await?;
                let len = u64::try_from(file.len).unwrap_or(0);
                sftp::put(&open, &s, &file.name, file.body.into_async_read(), len).await
            }
            Kind::Slack => unreachable!("parts refuses Slack"),
        }
    }

    /// Writes a small probe file and removes it again; returns where it was written.
    pub async fn probe(&self) -> Result<String, PostError> {
        let (kind, s) = self.parts()?;
        let name = format!(
            "exportd-test-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        );
        let text = b"exportd test: files of this destination will be written here.\n";
        let file = File {
            name: name.clone(),
            body: ByteStream::from_static(text),
            len: text.len() as i64,
            content_type: "text/plain",
        };
        match kind {
            Kind::S3 => {
                let client = s3::client(&self.s3(&s, file.len)).await?;
                let key = s3::key(&s, &name);
                let at = s3::put(&client, &s, &key, file.body, file.len, file.content_type).await?;
                s3::remove(&client, &s, &key).await;
                Ok(at)
            }
            Kind::Sftp => {
                let open = sftp::open(&self.sftp(&s, file.len)).await?;
                let len = file.len as u64;
                let at = sftp::put(&open, &s, &name, file.body.into_async_read(), len).await?;
                sftp::remove(&open, &s, &name).await;
                Ok(at)
            }
            Kind::Slack => unreachable!("parts refuses Slack"),
        }
    }

    fn s3<'s>(&'s self, settings: &'s Settings, len: i64) -> s3::Access<'s> {
        s3::Access {
            settings,
            secret: self.secret,
            destination_id: self.destination.id,
            sts: &self.cfg.sts,
            allow_private: self.cfg.webhook_allow_private,
            timeout: self.timeout(len),
        }
    }

    fn sftp<'s>(&'s self, settings: &'s Settings, len: i64) -> sftp::Access<'s> {
        sftp::Access {
            settings,
            secret: self.secret,
            allow_private: self.cfg.webhook_allow_private,
            timeout: self.timeout(len),
        }
    }
}
