//! A file written straight into storage while it is being made. [`Upload`] is a
//! `std::io::Write` for the renderer's blocking thread: every [`PART_SIZE`] bytes become one
//! S3 multipart part, sent by a task of its own while the renderer goes on writing, so the
//! work left after the last byte is the last part and the completion, not a second pass
//! over a whole file. A file smaller than one part goes up as one `PutObject`. On local
//! storage the bytes go to `<key>.partial`, renamed when complete.
//!
//! Nothing is left behind when the file is not finished: an [`Upload`] dropped before
//! [`Upload::finish`] (an error, a cancel that stops the renderer) aborts its multipart
//! upload, or deletes its partial file.

use std::{io::Write, path::PathBuf, sync::Arc};

use aws_sdk_s3::{
    Client,
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart},
};
use tokio::{
    io::AsyncWriteExt,
    sync::{Notify, mpsc},
    task::JoinHandle,
};

use crate::storage_error::{StorageError, s3err};

/// Size of each multipart part: S3's least (but for the last), so that memory stays low
/// and parts leave early.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts waiting to be sent beside the one being filled: memory is at most
/// `(QUEUED + 2) × PART_SIZE` for the upload, whatever the file's size.
const QUEUED: usize = 1;

enum Msg {
    Part(Vec<u8>),
    /// The last bytes (maybe none): complete the object.
    Last(Vec<u8>),
}

/// Where the parts go.
pub(crate) enum Target {
    Local { dest: PathBuf },
    S3 { client: Client, bucket: String },
}

/// The writer; see the module's documentation.
pub struct Upload {
    tx: mpsc::Sender<Msg>,
    buf: Vec<u8>,
}

/// The task sending an [`Upload`]'s parts.
pub struct Sending {
    task: JoinHandle<Result<u64, StorageError>>,
    stop: Arc<Notify>,
}

impl Sending {
    /// Stops sending, and aborts what was sent, without waiting for the writer to notice
    /// (its next part fails). Returns what the upload came to: `Ok` when the object was
    /// complete before the stop came, for the caller to delete.
    pub async fn cancel(self) -> Result<u64, StorageError> {
        self.stop.notify_one();
        self.stored().await
    }

    /// The object's size once it is complete, or why it is not. An upload whose writer
    /// was dropped unclosed ends with [`StorageError::Abandoned`], having removed what
    /// it had sent.
    pub async fn stored(self) -> Result<u64, StorageError> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(StorageError::S3(format!("the upload task ended: {e}"))),
        }
    }
}

impl Upload {
    /// Starts an upload to `key`; the sending task runs on the current Tokio runtime.
    pub(crate) fn start(
        target: Target,
        key: String,
        content_type: &'static str,
    ) -> (Upload, Sending) {
        let (tx, rx) = mpsc::channel(QUEUED);
        let stop = Arc::new(Notify::new());
        let parts = Parts {
            rx,
            stop: stop.clone(),
        };
        let task = tokio::spawn(async move {
            match target {
                Target::Local { dest } => to_file(parts, dest).await,
                Target::S3 { client, bucket } => {
                    to_s3(parts, &client, &bucket, &key, content_type).await
                }
            }
        });
        let upload = Upload {
            tx,
            buf: Vec::with_capacity(PART_SIZE),
        };
        (upload, Sending { task, stop })
    }

    fn send(&mut self, msg: Msg) -> std::io::Result<()> {
        // On the renderer's blocking thread: waits while the parts before are in flight.
        self.tx.blocking_send(msg).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the upload stopped; its error says why",
            )
        })
    }

    /// Sends the last bytes: the object is complete once [`Sending::stored`] says so.
    /// From the blocking thread; a writer dropped without it is abandoned.
    pub fn close(mut self) -> std::io::Result<()> {
        let last = std::mem::take(&mut self.buf);
        self.send(Msg::Last(last))
    }
}

impl Write for Upload {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = PART_SIZE - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == PART_SIZE {
            let part = std::mem::replace(&mut self.buf, Vec::with_capacity(PART_SIZE));
            self.send(Msg::Part(part))?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the sending task reads: the writer's parts, until it stops or is stopped.
struct Parts {
    rx: mpsc::Receiver<Msg>,
    stop: Arc<Notify>,
}

impl Parts {
    /// The next part; `None` when the writer was dropped unclosed, or [`Sending::cancel`]
    /// stopped the upload.
    async fn next(&mut self) -> Option<Msg> {
        tokio::select! {
            m = self.rx.recv() => m,
            () = self.stop.notified() => None,
        }
    }
}

async fn to_file(mut rx: Parts, dest: PathBuf) -> Result<u64, StorageError> {
    tokio::fs::create_dir_all(dest.parent().expect("keys have a directory")).await?;
    let tmp = dest.with_extension("partial");
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut size = 0u64;
        while let Some(msg) = rx.next().await {
            let (bytes, last) = match msg {
                Msg::Part(b) => (b, false),
                Msg::Last(b) => (b, true),
            };
            file.write_all(&bytes).await?;
            size += bytes.len() as u64;
            if last {
                file.sync_all().await?;
                // A reader never sees half a file.
                tokio::fs::rename(&tmp, &dest).await?;
                return Ok(size);
            }
        }
        Err(StorageError::Abandoned)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

async fn to_s3(
    mut rx: Parts,
    client: &Client,
    bucket: &str,
    key: &str,
    content_type: &str,
) -> Result<u64, StorageError> {
    let first = match rx.next().await {
        None => return Err(StorageError::Abandoned),
        // Smaller than one part: one PutObject, no multipart upload at all.
        Some(Msg::Last(bytes)) => {
            let size = bytes.len() as u64;
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(s3err)?;
            return Ok(size);
        }
        Some(Msg::Part(bytes)) => bytes,
    };
    let up = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .send()
        .await
        .map_err(s3err)?;
    let upload_id = up
        .upload_id()
        .ok_or_else(|| StorageError::S3("no upload id".into()))?
        .to_owned();
    let result = async {
        let mut parts = Vec::new();
        let mut size = 0u64;
        let mut next = Some(Msg::Part(first));
        loop {
            let msg = match next.take() {
                Some(m) => Some(m),
                None => rx.next().await,
            };
            let (bytes, last) = match msg {
                None => return Err(StorageError::Abandoned),
                Some(Msg::Part(b)) => (b, false),
                Some(Msg::Last(b)) => (b, true),
            };
            if !bytes.is_empty() || parts.is_empty() {
                size += bytes.len() as u64;
                let number = parts.len() as i32 + 1;
                let part = client
                    .upload_part()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(ByteStream::from(bytes))
                    .send()
                    .await
                    .map_err(s3err)?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                );
            }
            if last {
                break;
            }
        }
        client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(s3err)?;
        Ok(size)
    }
    .await;
    if result.is_err() {
        // No orphan parts: an unfinished upload is aborted whatever stopped it.
        let _ = client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .send()
            .await;
    }
    result
}
