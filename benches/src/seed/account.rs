//! The account's own rows, written before any activity: the account, its admin, agents,
//! sites and contacts (four in five owned by an agent).

use sqlx::PgPool;

use super::params::SeedParams;
use crate::copy::id;

/// The rows every seeded chat, call and presence refers to.
pub(super) struct Account {
    pub(super) id: i64,
    pub(super) admin_user_id: i64,
    /// The account's id as a COPY field.
    pub(super) acc: Option<String>,
    pub(super) agents: Vec<i64>,
    pub(super) sites: Vec<i64>,
    pub(super) first_contact: i64,
    pub(super) n_contacts: i64,
}

/// Writes the account's own rows, with a contact for every three of its `total_chats`.
pub(super) async fn create(
    pool: &PgPool,
    p: &SeedParams,
    total_chats: i64,
) -> anyhow::Result<Account> {
    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, plan, timezone, locale) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&p.account_name)
    .bind(&p.plan)
    .bind(p.timezone.name())
    .bind(&p.locale)
    .fetch_one(pool)
    .await?;
    let admin_user_id: i64 = sqlx::query_scalar("INSERT INTO users (account_id, email, name, role) VALUES ($1, $2, 'Admin', 'admin') RETURNING id")
        .bind(account_id)
        .bind(&p.admin_email)
        .fetch_one(pool)
        .await?;
    const FIRST: [&str; 12] = [
        "Ana", "Bruno", "Carla", "Diego", "Elena", "Fabián", "Gabriela", "Hugo", "Inés", "Jorge",
        "Karina", "Lucas",
    ];
    const LAST: [&str; 8] = [
        "García", "Pérez", "López", "Soto", "Rojas", "Díaz", "Muñoz", "Vega",
    ];
    let agents: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, name, role)
         SELECT $1, 'agent' || g || '@' || $2, $3[1 + g % 12] || ' ' || $4[1 + (g / 12) % 8] || ' ' || g, 'agent'
           FROM generate_series(1, $5) g RETURNING id",
    )
    .bind(account_id)
    .bind(format!("account{account_id}.example"))
    .bind(FIRST.as_slice())
    .bind(LAST.as_slice())
    .bind(p.agents.max(1) as i32)
    .fetch_all(pool)
    .await?;
    const CHANNELS: [&str; 5] = ["webchat", "whatsapp", "facebook", "instagram", "phone"];
    let mut sites = Vec::new();
    for i in 0..p.sites.max(1) {
        let channel = CHANNELS[i as usize % CHANNELS.len()];
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sites (account_id, name, channel) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(account_id)
        .bind(format!("Sitio {} ({channel})", i + 1))
        .bind(channel)
        .fetch_one(pool)
        .await?;
        sites.push(id);
    }
    let n_contacts = (total_chats / 3).max(10);
    let first_contact: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, phone)
         SELECT $1, 'Contacto ' || g, '+56 9 ' || lpad((g % 100000000)::text, 8, '0') FROM generate_series(1, $2) g
         RETURNING id",
    )
    .bind(account_id)
    .bind(n_contacts)
    .fetch_all(pool)
    .await?
    .into_iter()
    .min()
    .unwrap_or(0);
    // Four contacts in five have an owner among the agents (seed 003's "dueño").
    sqlx::query(
        "UPDATE contacts SET owner_id = ($2::int8[])[1 + (id % array_length($2::int8[], 1))]
          WHERE account_id = $1 AND id % 5 <> 0",
    )
    .bind(account_id)
    .bind(&agents)
    .execute(pool)
    .await?;
    Ok(Account {
        id: account_id,
        admin_user_id,
        acc: id(account_id),
        agents,
        sites,
        first_contact,
        n_contacts,
    })
}
