//! The six templates' figures as sums that add up: per site, per owner (with its distinct
//! contacts themselves), per local hour and per user, over the conversations of the
//! account whose `started_at` is in the range, of the chosen sites, whose contact has one
//! of the chosen owners. The same four queries read the source for a report and build a
//! day of rollups ([`super::rollup`]); the averages are computed once, from the sums, in
//! [`Figures::data`]. Every query is scoped by `account_id`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::NaiveDateTime;

use crate::reports::{
    micros_between,
    sets::{IdSet, union_len},
};
use crate::rollup::day_of;

/// The conversations every query reads (`$1` account, `[$2, $3)` the range), narrowed to
/// the sites `sites` and the owners `owners` (SQL expressions of type `int8[]`, NULL for all);
/// with `by_day`, each with its local day (a span's days, [`day_of`]).
fn base(sites: &str, owners: &str, by_day: bool) -> String {
    let day = if by_day {
        format!(", {} AS day", day_of("ch.started_at"))
    } else {
        String::new()
    };
    format!(
        "WITH c AS (
    SELECT ch.site_id, ch.contact_id, ch.started_at, ch.closed_at, ch.accepted_by,
           ch.msgs_in, ch.msgs_out, ch.first_client_msg_at AS fc, ch.first_agent_msg_at AS fa,
           ch.first_bot_msg_at AS fb, ct.owner_id{day}
      FROM chats ch
      LEFT JOIN contacts ct ON ct.id = ch.contact_id AND ct.account_id = $1
     WHERE ch.account_id = $1 AND ch.started_at >= $2 AND ch.started_at < $3
       AND ({sites}::int8[] IS NULL OR ch.site_id = ANY({sites}))
       AND ({owners}::int8[] IS NULL OR ct.owner_id = ANY({owners})))"
    )
}

/// The four queries over `c`, each grouped by `d` (`""`, or `"day, "`) first, then:
/// - conversations per site;
/// - per owner: conversations, distinct contacts (sorted), and each first response's sum
///   (µs) and count over the conversations with both instants and a difference ≥ 0; the
///   overall one takes the earlier of the two replies (`least` skips a missing one). An
///   owner's rows are also split by `split` (`""`, or a further key), and add up;
/// - conversations per local hour (`tz` the timezone);
/// - per user: open, closed, messages received, messages sent.
fn queries(d: &str, split: &str, tz: &str) -> [String; 4] {
    [
        format!("SELECT {d}site_id, count(*)::int8 FROM c GROUP BY {d}site_id"),
        format!(
            "SELECT {d}owner_id, count(*)::int8,
       coalesce(array_agg(DISTINCT contact_id ORDER BY contact_id) FILTER (WHERE contact_id IS NOT NULL), '{{}}'),
       coalesce(sum({fa}) FILTER (WHERE fa >= fc), 0)::int8, count(*) FILTER (WHERE fa >= fc),
       coalesce(sum({fb}) FILTER (WHERE fb >= fc), 0)::int8, count(*) FILTER (WHERE fb >= fc),
       coalesce(sum({first}) FILTER (WHERE least(fa, fb) >= fc), 0)::int8,
       count(*) FILTER (WHERE least(fa, fb) >= fc)
  FROM c GROUP BY {d}owner_id{split}",
            fa = micros_between("fa", "fc"),
            fb = micros_between("fb", "fc"),
            first = micros_between("least(fa, fb)", "fc"),
        ),
        format!(
            "SELECT {d}date_trunc('hour', started_at AT TIME ZONE {tz}), count(*)::int8
  FROM c GROUP BY {d}date_trunc('hour', started_at AT TIME ZONE {tz})"
        ),
        format!(
            "SELECT {d}accepted_by, count(*) FILTER (WHERE closed_at IS NULL),
       count(*) FILTER (WHERE closed_at IS NOT NULL), sum(msgs_in)::int8, sum(msgs_out)::int8
  FROM c GROUP BY {d}accepted_by"
        ),
    ]
}

/// A report's owner rows hold the contacts of one range of 65,536 ids each. Over 90 days
/// the contacts without an owner are hundreds of thousands: in one row, one array of
/// several MiB arrived whole, and was decoded whole, before a set took it.
const CONTACT_RANGES: &str = ", contact_id >> 16";

/// The four source queries of a report: `$4` sites, `$5` owners, `$6` the timezone (hours).
pub static READ: LazyLock<[String; 4]> = LazyLock::new(|| {
    let b = base("$4", "$5", false);
    queries("", CONTACT_RANGES, "$6").map(|q| format!("{b} {q}"))
});

/// A span's rollup rows from the same queries over every site and owner, per local day
/// (binds as [`DaysStatement`]), and the tables they go to.
pub static BUILD_DAYS: LazyLock<[(String, String); 4]> = LazyLock::new(|| {
    let b = base("NULL", "NULL", true);
    let targets = [
        "rollup_conv_sites (series_id, level, block, site_id, chats)",
        "rollup_conv_owners (series_id, level, block, owner_id, chats, contacts, manual_us, manual_n, auto_us, auto_n, first_us, first_n)",
        "rollup_conv_hours (series_id, level, block, hour, chats)",
        "rollup_conv_users (series_id, level, block, user_id, open, closed, msgs_in, msgs_out)",
    ];
    let queries = queries("day, ", "", "$5");
    std::array::from_fn(|i| {
        (
            targets[i].to_owned(),
            format!("{b} SELECT $4, 0, r.* FROM ({}) r", queries[i]),
        )
    })
});

