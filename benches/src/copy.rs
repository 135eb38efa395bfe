//! Rows into Postgres through COPY, for the seeder: one stream per table, each with its own
//! buffer flushed a megabyte at a time.

use chrono::{DateTime, Utc};
use sqlx::{
    PgPool, Postgres,
    pool::PoolConnection,
    postgres::{PgCopyIn, PgPoolCopyExt},
};

const FLUSH_AT: usize = 1 << 20;

/// A COPY stream with its own buffer.
pub struct Copy {
    /// `None` when the table is skipped.
    stream: Option<PgCopyIn<PoolConnection<Postgres>>>,
    buf: Vec<u8>,
    rows: u64,
}

impl Copy {
    pub async fn open(pool: &PgPool, stmt: &str) -> Result<Copy, sqlx::Error> {
        let stream = Some(pool.copy_in_raw(stmt).await?);
        Ok(Copy {
            stream,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            rows: 0,
        })
    }

    pub fn skipped() -> Copy {
        Copy {
            stream: None,
            buf: Vec::new(),
            rows: 0,
        }
    }

    /// Appends one row of COPY text fields (`None` is NULL).
    pub async fn row(&mut self, fields: &[Option<String>]) -> Result<(), sqlx::Error> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(());
        };
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\t');
            }
            match f {
                None => self.buf.extend_from_slice(b"\\N"),
                Some(s) => {
                    for b in s.bytes() {
                        match b {
                            b'\\' => self.buf.extend_from_slice(b"\\\\"),
                            b'\t' => self.buf.extend_from_slice(b"\\t"),
                            b'\n' => self.buf.extend_from_slice(b"\\n"),
                            b'\r' => self.buf.extend_from_slice(b"\\r"),
                            _ => self.buf.push(b),
                        }
                    }
                }
            }
        }
        self.buf.push(b'\n');
        self.rows += 1;
        if self.buf.len() >= FLUSH_AT {
            stream.send(std::mem::take(&mut self.buf)).await?;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<u64, sqlx::Error> {
        let Some(mut stream) = self.stream.take() else {
            return Ok(0);
        };
        if !self.buf.is_empty() {
            stream.send(std::mem::take(&mut self.buf)).await?;
        }
        stream.finish().await?;
        Ok(self.rows)
    }
}

pub fn ts(t: DateTime<Utc>) -> Option<String> {
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

pub fn id(v: i64) -> Option<String> {
    Some(v.to_string())
}

pub async fn next_ids(pool: &PgPool, table: &str, n: i64) -> Result<i64, sqlx::Error> {
    // Reserves `n` ids of the table's sequence and returns the first.
    let sql = format!(
        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), nextval(pg_get_serial_sequence('{table}', 'id')) + $1 - 1) - $1 + 1"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(n)
        .fetch_one(pool)
        .await
}
