//! Why a generation stopped, as the attempt's outcome is decided: permanent (recorded as
//! the export's failure), the lease lost (stop writing), or transient (retried).

use exportd_core::storage::StorageError;

/// Why a generation stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Retrying will not help: the request itself cannot be served.
    #[error("{message}")]
    Permanent { code: &'static str, message: String },
    /// The lease was taken over or the export was cancelled: stop writing.
    #[error("the lease on the export was lost")]
    LeaseLost,
    #[error(transparent)]
    Transient(#[from] anyhow::Error),
}

impl From<sqlx::Error> for GenerateError {
    fn from(e: sqlx::Error) -> Self {
        GenerateError::Transient(anyhow::Error::new(e).context("database"))
    }
}

pub(super) fn permanent(code: &'static str, message: impl Into<String>) -> GenerateError {
    GenerateError::Permanent {
        code,
        message: message.into(),
    }
}

/// A storage failure as the export records it: bucket or credentials wrong is for an
/// operator and fails at once; anything else is retried.
pub(super) fn storage_failed(e: StorageError) -> GenerateError {
    if e.is_permanent() {
        permanent(
            "storage_misconfigured",
            format!(
                "the file could not be stored ({e}); an operator must fix the bucket or its credentials (S3_BUCKET, AWS_*)"
            ),
        )
    } else {
        GenerateError::Transient(anyhow::Error::new(e).context("uploading the file"))
    }
}
