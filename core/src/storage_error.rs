//! Why a storage operation failed, for the store and for its streaming writer alike, and
//! whether retrying can help.

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("s3: {0}")]
    S3(String),
    /// The writer was dropped before the file was complete; what was sent is removed.
    #[error("the upload was abandoned before the file was complete")]
    Abandoned,
}

impl StorageError {
    /// Whether retrying cannot help: the bucket is missing, or the credentials are wrong or
    /// not allowed. An operator has to act.
    pub fn is_permanent(&self) -> bool {
        match self {
            StorageError::S3(m) => [
                "NoSuchBucket",
                "AccessDenied",
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "AllAccessDisabled",
            ]
            .iter()
            .any(|code| m.contains(code)),
            StorageError::Io(e) => e.kind() == std::io::ErrorKind::PermissionDenied,
            StorageError::Abandoned => false,
        }
    }
}

pub(crate) fn s3err<E: std::error::Error>(e: E) -> StorageError {
    // The SDK's Display hides the service's message; its Debug chain carries it.
    StorageError::S3(format!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
}
