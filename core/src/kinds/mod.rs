//! The report kinds, as both sides see them: each kind's descriptor ([`KindInfo`]: name,
//! titles, one-line description, file stems and the options it accepts) is declared once
//! here, in [`ReportKind::info`]. The API validates requests and lists kinds
//! (`GET /v1/kinds`, which the web page reads its titles from) with it; the worker names
//! files and writes titles with it. How a kind reads its data, writes its sheets and keeps
//! its rollups lives in its worker module (`worker/src/reports/<kind>`), found through the
//! worker's registry.
//!
//! Adding a kind: its variant and descriptor here, its worker module and registry line,
//! and a migration if it keeps rollups.

mod ids;
mod options;

use serde::{Deserialize, Serialize};

pub use ids::*;
pub use options::*;

use crate::domain::Locale;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Seed 004: by site, by agent, per site by agent.
    Global,
    /// Seed 003: the inbox's six conversation templates, one sheet each.
    Conversations,
    /// Seed 000: the bot flow's steps, overall and per bot.
    Steps,
    /// Seed 000: per agent, sessions, busy time and messages.
    AgentsActivity,
    /// Seed 000: sessions per bot, per day, per hour, and traffic per day of the month.
    Sessions,
    /// Seed 000, row-level: one row per session, with menu choices, typification, panel,
    /// agents and wait.
    SessionsDetail,
    /// Seed 000, row-level: one row per outbound message, and counts by state.
    Campaigns,
}

/// A text in each locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"es": "Informe global", "en": "Global report", "pt": "Relatório global"}))]
pub struct Words {
    pub es: &'static str,
    pub en: &'static str,
    pub pt: &'static str,
}

impl Words {
    pub fn get(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => self.es,
            Locale::En => self.en,
            Locale::Pt => self.pt,
        }
    }
}

/// Everything about a kind that is not how it reads and writes its data.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: ReportKind,
    /// As requests and the API write it.
    pub name: &'static str,
    /// As the summary sheet, the email and the page say it.
    pub title: Words,
    /// What it shows, in one line (the page's help under the kind).
    pub about: Words,
    /// The stem of its file name, e.g. `informe-global`.
    pub file_stem: Words,
    /// The options it accepts besides those every kind accepts ([`COMMON`]).
    pub options: &'static [OptionName],
    /// Whether it has one row per source row (and streams), rather than aggregates.
    pub row_level: bool,
    /// The source tables it reads, and how a row of each falls in a report's range.
    pub sources: &'static [Source],
}

/// A source table a kind reads, and the column(s) that place a row in a report's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub table: &'static str,
    pub placed: Placed,
}

/// How a source row falls in a range `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// By one instant: `column` in `[from, to)`.
    At(&'static str),
    /// By an interval that overlaps the range (`end` NULL: still open).
    Overlaps {
        start: &'static str,
        end: &'static str,
    },
    /// Every row of the account (contacts, whose owner a report reads).
    Always,
}

impl Source {
    /// The SQL condition that a row is in `[$2, $3)`.
    pub fn in_range(&self) -> String {
        match self.placed {
            Placed::At(c) => format!("{c} >= $2 AND {c} < $3"),
            Placed::Overlaps { start, end } => {
                format!("{start} < $3 AND ({end} IS NULL OR {end} > $2)")
            }
            Placed::Always => "true".into(),
        }
    }
}

const fn at(table: &'static str, column: &'static str) -> Source {
    Source {
        table,
        placed: Placed::At(column),
    }
}

const CHATS: Source = at("chats", "started_at");

const fn w(es: &'static str, en: &'static str, pt: &'static str) -> Words {
    Words { es, en, pt }
}

use OptionName as O;

static GLOBAL: KindInfo = KindInfo {
    kind: ReportKind::Global,
    name: "global",
    title: w("Informe global", "Global report", "Relatório global"),
    about: w(
        "Chats, llamadas y mensajes offline por sitio y por agente, con tiempos y valoraciones.",
        "Chats, calls and offline messages by site and by agent, with times and ratings.",
        "Chats, chamadas e mensagens offline por site e por agente, com tempos e avaliações.",
    ),
    file_stem: w("informe-global", "global-report", "relatorio-global"),
    options: &[],
    row_level: false,
    sources: &[
        CHATS,
        at("calls", "started_at"),
        at("chat_events", "at"),
        at("offline_messages", "created_at"),
        at("bans", "created_at"),
        Source {
            table: "agent_presence",
            placed: Placed::Overlaps {
                start: "started_at",
                end: "ended_at",
            },
        },
    ],
};

static CONVERSATIONS: KindInfo = KindInfo {
    kind: ReportKind::Conversations,
    name: "conversations",
    title: w(
        "Reportes de conversaciones del inbox",
        "Inbox conversation reports",
        "Relatórios de conversas do inbox",
    ),
    about: w(
        "Abiertas y cerradas, por cuenta y canal, recurrencia, nuevas por hora, por usuario y tiempos de respuesta.",
        "Open and closed, by account and channel, recurrence, new by hour, by user and response times.",
        "Abertas e fechadas, por conta e canal, recorrência, novas por hora, por usuário e tempos de resposta.",
    ),
    file_stem: w(
        "conversaciones-inbox",
        "inbox-conversations",
        "conversas-inbox",
    ),
    options: &[O::Sites, O::Owners],
    row_level: false,
    sources: &[
        CHATS,
        Source {
            table: "contacts",
            placed: Placed::Always,
        },
    ],
};

