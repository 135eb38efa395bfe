//! SFTP destinations (russh and russh-sftp: pure Rust, on tokio). The connection goes to
//! the address checked when the host was resolved, and the server must show the host key
//! whose fingerprint the destination pins; any other is refused before a secret is sent.
//! The file is written under a temporary name (`.<name>.<random>.part`), its size checked, then
//! renamed, so a reader of the directory never sees half a file. A retried delivery that
//! finds its file already complete does not write it again.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use russh::{
    client,
    keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate},
};
use russh_sftp::{client::SftpSession, protocol::StatusCode};
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::spec::Settings;
use crate::webhooks::PostError;

/// How a destination reaches its server.
pub struct Access<'a> {
    pub settings: &'a Settings,
    /// The private key (OpenSSH or PEM) or the password, as `settings.auth` says.
    pub secret: &'a str,
    pub allow_private: bool,
    pub timeout: Duration,
}

/// Accepts only the pinned host key, and keeps the one the server showed.
struct Pinned {
    pinned: String,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let shown = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        let ok = shown == self.pinned;
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(shown);
        Ok(ok)
    }
}

/// An open SFTP session, and where it is for the record.
pub struct Open {
    sftp: SftpSession,
    // Kept so the connection lives as long as the session.
    _ssh: client::Handle<Pinned>,
    place: String,
}

