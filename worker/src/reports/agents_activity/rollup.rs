//! Reading agents' activity: sessions, busy time and messages per agent, from rollup blocks
//! for closed days where valid ones exist (see [`crate::rollup`]), from the source
//! tables elsewhere. Busy time is a union of intervals, which does not add up across days
//! or sites; so each day keeps its agents' chats, each with its site and interval in
//! microseconds, and the read merges those of every day and site wanted exactly. Messages
//! add up, and have blocks above days.

use std::{
    collections::{BTreeMap, HashSet},
    sync::LazyLock,
};

use exportd_core::domain::DateRange;
use futures::TryStreamExt;

pub use super::busy::Activity;
use crate::{
    reports::Reads,
    rollup::{self, Cover, DaysStatement, Rollups, day_of, sum_block},
};

/// Microseconds since the epoch of a timestamp, exactly.
macro_rules! micros {
    ($e:literal) => {
        concat!("(extract(epoch FROM ", $e, ") * 1000000)::int8")
    };
}

/// The chats agents took (`$1` account, `[$2, $3)` by `started_at`, `$4` sites, `$5`
/// agents), each agent's in the order taken: agent, start and end in microseconds;
/// the end is `closed_at`, or `last_msg_at` while open.
const CHATS: &str = concat!(
    "SELECT accepted_by, ",
    micros!("accepted_at"),
    ", ",
    micros!("coalesce(closed_at, last_msg_at)"),
    "
  FROM chats
 WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 AND accepted_by IS NOT NULL
   AND ($4::int8[] IS NULL OR site_id = ANY($4))
   AND ($5::int8[] IS NULL OR accepted_by = ANY($5))
 ORDER BY accepted_by, accepted_at"
);

/// Agents' messages sent in the range, per agent; with `sites`, only in those sites' chats.
const MESSAGES: &str = "SELECT m.agent_id, count(*)
  FROM messages m
 WHERE m.account_id = $1 AND m.sender = 'agent' AND m.sent_at >= $2 AND m.sent_at < $3
   AND m.agent_id IS NOT NULL
   AND ($5::int8[] IS NULL OR m.agent_id = ANY($5))
   AND ($4::int8[] IS NULL OR EXISTS (
        SELECT 1 FROM chats ch WHERE ch.id = m.chat_id AND ch.account_id = $1 AND ch.site_id = ANY($4)))
 GROUP BY m.agent_id";

/// Where the rows of agents' chats go.
const CHATS_TARGET: &str =
    "rollup_agent_chats (series_id, level, block, agent_id, sites, starts, ends)";

/// A span's chats, per local day and agent (binds as [`DaysStatement`]): for each chat
/// the agent took, its site and busy interval, as [`CHATS`] gives them, in arrays whose
/// elements pair up (every aggregate of a group is fed its rows in one order). The read
/// filters the sites and merges the intervals: one grouped pass, nothing sorted.
pub static BUILD_DAYS_CHATS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT $4, 0, day, accepted_by, array_agg(site_id), array_agg(s), array_agg(e)
           FROM (SELECT {day} AS day, site_id, accepted_by, {s} AS s, {e} AS e
                   FROM chats
                  WHERE account_id = $1 AND started_at >= $2 AND started_at < $3
                    AND accepted_by IS NOT NULL) c
          GROUP BY day, accepted_by",
        day = day_of("started_at"),
        s = micros!("accepted_at"),
        e = micros!("coalesce(closed_at, last_msg_at)"),
    )
});

/// A span's agents' messages, per local day and (site of the chat, agent) (binds as
/// [`DaysStatement`]).
pub static BUILD_DAYS_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT $4, 0, {day}, ch.site_id, m.agent_id, count(*)
           FROM messages m LEFT JOIN chats ch ON ch.id = m.chat_id AND ch.account_id = $1
          WHERE m.account_id = $1 AND m.sender = 'agent' AND m.sent_at >= $2 AND m.sent_at < $3
            AND m.agent_id IS NOT NULL
          GROUP BY 3, ch.site_id, m.agent_id",
        day = day_of("m.sent_at")
    )
});

/// A block's messages from the blocks under it (binds as [`Rollups::block`]).
static BUILD_BLOCK_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    sum_block(
        "rollup_agent_messages",
        &["site_id", "agent_id"],
        &["messages"],
        &[],
    )
});

/// The chats of days `unnest($2 levels, $3 blocks)` of series `$1` (kept by day: see
/// [`ROLLUPS`]), of agents `$4` or all: per day and agent, each chat's site and interval, by day.
const READ_DAYS_CHATS: &str = "
SELECT t.block, t.agent_id, t.sites, t.starts, t.ends
  FROM rollup_agent_chats t
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
 WHERE t.series_id = $1 AND ($4::int8[] IS NULL OR t.agent_id = ANY($4))
 ORDER BY t.block";

/// The messages of blocks `unnest($2 levels, $3 blocks)` of series `$1`, per agent: of
/// sites `$4` or all, agents `$5` or all.
const READ_BLOCK_MESSAGES: &str = "
SELECT t.agent_id, sum(t.messages)::int8
  FROM rollup_agent_messages t
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
 WHERE t.series_id = $1
   AND ($4::int8[] IS NULL OR t.site_id = ANY($4))
   AND ($5::int8[] IS NULL OR t.agent_id = ANY($5))
 GROUP BY t.agent_id";

/// Agents by id.
pub type Activities = BTreeMap<i64, Activity>;

/// A day's chats of an agent: day, agent, and each chat's site, start and end.
type DayChats = (
    i32,
    i64,
    Vec<Option<i64>>,
    Vec<Option<i64>>,
    Vec<Option<i64>>,
);

