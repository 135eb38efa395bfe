//! Where files go: S3 (aws-sdk-s3) when `S3_BUCKET` is set, otherwise a local directory.
//! Each attempt of an export writes its own key (`…/{export}/{lease token}/{file}`); the
//! export records one, and objects of its earlier attempts are deleted once a retry's file
//! is recorded, so an export keeps exactly one object.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use crate::config::S3Config;
use crate::ids::{AccountId, ExportId};
use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    presigning::PresigningConfig,
};
use secrecy::ExposeSecret;

pub use crate::storage_error::StorageError;
use crate::storage_error::s3err;
use crate::upload::{Sending, Target, Upload};

#[derive(Debug, Clone)]
pub enum Storage {
    Local { dir: PathBuf },
    S3 { client: Client, bucket: String },
}

impl Storage {
    pub fn from_config(cfg: &crate::Config) -> Storage {
        match &cfg.s3 {
            Some(s3) => Storage::S3 {
                client: s3_client(s3, cfg.io_timeout),
                bucket: s3.bucket.clone(),
            },
            None => Storage::Local {
                dir: cfg.storage_dir.clone(),
            },
        }
    }

    /// The object key of an export's file, as written by the attempt holding lease
    /// `token`: each attempt writes its own object, and only the one that finishes under its
    /// lease is recorded, so a stale worker never overwrites the file of a newer attempt.
    /// The same attempt retrying an upload overwrites its own object.
    pub fn key(account_id: AccountId, export_id: ExportId, token: i64, file_name: &str) -> String {
        format!(
            "{}{token}/{file_name}",
            Self::export_prefix(account_id, export_id)
        )
    }

    /// The prefix of every attempt's object of an export.
    pub fn export_prefix(account_id: AccountId, export_id: ExportId) -> String {
        format!("exports/{account_id}/{export_id}/")
    }

    /// The keys of the objects under `prefix` (at most 1,000: an export's attempts).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        match self {
            Storage::Local { dir } => {
                let (mut keys, mut dirs) = (Vec::new(), vec![dir.join(prefix)]);
                while let Some(d) = dirs.pop() {
                    let mut entries = match tokio::fs::read_dir(&d).await {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        r => r?,
                    };
                    while let Some(e) = entries.next_entry().await? {
                        if e.file_type().await?.is_dir() {
                            dirs.push(e.path());
                        } else if let Ok(rel) = e.path().strip_prefix(dir) {
                            keys.push(rel.to_string_lossy().into_owned());
                        }
                    }
                }
                Ok(keys)
            }
            Storage::S3 { client, bucket } => {
                let out = client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .send()
                    .await
                    .map_err(s3err)?;
                Ok(out
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned))
                    .collect())
            }
        }
    }

    /// A writer that stores what is written under `key` as it comes (see
    /// [`crate::upload`]), and the task that tells when the object is complete.
    pub fn upload(&self, key: &str, content_type: &'static str) -> (Upload, Sending) {
        let target = match self {
            Storage::Local { dir } => Target::Local {
                dest: dir.join(key),
            },
            Storage::S3 { client, bucket } => Target::S3 {
                client: client.clone(),
                bucket: bucket.clone(),
            },
        };
        Upload::start(target, key.to_owned(), content_type)
    }

    /// Stores the file at `path` under `key`, through [`Storage::upload`]; returns its size.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &'static str,
    ) -> Result<u64, StorageError> {
        let (mut upload, sending) = self.upload(key, content_type);
        let path = path.to_owned();
        let copied = tokio::task::spawn_blocking(move || {
            std::io::copy(&mut std::fs::File::open(path)?, &mut upload)?;
            upload.close()
        })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        let stored = sending.stored().await;
        // The upload's own error says more than the broken pipe the copy saw.
        let size = stored?;
        copied?;
        Ok(size)
    }

    /// The stored object's bytes as a stream (never all in memory), for a destination.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<aws_sdk_s3::primitives::ByteStream, StorageError> {
        match self {
            Storage::Local { dir } => aws_sdk_s3::primitives::ByteStream::from_path(dir.join(key))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e))),
            Storage::S3 { client, bucket } => Ok(client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(s3err)?
                .body),
        }
    }

    /// Deletes an object; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self {
            Storage::Local { dir } => match tokio::fs::remove_file(dir.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Storage::S3 { client, bucket } => {
                client
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(s3err)?;
                Ok(())
            }
        }
    }

    /// A short-lived URL to fetch the object; `None` on local storage, where the API
    /// streams the file itself.
    pub async fn presign_get(
        &self,
        key: &str,
        ttl: Duration,
        download_name: &str,
    ) -> Result<Option<String>, StorageError> {
        match self {
            Storage::Local { .. } => Ok(None),
            Storage::S3 { client, bucket } => {
                let cfg = PresigningConfig::expires_in(ttl)
                    .map_err(|e| StorageError::S3(e.to_string()))?;
                let req = client
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .response_content_disposition(format!(
                        "attachment; filename=\"{download_name}\""
                    ))
                    .presigned(cfg)
                    .await
                    .map_err(s3err)?;
                Ok(Some(req.uri().to_string()))
            }
        }
    }

    /// The path of a stored file on local storage.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        match self {
            Storage::Local { dir } => Some(dir.join(key)),
            Storage::S3 { .. } => None,
        }
    }

    /// Readiness: the directory is writable or the bucket answers.
    pub async fn check(&self) -> Result<(), StorageError> {
        match self {
            Storage::Local { dir } => {
                tokio::fs::create_dir_all(dir).await?;
                let probe = dir.join(".ready");
                tokio::fs::write(&probe, b"ok").await?;
                Ok(())
            }
            Storage::S3 { client, bucket } => {
                client
                    .head_bucket()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(s3err)?;
                Ok(())
            }
        }
    }
}

fn s3_client(s3: &S3Config, timeout: Duration) -> Client {
    // Every operation (each part of a multipart upload is one) has a deadline; a hung
    // connection fails the attempt, which is retried.
    let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .operation_attempt_timeout(timeout)
        .operation_timeout(timeout * 2)
        .build();
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .region(Region::new(s3.region.clone()))
        .force_path_style(s3.force_path_style);
    if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
        b = b.credentials_provider(Credentials::new(
            id,
            secret.expose_secret(),
            None,
            None,
            "environment",
        ));
    }
    if let Some(endpoint) = &s3.endpoint {
        b = b.endpoint_url(endpoint);
    }
    Client::from_conf(b.build())
}
