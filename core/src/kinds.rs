//! The report kinds and their options, as both sides see them: the API validates a request
//! against [`ReportKind::options`] and stores the typed [`ReportOptions`]; the worker reads
//! them back with [`ReportOptions::from_stored`]. How a kind reads its data and writes its
//! sheets lives in the worker (`worker/src/reports/<kind>`).
//!
//! Adding a kind: a variant here (name and accepted options), and the worker's module.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Seed 004: by site, by agent, per site by agent.
    Global,
}

impl ReportKind {
    pub const ALL: [ReportKind; 1] = [ReportKind::Global];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Global => "global",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The options this kind accepts, besides those every kind accepts ([`COMMON`]).
    pub fn options(self) -> &'static [OptionName] {
        match self {
            ReportKind::Global => &[],
        }
    }

    /// Every option this kind accepts.
    pub fn accepted(self) -> impl Iterator<Item = OptionName> {
        COMMON.iter().chain(self.options()).copied()
    }
}

crate::text_enum!(ReportKind);

/// The name of an option, as written in a request's `options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionName {
    /// csv: `,` or `;`.
    Delimiter,
}

/// Options every kind accepts.
pub const COMMON: &[OptionName] = &[OptionName::Delimiter];

impl OptionName {
    pub const ALL: [OptionName; 1] = [OptionName::Delimiter];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::Delimiter => "delimiter",
        }
    }

    pub fn parse(s: &str) -> Option<OptionName> {
        OptionName::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The csv delimiter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delimiter {
    #[default]
    #[serde(rename = ",")]
    Comma,
    #[serde(rename = ";")]
    Semicolon,
}

impl Delimiter {
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
        }
    }
}

/// A request's options, typed. Absent means the kind's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Delimiter>,
}

/// An option that was refused: which one, and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OptionError {
    pub option: String,
    pub message: String,
}

impl ReportOptions {
    /// Parses and checks a request's `options` for `kind`: an option the kind does not
    /// know, or a value of the wrong shape, is an error naming the option.
    pub fn parse(kind: ReportKind, given: &Map<String, Value>) -> Result<Self, OptionError> {
        let mut out = ReportOptions::default();
        for (key, value) in given {
            let Some(name) = OptionName::parse(key).filter(|n| kind.accepted().any(|a| a == *n))
            else {
                let known: Vec<_> = kind.accepted().map(OptionName::as_str).collect();
                return Err(OptionError {
                    option: key.clone(),
                    message: format!(
                        "unknown option {key:?} for kind {}; known options: {}",
                        kind.as_str(),
                        known.join(", ")
                    ),
                });
            };
            let bad = |what: &str| OptionError {
                option: key.clone(),
                message: format!("options.{key} must be {what}"),
            };
            match name {
                OptionName::Delimiter => {
                    out.delimiter = Some(
                        serde_json::from_value(value.clone()).map_err(|_| bad("\",\" or \";\""))?,
                    )
                }
            }
        }
        Ok(out)
    }

    /// The options of a stored export or schedule. They were checked when stored, so a
    /// value that no longer reads (written by an older version) falls back to defaults.
    pub fn from_stored(v: &Value) -> ReportOptions {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("options serialize")
    }

    pub fn delimiter(&self) -> Delimiter {
        self.delimiter.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn an_unknown_option_is_named() {
        let e =
            ReportOptions::parse(ReportKind::Global, &map(json!({"delimter": ";"}))).unwrap_err();
        assert_eq!(e.option, "delimter");
        assert!(e.message.contains("known options: delimiter"), "{e}");
    }

    #[test]
    fn a_bad_value_is_named_and_a_good_one_round_trips() {
        let e =
            ReportOptions::parse(ReportKind::Global, &map(json!({"delimiter": "|"}))).unwrap_err();
        assert_eq!(e.option, "delimiter");
        let o = ReportOptions::parse(ReportKind::Global, &map(json!({"delimiter": ";"}))).unwrap();
        assert_eq!(o.delimiter(), Delimiter::Semicolon);
        assert_eq!(ReportOptions::from_stored(&o.to_value()), o);
        assert_eq!(o.to_value(), json!({"delimiter": ";"}));
    }
}
