//! The cache of admin callers behind bearer tokens, kept in the router's state so that
//! `POST /v1/exports` can skip a database round trip for a token seen lately.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use exportd_core::Shared;
use exportd_core::auth::{Caller, caller_for_digest};

/// Admin callers of bearer tokens seen lately, by the token's sha256: a hint that spares
/// `POST /v1/exports` a database round trip, never trusted on its own (see the
/// `ProvisionalAdmin` extractor). Bounded: entries live a minute, and at most `MAX` are
/// kept.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<Vec<u8>, (Caller, Instant)>>,
}

impl TokenCache {
    const TTL: Duration = Duration::from_secs(60);
    const MAX: usize = 10_000;

    pub fn get(&self, digest: &[u8]) -> Option<Caller> {
        let m = self.entries.lock().expect("not poisoned");
        m.get(digest)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(c, _)| c.clone())
    }

    pub fn put(&self, digest: Vec<u8>, caller: Caller) {
        let mut m = self.entries.lock().expect("not poisoned");
        if m.len() >= Self::MAX {
            m.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            if m.len() >= Self::MAX {
                m.clear();
            }
        }
        m.insert(digest, (caller, Instant::now()));
    }

    pub fn forget(&self, digest: &[u8]) {
        self.entries.lock().expect("not poisoned").remove(digest);
    }

    /// The caller behind a token's digest, read from the database, and the cache brought
    /// up to date with it.
    pub async fn refresh(
        &self,
        ctx: &Shared,
        digest: &[u8],
    ) -> Result<Option<Caller>, sqlx::Error> {
        let fresh = caller_for_digest(&ctx.pool, digest).await?;
        match &fresh {
            Some(c) if c.is_admin() => self.put(digest.to_vec(), c.clone()),
            _ => self.forget(digest),
        }
        Ok(fresh)
    }
}
