//! Writing to an S3 or SFTP destination: a finished export's file, streamed from exportd's
//! storage, or the small probe file of a test. Both answer where the bytes went, or a
//! [`PostError`] that says, in words an admin can act on, what failed and whether a retry
//! can help. The sender opens the sealed secret and hands it here.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;

use super::{
    Destination,
    naming::{self, Names},
    s3, sftp,
    spec::{Kind, Settings},
};
use crate::{Config, webhooks::PostError};

/// A file destination, ready to be written to: its type and settings read once.
pub struct Target<'a> {
    destination: &'a Destination,
    /// The opened secret: a secret access key, a private key or a password; empty in role
    /// mode.
    secret: &'a str,
    cfg: &'a Config,
    kind: Kind,
    settings: Settings,
}

/// A file to write: its bytes as a stream, its length and type.
pub struct File {
    pub name: String,
    pub body: ByteStream,
    pub len: i64,
    pub content_type: &'static str,
}

impl<'a> Target<'a> {
    /// An S3 or SFTP destination with its opened secret; a Slack destination, or settings
    /// that cannot be read, is refused for good.
    pub fn new(
        destination: &'a Destination,
        secret: &'a str,
        cfg: &'a Config,
    ) -> Result<Target<'a>, PostError> {
        let kind = Kind::parse(&destination.kind)
            .filter(|k| *k != Kind::Slack)
            .ok_or_else(|| {
                PostError::permanent(format!("a {} destination takes no files", destination.kind))
            })?;
        let settings = destination.parsed().map_err(|e| {
            PostError::permanent(format!("the destination's settings cannot be read: {e}"))
        })?;
        Ok(Target {
            destination,
            secret,
            cfg,
            kind,
            settings,
        })
    }

    /// The name this destination gives a file: its template filled.
    pub fn file_name(&self, names: &Names<'_>) -> String {
        naming::render(
            self.settings
                .file_name
                .as_deref()
                .unwrap_or(naming::DEFAULT),
            names,
        )
    }

    /// How long one operation may take: the I/O timeout, plus a second a MiB of the file, so
    /// a large file on a slow link is not cut off and retried forever.
    fn timeout(&self, len: i64) -> Duration {
        let transfer = Duration::from_secs(u64::try_from(len).unwrap_or(0) / (1024 * 1024));
        self.cfg.io_timeout.max(Duration::from_secs(10)) + transfer
    }

    /// Writes `file`; returns where it went.
    pub async fn put(&self, file: File) -> Result<String, PostError> {
        self.write(file, false).await
    }

    /// Writes a small probe file and removes it again; returns where it was written.
    pub async fn probe(&self) -> Result<String, PostError> {
        let text = b"exportd test: files of this destination will be written here.\n";
        let file = File {
            name: format!(
                "exportd-test-{}.txt",
                chrono::Utc::now().format("%Y%m%dT%H%M%S")
            ),
            body: ByteStream::from_static(text),
            len: text.len() as i64,
            content_type: "text/plain",
        };
        self.write(file, true).await
    }

    /// Writes `file` to the bucket or server, and with `remove` takes it away again (a
    /// refusal to remove is not an error).
    async fn write(&self, file: File, remove: bool) -> Result<String, PostError> {
        let s = &self.settings;
        match self.kind {
            Kind::S3 => {
                let client = s3::client(&self.s3(file.len)).await?;
                let key = s3::key(s, &file.name);
                let at = s3::put(&client, s, &key, file.body, file.len, file.content_type).await?;
                if remove {
                    s3::remove(&client, s, &key).await;
                }
                Ok(at)
            }
            Kind::Sftp => {
                let open = sftp::open(&self.sftp(file.len)).await?;
                let len = u64::try_from(file.len).unwrap_or(0);
                let at = sftp::put(&open, s, &file.name, file.body.into_async_read(), len).await?;
                if remove {
                    sftp::remove(&open, s, &file.name).await;
                }
                Ok(at)
            }
            Kind::Slack => unreachable!("Target::new refuses Slack"),
        }
    }

    fn s3(&self, len: i64) -> s3::Access<'_> {
        s3::Access {
            settings: &self.settings,
            secret: self.secret,
            destination_id: self.destination.id,
            sts: &self.cfg.sts,
            allow_private: self.cfg.webhook_allow_private,
            timeout: self.timeout(len),
        }
    }

    fn sftp(&self, len: i64) -> sftp::Access<'_> {
        sftp::Access {
            settings: &self.settings,
            secret: self.secret,
            allow_private: self.cfg.webhook_allow_private,
            timeout: self.timeout(len),
        }
    }
}
