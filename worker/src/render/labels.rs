//! Words every report shares, in each locale: the summary sheet's labels. Spanish comes
//! first and uses the seeds' words. Each kind keeps its own words beside it.

use exportd_core::domain::Locale;

/// The summary sheet's words.
pub struct Common {
    pub summary: &'static str,
    pub account: &'static str,
    pub range: &'static str,
    pub timezone: &'static str,
    pub generated: &'static str,
    pub total: &'static str,
    /// The summary's and email's names of filters, where a kind has no word of its own.
    pub sites: &'static str,
    pub owners: &'static str,
    pub agents: &'static str,
    /// What seed 000 calls a site.
    pub bots: &'static str,
    /// The other filters' names: mode, abandoned, step, text, contact, statuses,
    /// templates, queued.
    pub filters: [&'static str; 8],
    /// The modes all, panel, bot.
    pub modes: [&'static str; 3],
    /// Yes, no.
    pub yes_no: [&'static str; 2],
    /// Outbound message states in the seed's order: sent, delivered, read, failed, pending.
    pub states: [&'static str; 5],
    /// A feed run's interval of close instants, its rows, and the close column.
    pub feed: [&'static str; 3],
}

const ES: Common = Common {
    summary: "Resumen",
    account: "Cuenta",
    range: "Período",
    timezone: "Zona horaria",
    generated: "Generado",
    total: "Total",
    sites: "Sitios",
    owners: "Dueños",
    agents: "Agentes",
    bots: "Bots",
    filters: [
        "Modalidad",
        "Sesiones abandonadas",
        "Paso",
        "Mensajes",
        "Contacto",
        "Estado",
        "Template",
        "Encolados",
    ],
    modes: ["Todas", "Panel", "Bot"],
    yes_no: ["Sí", "No"],
    states: ["Enviado", "Recibido", "Leído", "Fallido", "Pendiente"],
    feed: ["Intervalo de cierre", "Filas", "Cierre"],
};

const EN: Common = Common {
    summary: "Summary",
    account: "Account",
    range: "Period",
    timezone: "Time zone",
    generated: "Generated",
    total: "Total",
    sites: "Sites",
    owners: "Owners",
    agents: "Agents",
    bots: "Bots",
    filters: [
        "Mode",
        "Abandoned sessions",
        "Step",
        "Messages",
        "Contact",
        "Status",
        "Template",
        "Queued",
    ],
    modes: ["All", "Panel", "Bot"],
    yes_no: ["Yes", "No"],
    states: ["Sent", "Delivered", "Read", "Failed", "Pending"],
    feed: ["Close interval", "Rows", "Closed"],
};

const PT: Common = Common {
    summary: "Resumo",
    account: "Conta",
    range: "Período",
    timezone: "Fuso horário",
    generated: "Gerado",
    total: "Total",
    sites: "Sites",
    owners: "Donos",
    agents: "Agentes",
    bots: "Bots",
    filters: [
        "Modalidade",
        "Sessões abandonadas",
        "Passo",
        "Mensagens",
        "Contato",
        "Status",
        "Template",
        "Na fila",
    ],
    modes: ["Todas", "Painel", "Bot"],
    yes_no: ["Sim", "Não"],
    states: ["Enviado", "Recebido", "Lido", "Falhou", "Pendente"],
    feed: ["Intervalo de fechamento", "Linhas", "Fechamento"],
};

pub fn common(locale: Locale) -> &'static Common {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}
