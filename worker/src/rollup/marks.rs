//! What a batch of changes read from the WAL marks ([`super::changes`]): the UTC day of each
//! settled instant, every settled day of a presence interval, and contacts added with an
//! owner.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::{Connection, PgConnection};

/// The day that stands for all of an account's days.
const ALL_DAYS: i32 = i32::MIN;

/// The marks a batch leaves: (account, UTC day) of settled instants, and the contacts
/// added with an owner (noted as owner changes: see [`super::owners`]).
pub(super) struct Marks {
    settled: DateTime<Utc>,
    days: HashSet<(i64, i32)>,
    contacts: HashSet<(i64, i64)>,
    everything: bool,
}

/// Marks every day of every account with rollups (a new slot, a change that cannot be
/// read).
pub(super) async fn mark_every_day<'c, E>(db: E) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO rollup_dirty (account_id, day)
         SELECT DISTINCT account_id, $1 FROM rollup_series
         ON CONFLICT DO NOTHING",
    )
    .bind(ALL_DAYS)
    .execute(db)
    .await?;
    Ok(())
}

/// An instant as the slot's session (UTC, ISO) prints it; `None` for ±infinity or worse.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.strip_suffix("+00").unwrap_or(text);
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

fn utc_day(t: DateTime<Utc>) -> i32 {
    t.timestamp().div_euclid(86_400) as i32
}

impl Marks {
    /// Marks every day of every account with rollups.
    pub(super) fn everything(&mut self) {
        self.everything = true;
    }

    pub(super) fn new(settled: DateTime<Utc>) -> Self {
        Marks {
            settled,
            days: HashSet::new(),
            contacts: HashSet::new(),
            everything: false,
        }
    }

    pub(super) fn row(
        &mut self,
        table: &str,
        columns: &[String],
        inserted: bool,
        values: &[Option<&str>],
    ) {
        let get = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| values.get(i).copied().flatten())
        };
        let Some(account) = get("account_id").and_then(|a| a.parse::<i64>().ok()) else {
            return;
        };
        let (at, until) = match table {
            "chats" | "calls" => ("started_at", None),
            "messages" => ("sent_at", None),
            "steps" => ("entered_at", None),
            "chat_events" => ("at", None),
            "offline_messages" | "bans" => ("created_at", None),
            "agent_presence" => ("started_at", Some("ended_at")),
            "contacts" => {
                // An owner given later is the trigger's (migration 0024).
                if let (true, Some(_), Some(id)) = (
                    inserted,
                    get("owner_id"),
                    get("id").and_then(|i| i.parse::<i64>().ok()),
                ) {
                    self.contacts.insert((account, id));
                }
                return;
            }
            _ => return,
        };
        let Some(text) = get(at) else { return };
        let Some(from) = instant(text) else {
            // ±infinity: no day to name, so every day.
            self.days.insert((account, ALL_DAYS));
            return;
        };
        if from >= self.settled {
            return;
        }
        // An interval touches every settled day from its start to its end (or now).
        let to = match until.map(get) {
            Some(Some(end)) => instant(end).unwrap_or(self.settled),
            Some(None) => self.settled,
            None => from,
        }
        .min(self.settled)
        .max(from);
        for day in utc_day(from)..=utc_day(to) {
            self.days.insert((account, day));
        }
    }

    /// Writes the marks; returns how many rows were new.
    pub(super) async fn write(self, conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
        let mut tx = conn.begin().await?;
        if self.everything {
            mark_every_day(&mut *tx).await?;
        }
        let (accounts, days): (Vec<i64>, Vec<i32>) = self.days.into_iter().unzip();
        let mut n = sqlx::query(
            "INSERT INTO rollup_dirty (account_id, day)
             SELECT * FROM unnest($1::int8[], $2::int4[]) ON CONFLICT DO NOTHING",
        )
        .bind(&accounts)
        .bind(&days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if !self.contacts.is_empty() {
            let (accounts, ids): (Vec<i64>, Vec<i64>) = self.contacts.into_iter().unzip();
            n += sqlx::query(
                "INSERT INTO rollup_owner_changes (account_id, contact_id)
                 SELECT * FROM unnest($1::int8[], $2::int8[]) ON CONFLICT DO NOTHING",
            )
            .bind(&accounts)
            .bind(&ids)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn settled_instants_mark_their_days_and_intervals_every_day_they_touch() {
        let settled = instant("2026-12-05 06:00:00").unwrap();
        let mut m = Marks::new(settled);
        let chat = cols(&["id", "account_id", "started_at"]);
        m.row(
            "chats",
            &chat,
            false,
            &[Some("1"), Some("7"), Some("2026-12-01 23:59:59.5+00")],
        );
        // Not settled yet: nothing built holds it.
        m.row(
            "chats",
            &chat,
            true,
            &[Some("2"), Some("7"), Some("2026-12-05 07:00:00+00")],
        );
        let presence = cols(&["id", "account_id", "started_at", "ended_at"]);
        m.row(
            "agent_presence",
            &presence,
            false,
            &[Some("3"), Some("8"), Some("2026-12-03 22:00:00+00"), None],
        );
        m.row(
            "messages",
            &cols(&["id", "account_id", "sent_at"]),
            true,
            &[Some("4"), Some("9"), Some("infinity")],
        );
        let day = |s: &str| utc_day(instant(s).unwrap());
        let mut days: Vec<_> = m.days.into_iter().collect();
        days.sort();
        assert_eq!(
            days,
            vec![
                (7, day("2026-12-01 00:00:00")),
                (8, day("2026-12-03 00:00:00")),
                (8, day("2026-12-04 00:00:00")),
                (8, day("2026-12-05 00:00:00")),
                (9, ALL_DAYS),
            ]
        );
    }
}
