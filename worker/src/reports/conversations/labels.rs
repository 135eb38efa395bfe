//! Words of the inbox's conversation templates in each locale. Spanish comes first and uses
//! the seed's words (003).

use exportd_core::domain::Locale;

pub struct Labels {
    /// Sheet titles, in the templates' order.
    pub sheets: [&'static str; 6],
    pub open_closed: [&'static str; 3],
    pub by_account: [&'static str; 3],
    pub recurrence: [&'static str; 4],
    pub per_hour: [&'static str; 3],
    /// The title of the chart of conversations by hour of the day, over every date.
    pub hour_of_day: &'static str,
    pub by_user: [&'static str; 5],
    pub response: [&'static str; 5],
    pub no_owner: &'static str,
    pub unassigned: &'static str,
    pub subtotal: &'static str,
    /// The summary's names of the two filters.
    pub filter_sites: &'static str,
    pub filter_owners: &'static str,
}

const ES: Labels = Labels {
    sheets: [
        "Abiertas vs cerradas",
        "Por cuenta y canal",
        "Recurrencia por dueño",
        "Nuevas por hora",
        "Por usuario según estado",
        "Tiempos de respuesta",
    ],
    open_closed: ["Recibidas", "Abiertas", "Cerradas"],
    by_account: ["Canal", "Cuenta", "Conversaciones"],
    recurrence: [
        "Dueño",
        "Contactos",
        "Conversaciones",
        "Promedio por contacto",
    ],
    per_hour: ["Fecha", "Hora", "Conversaciones"],
    hour_of_day: "Conversaciones por hora del día",
    by_user: [
        "Usuario",
        "Abiertas",
        "Cerradas",
        "Promedio de mensajes recibidos",
        "Promedio de mensajes enviados",
    ],
    response: [
        "Dueño",
        "Conversaciones",
        "Primera respuesta manual",
        "Primera respuesta automática",
        "Primera respuesta general",
    ],
    no_owner: "Sin dueño",
    unassigned: "Sin asignar",
    subtotal: "Subtotal",
    filter_sites: "Cuentas",
    filter_owners: "Dueños",
};

const EN: Labels = Labels {
    sheets: [
        "Open vs closed",
        "By account and channel",
        "Recurrence by owner",
        "New per hour",
        "By user and status",
        "Response times",
    ],
    open_closed: ["Received", "Open", "Closed"],
    by_account: ["Channel", "Account", "Conversations"],
    recurrence: ["Owner", "Contacts", "Conversations", "Average per contact"],
    per_hour: ["Date", "Hour", "Conversations"],
    hour_of_day: "Conversations by hour of day",
    by_user: [
        "User",
        "Open",
        "Closed",
        "Average messages received",
        "Average messages sent",
    ],
    response: [
        "Owner",
        "Conversations",
        "First manual response",
        "First automatic response",
        "First response overall",
    ],
    no_owner: "No owner",
    unassigned: "Unassigned",
    subtotal: "Subtotal",
    filter_sites: "Accounts",
    filter_owners: "Owners",
};

const PT: Labels = Labels {
    sheets: [
        "Abertas vs fechadas",
        "Por conta e canal",
        "Recorrência por dono",
        "Novas por hora",
        "Por usuário por status",
        "Tempos de resposta",
    ],
    open_closed: ["Recebidas", "Abertas", "Fechadas"],
    by_account: ["Canal", "Conta", "Conversas"],
    recurrence: ["Dono", "Contatos", "Conversas", "Média por contato"],
    per_hour: ["Data", "Hora", "Conversas"],
    hour_of_day: "Conversas por hora do dia",
    by_user: [
        "Usuário",
        "Abertas",
        "Fechadas",
        "Média de mensagens recebidas",
        "Média de mensagens enviadas",
    ],
    response: [
        "Dono",
        "Conversas",
        "Primeira resposta manual",
        "Primeira resposta automática",
        "Primeira resposta geral",
    ],
    no_owner: "Sem dono",
    unassigned: "Sem atribuição",
    subtotal: "Subtotal",
    filter_sites: "Contas",
    filter_owners: "Donos",
};

pub fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}
