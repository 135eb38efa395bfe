//! A request's options: their names, their typed values ([`ReportOptions`]) and the parser
//! that checks them against the options a kind accepts ([`super::KindInfo::options`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{IdTable, ReportKind};

/// The name of an option, as written in a request's `options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionName {
    /// csv: `,` or `;`.
    Delimiter,
    /// Site ids of the account ("bots" in seed 000, "cuentas" in seed 003).
    Sites,
    /// User ids of the account: the contacts' owners.
    Owners,
    /// User ids of the account: the agents who took the chats.
    Agents,
    /// `all`, `panel` (reached the agents' panel) or `bot` (stayed with the bot).
    Mode,
    /// Only abandoned sessions (`true`), or only the others (`false`).
    Abandoned,
    /// A step name the session went through.
    Step,
    /// A word or phrase in any message of the session, ignoring case and accents.
    Text,
    /// Part of the contact's name or phone.
    Contact,
    /// Outbound message states.
    Statuses,
    /// Outbound message templates.
    Templates,
    /// Only queued outbound messages (`true`), or only the others (`false`).
    Queued,
}

/// Options every kind accepts.
pub const COMMON: &[OptionName] = &[OptionName::Delimiter];

impl OptionName {
    pub const ALL: [OptionName; 12] = [
        OptionName::Delimiter,
        OptionName::Sites,
        OptionName::Owners,
        OptionName::Agents,
        OptionName::Mode,
        OptionName::Abandoned,
        OptionName::Step,
        OptionName::Text,
        OptionName::Contact,
        OptionName::Statuses,
        OptionName::Templates,
        OptionName::Queued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::Delimiter => "delimiter",
            OptionName::Sites => "sites",
            OptionName::Owners => "owners",
            OptionName::Agents => "agents",
            OptionName::Mode => "mode",
            OptionName::Abandoned => "abandoned",
            OptionName::Step => "step",
            OptionName::Text => "text",
            OptionName::Contact => "contact",
            OptionName::Statuses => "statuses",
            OptionName::Templates => "templates",
            OptionName::Queued => "queued",
        }
    }

    pub fn parse(s: &str) -> Option<OptionName> {
        OptionName::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The csv delimiter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"sites": [1, 2], "mode": "panel", "text": "reembolso"}))]
pub struct ReportOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Delimiter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<OutboundStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<bool>,
}

/// Which sessions `sessions_detail` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    All,
    /// Those that reached the agents' panel.
    Panel,
    /// Those that stayed with the bot.
    Bot,
}

/// The state of an outbound message, as `outbound_messages.status` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboundStatus {
    Sent,
    Delivered,
    Read,
    Failed,
    Pending,
}

