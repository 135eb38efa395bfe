//! Ids that a function could otherwise take in the wrong order: where a signature names an
//! account and an export (or a schedule, or a user), each is its own type, so swapping them
//! does not compile.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// `accounts.id`.
    AccountId
);
id!(
    /// `exports.id`.
    ExportId
);
id!(
    /// `schedules.id`.
    ScheduleId
);
id!(
    /// `users.id`: an admin or an agent.
    UserId
);