static STEPS: KindInfo = KindInfo {
    kind: ReportKind::Steps,
    name: "steps",
    title: w("Análisis de pasos", "Step analysis", "Análise de passos"),
    about: w(
        "Cuántas veces se pasó por cada paso del bot y cuánto duró, en total y por bot.",
        "How often each bot step was entered and how long it lasted, overall and per bot.",
        "Quantas vezes cada etapa do bot foi percorrida e quanto durou, no total e por bot.",
    ),
    file_stem: w("analisis-de-pasos", "step-analysis", "analise-de-passos"),
    options: &[O::Sites],
    row_level: false,
    sources: &[at("steps", "entered_at"), CHATS],
};

static AGENTS_ACTIVITY: KindInfo = KindInfo {
    kind: ReportKind::AgentsActivity,
    name: "agents_activity",
    title: w(
        "Análisis por agentes",
        "Agent activity",
        "Análise por agentes",
    ),
    about: w(
        "Sesiones, tiempo ocupado y mensajes de cada agente.",
        "Each agent's sessions, busy time and messages.",
        "Sessões, tempo ocupado e mensagens de cada agente.",
    ),
    file_stem: w(
        "analisis-por-agentes",
        "agent-activity",
        "analise-por-agentes",
    ),
    options: &[O::Sites, O::Agents],
    row_level: false,
    sources: &[CHATS, at("messages", "sent_at")],
};

static SESSIONS: KindInfo = KindInfo {
    kind: ReportKind::Sessions,
    name: "sessions",
    title: w(
        "Análisis de sesiones",
        "Session analysis",
        "Análise de sessões",
    ),
    about: w(
        "Sesiones por bot, por día y por hora, y el tráfico por día del mes.",
        "Sessions by bot, by day and by hour, and traffic by day of the month.",
        "Sessões por bot, por dia e por hora, e o tráfego por dia do mês.",
    ),
    file_stem: w(
        "analisis-de-sesiones",
        "session-analysis",
        "analise-de-sessoes",
    ),
    options: &[O::Sites],
    row_level: false,
    sources: &[CHATS],
};

static SESSIONS_DETAIL: KindInfo = KindInfo {
    kind: ReportKind::SessionsDetail,
    name: "sessions_detail",
    title: w(
        "Análisis de sesiones detallado",
        "Detailed session analysis",
        "Análise de sessões detalhada",
    ),
    about: w(
        "Una fila por sesión: contacto, menú, motivo, panel, agentes y espera.",
        "One row per session: contact, menu, reason, panel, agents and wait.",
        "Uma linha por sessão: contato, menu, motivo, painel, agentes e espera.",
    ),
    file_stem: w("sesiones-detalle", "sessions-detail", "sessoes-detalhe"),
    options: &[
        O::Sites,
        O::Mode,
        O::Agents,
        O::Abandoned,
        O::Step,
        O::Text,
        O::Contact,
    ],
    row_level: true,
    sources: &[CHATS],
};

static CAMPAIGNS: KindInfo = KindInfo {
    kind: ReportKind::Campaigns,
    name: "campaigns",
    title: w(
        "Resultado de las campañas salientes",
        "Outbound campaign results",
        "Resultado das campanhas de saída",
    ),
    about: w(
        "Una fila por mensaje saliente con su estado, y el conteo por estado de cada plantilla.",
        "One row per outbound message with its state, and counts by state per template.",
        "Uma linha por mensagem de saída com seu estado, e a contagem por estado de cada modelo.",
    ),
    file_stem: w(
        "campanas-salientes",
        "outbound-campaigns",
        "campanhas-de-saida",
    ),
    options: &[O::Sites, O::Statuses, O::Templates, O::Queued, O::Contact],
    row_level: true,
    sources: &[at("outbound_messages", "created_at")],
};

impl ReportKind {
    /// Every kind, in the order the product shows them.
    pub const ALL: [ReportKind; 7] = [
        ReportKind::Global,
        ReportKind::Conversations,
        ReportKind::Steps,
        ReportKind::AgentsActivity,
        ReportKind::Sessions,
        ReportKind::SessionsDetail,
        ReportKind::Campaigns,
    ];

    /// The kind's descriptor.
    pub fn info(self) -> &'static KindInfo {
        match self {
            ReportKind::Global => &GLOBAL,
            ReportKind::Conversations => &CONVERSATIONS,
            ReportKind::Steps => &STEPS,
            ReportKind::AgentsActivity => &AGENTS_ACTIVITY,
            ReportKind::Sessions => &SESSIONS,
            ReportKind::SessionsDetail => &SESSIONS_DETAIL,
            ReportKind::Campaigns => &CAMPAIGNS,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The report's name in `locale`, as the summary sheet and the email say it.
    pub fn title(self, locale: Locale) -> &'static str {
        self.info().title.get(locale)
    }

    /// The stem of its file name in `locale`, e.g. `informe-global`.
    pub fn file_stem(self, locale: Locale) -> &'static str {
        self.info().file_stem.get(locale)
    }

    /// The options this kind accepts, besides those every kind accepts ([`COMMON`]).
    pub fn options(self) -> &'static [OptionName] {
        self.info().options
    }

    /// Every option this kind accepts.
    pub fn accepted(self) -> impl Iterator<Item = OptionName> {
        COMMON.iter().chain(self.options()).copied()
    }
}

crate::text_enum!(ReportKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_descriptor_is_its_own_kinds_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for k in ReportKind::ALL {
            assert_eq!(k.info().kind, k);
            assert!(names.insert(k.as_str()), "{} twice", k.as_str());
            assert_eq!(ReportKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str()),
                "serde and the descriptor agree"
            );
        }
    }
}
