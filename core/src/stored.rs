//! Reading back what was stored: a value that this build cannot read (an unknown plan or
//! timezone, options of a shape it does not know) is an error that names the row and the
//! column, never a silent default.

use std::fmt::Display;

use sqlx::{Row, postgres::PgRow};

/// A stored value this build cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} {id}: cannot read {column} {value}")]
pub struct Unreadable {
    pub table: &'static str,
    pub id: i64,
    pub column: &'static str,
    /// The value as stored, or why it did not decode.
    pub value: String,
}

impl Unreadable {
    pub fn new(table: &'static str, id: i64, column: &'static str, value: impl Display) -> Self {
        Unreadable {
            table,
            id,
            column,
            value: value.to_string(),
        }
    }
}

impl From<Unreadable> for sqlx::Error {
    fn from(e: Unreadable) -> Self {
        sqlx::Error::ColumnDecode {
            index: e.column.to_owned(),
            source: Box::new(e),
        }
    }
}

/// Column `column` of a row of `table` whose id is `id`, decoded as `T`; a failure names
/// the row.
pub fn column<'r, T>(
    row: &'r PgRow,
    table: &'static str,
    id: i64,
    column: &'static str,
) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|e| Unreadable::new(table, id, column, format_args!("({e})")).into())
}

/// Column `column` parsed with `parse` from its text; an unknown value names the row.
pub fn parsed<T>(
    row: &PgRow,
    table: &'static str,
    id: i64,
    name: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(name)?;
    parse(&text).ok_or_else(|| Unreadable::new(table, id, name, format_args!("{text:?}")).into())
}

/// [`parsed`] for a column that may be NULL.
pub fn parsed_opt<T>(
    row: &PgRow,
    table: &'static str,
    id: i64,
    name: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, sqlx::Error> {
    let text: Option<String> = row.try_get(name)?;
    text.map(|t| {
        parse(&t).ok_or_else(|| Unreadable::new(table, id, name, format_args!("{t:?}")).into())
    })
    .transpose()
}

/// A timezone by its IANA name.
pub fn tz(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_value_names_its_row_and_column() {
        let e = Unreadable::new("accounts", 7, "plan", "\"gold\"");
        assert_eq!(e.to_string(), "accounts 7: cannot read plan \"gold\"");
        let e: sqlx::Error = e.into();
        assert!(e.to_string().contains("accounts 7"), "{e}");
    }
}