/// Reads the activity of the agents of account `account_id` in `range`, narrowed by
/// `sites` and `agents`, from rollups where `rollups` and valid blocks exist. Agents with a
/// session come with their messages; the intervals are merged. Returns how it was read too.
pub async fn read(
    db: &Reads,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
    agents: Option<&[i64]>,
) -> Result<(Activities, Cover), sqlx::Error> {
    let (series, cover) = rollup::plan_range(&db.primary, rollups, account_id, range).await?;
    let read = Read {
        db,
        account_id,
        range,
        sites,
        agents,
        series,
        cover: &cover,
    };
    let mut all = read.activities(true).await?;
    if all.values().any(|a| a.misled) {
        // A chat taken before it started: intervals do not come in the order of their day.
        tracing::warn!(
            account_id,
            "an agent's chat was accepted before it started; reading the activity again, holding every interval"
        );
        all = read.activities(false).await?;
    }
    Ok((all, cover))
}

/// What [`read`] reads.
struct Read<'a> {
    db: &'a Reads,
    account_id: i64,
    range: &'a DateRange,
    sites: Option<&'a [i64]>,
    agents: Option<&'a [i64]>,
    series: Option<i32>,
    cover: &'a Cover,
}

impl Read<'_> {
    /// Reads the activities; with `settle`, intervals are settled as the order of days and
    /// starts allows (see [`Activity`]).
    async fn activities(&self, settle: bool) -> Result<Activities, sqlx::Error> {
        let (db, account_id, range, cover) = (self.db, self.account_id, self.range, self.cover);
        let (sites, agents, series) = (self.sites, self.agents, self.series);
        let mut all = Activities::new();
        let mut messages: BTreeMap<i64, i64> = BTreeMap::new();
        // The days from the source first, in order, each agent's chats by start: with no
        // rolled days to come, an interval is settled once a later one has started, and
        // those of later days start after this run's end.
        let settle_raw = settle && cover.rolled.is_empty();
        for &(a, b) in &cover.raw {
            let (from, to) = rollup::days_bounds(a, b, range.tz);
            let to_us = to.timestamp_micros();
            let chats = async {
                let mut rows = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>)>(CHATS)
                    .bind(account_id)
                    .bind(from)
                    .bind(to)
                    .bind(sites)
                    .bind(agents)
                    .fetch(&db.source);
                while let Some((agent, s, e)) = rows.try_next().await? {
                    let act = all.entry(agent).or_default();
                    act.sessions += 1;
                    if let (true, Some(s)) = (settle_raw, s) {
                        act.starts_from(s.min(to_us));
                    }
                    act.push(s, e);
                }
                Ok::<_, sqlx::Error>(())
            };
            let counts = sqlx::query_as::<_, (i64, i64)>(MESSAGES)
                .bind(account_id)
                .bind(from)
                .bind(to)
                .bind(sites)
                .bind(agents)
                .fetch_all(&db.source);
            let ((), counts) = tokio::try_join!(chats, counts)?;
            for (agent, n) in counts {
                *messages.entry(agent).or_default() += n;
            }
        }
        if let (Some(series), false) = (series, cover.blocks.is_empty()) {
            // The rolled days, in order: when a day begins, every interval still to come
            // starts in it or later, as a chat is taken after it starts.
            let (levels, days) = cover.day_keys();
            let wanted: Option<HashSet<i64>> = sites.map(|s| s.iter().copied().collect());
            let mut rows = sqlx::query_as::<_, DayChats>(READ_DAYS_CHATS)
                .bind(series)
                .bind(&levels)
                .bind(&days)
                .bind(agents)
                .fetch(&db.primary);
            let mut today = None;
            while let Some((day, agent, chat_sites, starts, ends)) = rows.try_next().await? {
                if settle && today != Some(day) {
                    today = Some(day);
                    let begins = rollup::days_bounds(day, day + 1, range.tz).0;
                    for act in all.values_mut() {
                        act.settle(begins.timestamp_micros());
                    }
                }
                let act = all.entry(agent).or_default();
                for ((site, s), e) in chat_sites.into_iter().zip(starts).zip(ends) {
                    if wanted
                        .as_ref()
                        .is_none_or(|w| site.is_some_and(|site| w.contains(&site)))
                    {
                        act.sessions += 1;
                        act.push(s, e);
                    }
                }
            }
            drop(rows);
            let (levels, blocks) = cover.block_keys();
            let counts: Vec<(i64, i64)> = sqlx::query_as(READ_BLOCK_MESSAGES)
                .bind(series)
                .bind(&levels)
                .bind(&blocks)
                .bind(sites)
                .bind(agents)
                .fetch_all(&db.primary)
                .await?;
            for (agent, n) in counts {
                *messages.entry(agent).or_default() += n;
            }
        }
        // Only agents with a session have a row; their messages come with them.
        all.retain(|_, a| a.sessions > 0);
        for (agent, act) in &mut all {
            act.messages = messages.get(agent).copied().unwrap_or(0);
            act.merge();
        }
        Ok(all)
    }
}

/// The agents' activity rollups: sessions and busy intervals, and messages.
pub static ROLLUPS: Rollups = Rollups {
    tables: &["rollup_agent_chats", "rollup_agent_messages"],
    days: &[
        DaysStatement {
            target: || CHATS_TARGET,
            query: || BUILD_DAYS_CHATS.as_str(),
        },
        DaysStatement {
            target: || "rollup_agent_messages (series_id, level, block, site_id, agent_id, messages)",
            query: || BUILD_DAYS_MESSAGES.as_str(),
        },
    ],
    block: &[|| BUILD_BLOCK_MESSAGES.as_str()],
    // An agent's chats of different days hardly overlap: a block would hold as many
    // intervals as its days.
    days_only: &["rollup_agent_chats"],
};