/// Connects, checks the host key, logs in and opens the SFTP subsystem.
pub async fn open(a: &Access<'_>) -> Result<Open, PostError> {
    let s = a.settings;
    let host = s.host.as_deref().unwrap_or_default();
    let port = s.port.unwrap_or(22);
    let user = s.user.as_deref().unwrap_or_default();
    let addrs = super::resolve_checked(host, port, a.allow_private).await?;
    let unreachable = |why: String| {
        PostError::transient(format!(
            "the SFTP server {host}:{port} could not be reached ({why}); it will be tried again"
        ))
    };
    let tcp = tokio::time::timeout(a.timeout, tokio::net::TcpStream::connect(&addrs[..]))
        .await
        .map_err(|_| unreachable("no answer".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let seen = Arc::new(Mutex::new(None));
    let handler = Pinned {
        pinned: s.host_key.clone().unwrap_or_default(),
        seen: seen.clone(),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(a.timeout),
        ..Default::default()
    });
    let connected = tokio::time::timeout(a.timeout, client::connect_stream(config, tcp, handler))
        .await
        .map_err(|_| unreachable("no SSH greeting".into()))?;
    let mut ssh = match connected {
        Ok(ssh) => ssh,
        Err(russh::Error::UnknownKey) => {
            let shown = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Err(PostError::permanent(format!(
                "host key mismatch: {host} showed {}, but the destination pins {}; if the server's key was changed on purpose, save its new fingerprint",
                shown.unwrap_or_else(|| "another key".into()),
                s.host_key.as_deref().unwrap_or_default()
            )));
        }
        Err(e) => return Err(unreachable(e.to_string())),
    };
    let authenticated = if s.auth.as_deref() == Some("password") {
        ssh.authenticate_password(user, a.secret).await
    } else {
        let key = russh::keys::decode_secret_key(a.secret, None).map_err(|_| {
            PostError::permanent("the destination's private key cannot be read; save it again")
        })?;
        let hash = ssh.best_supported_rsa_hash().await.ok().flatten().flatten();
        ssh.authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
    }
    .map_err(|e| unreachable(e.to_string()))?;
    if !authenticated.success() {
        return Err(PostError::permanent(format!(
            "authentication failed: {host} refused user {user} with this {}",
            if s.auth.as_deref() == Some("password") {
                "password"
            } else {
                "key (is its public half in the user's authorized_keys?)"
            }
        )));
    }
    let channel = ssh
        .channel_open_session()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let sftp = SftpSession::new(channel.into_stream())
        .await
        .map_err(|e| match e {
            russh_sftp::client::error::Error::Timeout | russh_sftp::client::error::Error::IO(_) => {
                unreachable(format!("starting SFTP: {e}"))
            }
            e => PostError::permanent(format!("{host} does not offer SFTP to {user}: {e}")),
        })?;
    sftp.set_timeout(a.timeout.as_secs().max(1));
    Ok(Open {
        sftp,
        _ssh: ssh,
        place: format!("sftp://{user}@{host}:{port}"),
    })
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

/// An SFTP error in words. A refusal is for good; a missing file means a missing
/// directory only where the directory itself is read (`of_dir`); the rest may pass.
fn explain(e: russh_sftp::client::error::Error, what: &str, dir: &str, of_dir: bool) -> PostError {
    use russh_sftp::client::error::Error;
    match e {
        Error::Status(st) if of_dir && st.status_code == StatusCode::NoSuchFile => {
            PostError::permanent(format!(
                "directory missing: {dir} does not exist on the server; create it or change the destination's directory"
            ))
        }
        Error::Status(st) if st.status_code == StatusCode::PermissionDenied => {
            PostError::permanent(format!(
                "permission denied: the user may not write in {dir} ({what})"
            ))
        }
        other => PostError::transient(format!("{what}: {other}")),
    }
}

/// Writes `body` (`len` bytes) as `name` in the destination's directory: a temporary name,
/// then a rename. Returns where it went, as the delivery row records it.
pub async fn put(
    o: &Open,
    s: &Settings,
    name: &str,
    body: impl AsyncRead + Unpin,
    len: u64,
) -> Result<String, PostError> {
    let dir = s.directory.as_deref().unwrap_or(".");
    let sftp = &o.sftp;
    match sftp.metadata(dir).await {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(PostError::permanent(format!(
                "directory missing: {dir} is a file on the server, not a directory"
            )));
        }
        Err(e) => return Err(explain(e, "reading the directory", dir, true)),
    }
    let target = join(dir, name);
    let place = format!("{}/{}", o.place, target.trim_start_matches('/'));
    // An earlier attempt finished but was not recorded: the file is there, whole.
    if let Ok(m) = sftp.metadata(&target).await
        && m.size == Some(len)
    {
        return Ok(format!("{place} ({len} bytes, already there)"));
    }
    // Each attempt its own temporary name: two attempts at once (one outlasting its hold)
    // never write into one file.
    let temp = join(dir, &format!(".{name}.{:08x}.part", rand::random::<u32>()));
    let file = sftp
        .create(&temp)
        .await
        .map_err(|e| explain(e, "creating the file", dir, false))?;
    let written = write_then_rename(sftp, file, body, len, &temp, &target, dir).await;
    if written.is_err() {
        // Best effort: leave no temporary file behind on the customer's server.
        let _ = sftp.remove_file(&temp).await;
    }
    match written? {
        Placed::Renamed => Ok(format!("{place} ({len} bytes)")),
        Placed::AlreadyThere => Ok(format!("{place} ({len} bytes, already there)")),
    }
}

enum Placed {
    Renamed,
    AlreadyThere,
}

/// Writes the temporary file, checks its size, and renames it into place without ever
/// removing what is there: a target already there whole (another attempt's) is kept.
async fn write_then_rename(
    sftp: &SftpSession,
    mut file: russh_sftp::client::fs::File,
    body: impl AsyncRead + Unpin,
    len: u64,
    temp: &str,
    target: &str,
    dir: &str,
) -> Result<Placed, PostError> {
    // Large writes: each one is a round trip to the server.
    let mut body = tokio::io::BufReader::with_capacity(255 * 1024, body);
    tokio::io::copy_buf(&mut body, &mut file)
        .await
        .map_err(|e| PostError::transient(format!("writing {temp}: {e}")))?;
    file.shutdown()
        .await
        .map_err(|e| PostError::transient(format!("closing {temp}: {e}")))?;
    let size = sftp
        .metadata(temp)
        .await
        .map_err(|e| explain(e, "checking the file", dir, false))?
        .size;
    if size != Some(len) {
        return Err(PostError::transient(format!(
            "{temp} has {} bytes of {len}; it will be written again",
            size.unwrap_or(0)
        )));
    }
    match sftp.rename(temp, target).await {
        Ok(()) => Ok(Placed::Renamed),
        // OpenSSH does not rename over a file: another attempt put it there first.
        Err(e) => match sftp.metadata(target).await {
            Ok(m) if m.size == Some(len) => {
                let _ = sftp.remove_file(temp).await;
                Ok(Placed::AlreadyThere)
            }
            Ok(_) => Err(PostError::permanent(format!(
                "{target} is already on the server with other contents; exportd does not replace it"
            ))),
            Err(_) => Err(explain(e, "renaming the file into place", dir, false)),
        },
    }
}

/// Removes the probe a test wrote; a refusal is not an error.
pub async fn remove(o: &Open, s: &Settings, name: &str) {
    let _ = o
        .sftp
        .remove_file(join(s.directory.as_deref().unwrap_or("."), name))
        .await;
}