impl OutboundStatus {
    /// In the seed's order: sent, delivered (received), read, failed, pending.
    pub const ALL: [OutboundStatus; 5] = [
        OutboundStatus::Sent,
        OutboundStatus::Delivered,
        OutboundStatus::Read,
        OutboundStatus::Failed,
        OutboundStatus::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboundStatus::Sent => "sent",
            OutboundStatus::Delivered => "delivered",
            OutboundStatus::Read => "read",
            OutboundStatus::Failed => "failed",
            OutboundStatus::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<OutboundStatus> {
        OutboundStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Longest text a text filter takes, in characters.
pub const MAX_TEXT: usize = 200;

/// Most ids one filter may name.
pub const MAX_IDS: usize = 1000;

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
                OptionName::Sites => out.sites = Some(ids(value).ok_or_else(|| bad(IDS))?),
                OptionName::Owners => out.owners = Some(ids(value).ok_or_else(|| bad(IDS))?),
                OptionName::Agents => out.agents = Some(ids(value).ok_or_else(|| bad(IDS))?),
                OptionName::Mode => {
                    out.mode = Some(
                        serde_json::from_value(value.clone())
                            .map_err(|_| bad("\"all\", \"panel\" or \"bot\""))?,
                    )
                }
                OptionName::Abandoned => {
                    out.abandoned = Some(value.as_bool().ok_or_else(|| bad("true or false"))?)
                }
                OptionName::Queued => {
                    out.queued = Some(value.as_bool().ok_or_else(|| bad("true or false"))?)
                }
                OptionName::Step => out.step = Some(text(value).ok_or_else(|| bad(TEXT))?),
                OptionName::Text => out.text = Some(text(value).ok_or_else(|| bad(TEXT))?),
                OptionName::Contact => out.contact = Some(text(value).ok_or_else(|| bad(TEXT))?),
                OptionName::Statuses => {
                    let list: Vec<String> =
                        serde_json::from_value(value.clone()).unwrap_or_default();
                    let parsed: Option<Vec<OutboundStatus>> =
                        list.iter().map(|s| OutboundStatus::parse(s)).collect();
                    match parsed {
                        Some(mut v) if !v.is_empty() => {
                            v.sort_by_key(|s| s.as_str());
                            v.dedup();
                            out.statuses = Some(v)
                        }
                        _ => {
                            return Err(bad(
                                "a list of states among pending, sent, delivered, read, failed",
                            ));
                        }
                    }
                }
                OptionName::Templates => {
                    let list: Vec<Value> =
                        serde_json::from_value(value.clone()).unwrap_or_default();
                    let texts: Option<Vec<String>> = list.iter().map(text).collect();
                    match texts {
                        Some(v) if !v.is_empty() && v.len() <= MAX_IDS => out.templates = Some(v),
                        _ => {
                            return Err(bad(
                                "a list of 1 to 1000 template names of 1 to 200 characters",
                            ));
                        }
                    }
                }
            }
        }
        if out.agents.is_some() && out.abandoned.is_some() {
            return Err(OptionError {
                option: "abandoned".into(),
                message: "options.abandoned and options.agents are alternatives: give one of them"
                    .into(),
            });
        }
        Ok(out)
    }

    /// The ids the options name, with the option and the table each must belong to.
    pub fn named_ids(&self) -> Vec<(OptionName, IdTable, &[i64])> {
        let mut v = Vec::new();
        if let Some(ids) = &self.sites {
            v.push((OptionName::Sites, IdTable::Sites, ids.as_slice()));
        }
        if let Some(ids) = &self.owners {
            v.push((OptionName::Owners, IdTable::Users, ids.as_slice()));
        }
        if let Some(ids) = &self.agents {
            v.push((OptionName::Agents, IdTable::Users, ids.as_slice()));
        }
        v
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("options serialize")
    }

    pub fn delimiter(&self) -> Delimiter {
        self.delimiter.unwrap_or_default()
    }
}

const IDS: &str = "a list of 1 to 1000 ids (positive whole numbers)";
const TEXT: &str = "a text of 1 to 200 characters";

/// A text filter: 1 to [`MAX_TEXT`] characters, not blank, without control characters.
fn text(v: &Value) -> Option<String> {
    let s = v.as_str()?.trim();
    let n = s.chars().count();
    ((1..=MAX_TEXT).contains(&n) && !s.chars().any(char::is_control)).then(|| s.to_owned())
}

/// A non-empty list of at most [`MAX_IDS`] positive ids, without repeats.
fn ids(v: &Value) -> Option<Vec<i64>> {
    let list: Vec<i64> = serde_json::from_value(v.clone()).ok()?;
    if list.is_empty() || list.len() > MAX_IDS || list.iter().any(|&i| i <= 0) {
        return None;
    }
    let mut list = list;
    list.sort_unstable();
    list.dedup();
    Some(list)
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
    fn id_filters_take_only_lists_of_positive_ids_and_only_where_the_kind_knows_them() {
        let k = ReportKind::Conversations;
        let o = ReportOptions::parse(k, &map(json!({"sites": [3, 1, 3], "owners": [9]}))).unwrap();
        assert_eq!(o.sites, Some(vec![1, 3]));
        for bad in [
            json!([]),
            json!([0]),
            json!("1"),
            json!([1.5]),
            json!((1..=1001).collect::<Vec<_>>()),
        ] {
            let e = ReportOptions::parse(k, &map(json!({"sites": bad}))).unwrap_err();
            assert_eq!(e.option, "sites");
        }
        let e = ReportOptions::parse(ReportKind::Global, &map(json!({"sites": [1]}))).unwrap_err();
        assert_eq!(e.option, "sites", "global takes no site filter");
    }

    #[test]
    fn a_bad_value_is_named_and_a_good_one_round_trips() {
        let e =
            ReportOptions::parse(ReportKind::Global, &map(json!({"delimiter": "|"}))).unwrap_err();
        assert_eq!(e.option, "delimiter");
        let o = ReportOptions::parse(ReportKind::Global, &map(json!({"delimiter": ";"}))).unwrap();
        assert_eq!(o.delimiter(), Delimiter::Semicolon);
        assert_eq!(
            serde_json::from_value::<ReportOptions>(o.to_value()).unwrap(),
            o
        );
        assert_eq!(o.to_value(), json!({"delimiter": ";"}));
    }
}
