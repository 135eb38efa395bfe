//! Reading the conversation templates from rollup blocks for closed days where valid ones
//! exist (see [`crate::rollup`]), from the source tables elsewhere. Blocks hold
//! the sums of [`super::query`] over every site and owner, so they serve reports that are
//! not narrowed by `sites` or `owners`; a narrowed report reads the source alone. Counts
//! and microseconds add up across blocks; distinct contacts do not, so each day keeps an
//! owner's contacts with its sums, and the read takes their union.

use std::sync::LazyLock;

use exportd_core::domain::DateRange;
use futures::TryStreamExt;
use sqlx::AssertSqlSafe;

use super::query::{BUILD_DAYS, Figures, OwnerRow, READ};
use crate::{
    reports::Reads,
    rollup::{self, Cover, DaysStatement, Rollups, sum_block},
};

/// A block's rows from the blocks under it (binds as [`Rollups::block`]); owners stay per
/// day.
static BUILD_BLOCK: LazyLock<[String; 3]> = LazyLock::new(|| {
    [
        sum_block("rollup_conv_sites", &["site_id"], &["chats"], &[]),
        sum_block("rollup_conv_hours", &["hour"], &["chats"], &[]),
        sum_block(
            "rollup_conv_users",
            &["user_id"],
            &["open", "closed", "msgs_in", "msgs_out"],
            &[],
        ),
    ]
});

/// The rows of blocks `unnest($2 levels, $3 blocks)` of series `$1`.
const IN_BLOCKS: &str = "JOIN unnest($2::int2[], $3::int4[]) AS b (level, block)
     ON t.level = b.level AND t.block = b.block
  WHERE t.series_id = $1";

/// Reads the figures of account `account_id` in `range` (conversations of `sites` and of
/// contacts of `owners`, or all), from rollups where `rollups`, the report is not narrowed
/// and valid blocks exist. Returns them and how they were read.
pub async fn read(
    db: &Reads,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
    owners: Option<&[i64]>,
) -> Result<(Figures, Cover), sqlx::Error> {
    let whole = rollups && sites.is_none() && owners.is_none();
    let (series, cover) = rollup::plan_range(&db.primary, whole, account_id, range).await?;
    let tz = range.tz.name();
    let mut figures = Figures::default();
    // Days no valid block covers, from the source; an owner's contacts join the figures
    // as its rows arrive, one range of ids each.
    for &(a, b) in &cover.raw {
        let (from, to) = rollup::days_bounds(a, b, range.tz);
        macro_rules! read {
            ($i:literal) => {
                sqlx::query_as(AssertSqlSafe(READ[$i].as_str()))
                    .bind(account_id)
                    .bind(from)
                    .bind(to)
                    .bind(sites)
                    .bind(owners)
            };
        }
        let owners = async {
            let mut rows = read!(1).fetch(&db.source);
            while let Some(row) = rows.try_next().await? {
                figures.add_owners([row]);
            }
            Ok::<_, sqlx::Error>(())
        };
        let (s, (), h, u) = tokio::try_join!(
            read!(0).fetch_all(&db.source),
            owners,
            read!(2).bind(tz).fetch_all(&db.source),
            read!(3).fetch_all(&db.source),
        )?;
        figures.add_sites(s);
        figures.add_hours(h);
        figures.add_users(u);
    }
    if let (Some(series), false) = (series, cover.blocks.is_empty()) {
        let (blocks, days) = (cover.block_keys(), cover.day_keys());
        macro_rules! read {
            ($sql:expr, $keys:expr) => {
                sqlx::query_as(AssertSqlSafe(format!($sql, IN_BLOCKS)))
                    .bind(series)
                    .bind(&$keys.0)
                    .bind(&$keys.1)
                    .fetch_all(&db.primary)
            };
        }
        // Each day's owners join the figures as they arrive: the days' rows, millions of
        // contacts on a large account, are never held together.
        let owners = async {
            let sql = format!(
                "SELECT t.owner_id, t.chats, t.contacts, t.manual_us, t.manual_n, t.auto_us,
                        t.auto_n, t.first_us, t.first_n
                   FROM rollup_conv_owners t {IN_BLOCKS}"
            );
            let mut rows = sqlx::query_as::<_, OwnerRow>(AssertSqlSafe(sql))
                .bind(series)
                .bind(&days.0)
                .bind(&days.1)
                .fetch(&db.primary);
            while let Some(row) = rows.try_next().await? {
                figures.add_owners([row]);
            }
            Ok::<_, sqlx::Error>(())
        };
        let (s, (), h, u) = tokio::try_join!(
            read!(
                "SELECT t.site_id, sum(t.chats)::int8 FROM rollup_conv_sites t {} GROUP BY 1",
                blocks
            ),
            owners,
            read!(
                "SELECT t.hour, sum(t.chats)::int8 FROM rollup_conv_hours t {} GROUP BY 1",
                blocks
            ),
            read!(
                "SELECT t.user_id, sum(t.open)::int8, sum(t.closed)::int8, sum(t.msgs_in)::int8,
                        sum(t.msgs_out)::int8
                   FROM rollup_conv_users t {} GROUP BY 1",
                blocks
            ),
        )?;
        figures.add_sites(s);
        figures.add_hours(h);
        figures.add_users(u);
    }
    Ok((figures, cover))
}

/// The conversation templates' rollups: per site, per owner (with its contacts), per local
/// hour and per user.
pub static ROLLUPS: Rollups = Rollups {
    tables: &[
        "rollup_conv_sites",
        "rollup_conv_owners",
        "rollup_conv_hours",
        "rollup_conv_users",
    ],
    days: &[
        DaysStatement {
            target: || BUILD_DAYS[0].0.as_str(),
            query: || BUILD_DAYS[0].1.as_str(),
        },
        DaysStatement {
            target: || BUILD_DAYS[1].0.as_str(),
            query: || BUILD_DAYS[1].1.as_str(),
        },
        DaysStatement {
            target: || BUILD_DAYS[2].0.as_str(),
            query: || BUILD_DAYS[2].1.as_str(),
        },
        DaysStatement {
            target: || BUILD_DAYS[3].0.as_str(),
            query: || BUILD_DAYS[3].1.as_str(),
        },
    ],
    block: &[
        || BUILD_BLOCK[0].as_str(),
        || BUILD_BLOCK[1].as_str(),
        || BUILD_BLOCK[2].as_str(),
    ],
    // An owner's contacts of one day hardly recur on the next.
    days_only: &["rollup_conv_owners"],
};