/// A sum and the count it is over; its average in seconds when it is over microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mean {
    pub sum: i64,
    pub n: i64,
}

impl Mean {
    fn add(&mut self, o: Mean) {
        self.sum += o.sum;
        self.n += o.n;
    }

    fn avg(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    fn avg_secs(&self) -> Option<f64> {
        self.avg().map(|us| us / 1e6)
    }
}

/// One owner's conversations, contacts and first responses (manual, automatic, overall).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub chats: i64,
    pub contacts: IdSet,
    pub response: [Mean; 3],
}

/// One user's open and closed conversations and messages received and sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct User {
    pub open: i64,
    pub closed: i64,
    pub msgs_in: i64,
    pub msgs_out: i64,
}

/// What a query row of [`OWNERS`] (and of `rollup_conv_owners`) gives.
pub type OwnerRow = (Option<i64>, i64, Vec<i64>, i64, i64, i64, i64, i64, i64);
/// What a query row of [`USERS`] gives.
pub type UserRow = (Option<i64>, i64, i64, i64, i64);

/// The templates' sums over some days; those of several runs of days add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub sites: BTreeMap<Option<i64>, i64>,
    pub owners: BTreeMap<Option<i64>, Owner>,
    pub hours: BTreeMap<NaiveDateTime, i64>,
    pub users: BTreeMap<Option<i64>, User>,
}

impl Figures {
    pub fn add_sites(&mut self, rows: Vec<(Option<i64>, i64)>) {
        for (site, n) in rows {
            *self.sites.entry(site).or_default() += n;
        }
    }

    pub fn add_owners(&mut self, rows: impl IntoIterator<Item = OwnerRow>) {
        for (owner, chats, contacts, mu, mn, au, an, fu, f_n) in rows {
            let o = self.owners.entry(owner).or_default();
            o.chats += chats;
            o.contacts.extend(contacts);
            for (m, (sum, n)) in o.response.iter_mut().zip([(mu, mn), (au, an), (fu, f_n)]) {
                m.add(Mean { sum, n });
            }
        }
    }

    pub fn add_hours(&mut self, rows: Vec<(NaiveDateTime, i64)>) {
        for (hour, n) in rows {
            *self.hours.entry(hour).or_default() += n;
        }
    }

    pub fn add_users(&mut self, rows: Vec<UserRow>) {
        for (user, open, closed, msgs_in, msgs_out) in rows {
            let u = self.users.entry(user).or_default();
            u.open += open;
            u.closed += closed;
            u.msgs_in += msgs_in;
            u.msgs_out += msgs_out;
        }
    }

    /// The sheets' figures; `sites` names each site (channel, name), `users` each user.
    pub fn data(
        &self,
        sites: &HashMap<i64, (String, String)>,
        users: HashMap<i64, String>,
    ) -> Data {
        let (open, closed) = self
            .users
            .values()
            .fold((0, 0), |(o, c), u| (o + u.open, c + u.closed));
        let by_site = self
            .sites
            .iter()
            .map(|(&id, &n)| {
                let (channel, name) =
                    id.and_then(|id| sites.get(&id).cloned())
                        .unwrap_or_else(|| {
                            (
                                String::new(),
                                id.map(|id| format!("#{id}")).unwrap_or_default(),
                            )
                        });
                (id, channel, name, n)
            })
            .collect();
        let mut total = Owner::default();
        let mut recurrence = Vec::new();
        let mut response = Vec::new();
        for (&id, o) in &self.owners {
            recurrence.push((id, false, o.contacts.len(), o.chats));
            response.push(response_row(id, false, o));
            total.chats += o.chats;
            for (t, m) in total.response.iter_mut().zip(o.response) {
                t.add(m);
            }
        }
        let everyone = union_len(self.owners.values().map(|o| &o.contacts));
        recurrence.push((None, true, everyone, total.chats));
        response.push(response_row(None, true, &total));
        let by_user = self
            .users
            .iter()
            .map(|(&id, u)| {
                let n = u.open + u.closed;
                let avg = |sum| Mean { sum, n }.avg();
                (id, u.open, u.closed, avg(u.msgs_in), avg(u.msgs_out))
            })
            .collect();
        Data {
            open_closed: (open + closed, open, closed),
            by_site,
            recurrence,
            per_hour: self.hours.iter().map(|(&h, &n)| (h, n)).collect(),
            by_user,
            response,
            users,
        }
    }
}

fn response_row(id: Option<i64>, total: bool, o: &Owner) -> ResponseRow {
    let [m, a, f] = o.response.map(|m| m.avg_secs());
    (id, total, o.chats, m, a, f)
}

/// User, open, closed, average messages in, out.
pub type ByUser = (Option<i64>, i64, i64, Option<f64>, Option<f64>);

/// Owner, is-total, conversations, manual, automatic, overall (seconds).
pub type ResponseRow = (
    Option<i64>,
    bool,
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// What the sheets are made of.
#[derive(Debug, Default, PartialEq)]
pub struct Data {
    /// Received, open, closed.
    pub open_closed: (i64, i64, i64),
    /// Site id, channel, site name, conversations.
    pub by_site: Vec<(Option<i64>, String, String, i64)>,
    /// Owner, is-total, contacts, conversations.
    pub recurrence: Vec<(Option<i64>, bool, i64, i64)>,
    /// Local hour, conversations.
    pub per_hour: Vec<(NaiveDateTime, i64)>,
    /// User, open, closed, average messages in, out.
    pub by_user: Vec<ByUser>,
    pub response: Vec<ResponseRow>,
    /// Names of the account's users, by id.
    pub users: HashMap<i64, String>,
}
