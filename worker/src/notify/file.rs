//! The S3 and SFTP channels: a delivery to one of the account's file destinations
//! (`destination:<id>`) copies the export's stored file there, streamed, under the
//! destination's name template. Its secret is opened here, as for Slack.

use exportd_core::{
    destinations::{
        deliver::{File, Target},
        naming::Names,
    },
    exports::Export,
    notifications::Notification,
};

use super::DeliveryError;
use crate::Ctx;

/// Writes the file of `export` to the destination `n` names; returns where it went.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<String, DeliveryError> {
    let (d, secret) = super::destination(ctx, n, export).await?;
    let (Some(key), Some(file_name)) = (export.file_key.as_deref(), export.file_name.as_deref())
    else {
        return Err(DeliveryError::permanent(
            "the export has no file to deliver",
        ));
    };
    // The stored file's own extension (a CSV export is a zip of its sections).
    let ext = file_name.rsplit_once('.').map_or("", |(_, ext)| ext);
    let target = Target::new(&d, &secret, &ctx.cfg)?;
    let name = target.file_name(&Names {
        kind: export.kind.as_str(),
        from: export.range_from,
        to: export.range_to,
        id: export.id,
        ext,
    });
    let body = ctx.storage.read(key).await.map_err(|e| {
        if e.is_permanent() {
            DeliveryError::permanent(format!("reading the stored file: {e}"))
        } else {
            DeliveryError::transient(format!("reading the stored file: {e}"))
        }
    })?;
    let file = File {
        name,
        body,
        len: export.file_bytes.ok_or_else(|| {
            DeliveryError::permanent(format!("export {} has no file size recorded", export.id))
        })?,
        content_type: export.format.content_type(),
    };
    Ok(target.put(file).await?)
}
