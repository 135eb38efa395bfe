//! Words of the sessions report in each locale; Spanish uses seed 000's words, and the
//! traffic sheet's headers are the seed's traffic export's, in its order.

use exportd_core::domain::Locale;

pub struct Labels {
    pub sheets: [&'static str; 4],
    pub by_bot: [&'static str; 5],
    pub date: &'static str,
    pub hour: &'static str,
    pub traffic: [&'static str; 9],
    /// Titles of the traffic sheet's charts, of the bots' figures summed per day.
    pub traffic_charts: [&'static str; 2],
    /// The name of those charts' series of each bot's unique contacts added up: a contact
    /// seen by two bots counts twice.
    pub contacts_summed: &'static str,
}

const ES: Labels = Labels {
    sheets: [
        "Por bot",
        "Sesiones por día",
        "Sesiones por hora",
        "Tráfico por día del mes",
    ],
    by_bot: [
        "Bot",
        "Sesiones",
        "Sesiones con panel",
        "Sesiones abandonadas",
        "Contactos únicos",
    ],
    date: "Fecha",
    hour: "Hora",
    traffic: [
        "bot",
        "día",
        "sesiones",
        "contactos únicos",
        "mensajes entrantes",
        "mensajes salientes",
        "largo de sesión (promedio)",
        "tiempo de espera (promedio)",
        "sesiones abandonadas",
    ],
    traffic_charts: [
        "Mensajes por día, todos los bots",
        "Sesiones por día, todos los bots",
    ],
    contacts_summed: "contactos únicos (suma de los bots)",
};

const EN: Labels = Labels {
    sheets: [
        "By bot",
        "Sessions per day",
        "Sessions per hour",
        "Traffic by day of month",
    ],
    by_bot: [
        "Bot",
        "Sessions",
        "Sessions with panel",
        "Abandoned sessions",
        "Unique contacts",
    ],
    date: "Date",
    hour: "Hour",
    traffic: [
        "bot",
        "day",
        "sessions",
        "unique contacts",
        "incoming messages",
        "outgoing messages",
        "session length (average)",
        "wait time (average)",
        "abandoned sessions",
    ],
    traffic_charts: ["Messages per day, all bots", "Sessions per day, all bots"],
    contacts_summed: "unique contacts (sum over bots)",
};

const PT: Labels = Labels {
    sheets: [
        "Por bot",
        "Sessões por dia",
        "Sessões por hora",
        "Tráfego por dia do mês",
    ],
    by_bot: [
        "Bot",
        "Sessões",
        "Sessões com painel",
        "Sessões abandonadas",
        "Contatos únicos",
    ],
    date: "Data",
    hour: "Hora",
    traffic: [
        "bot",
        "dia",
        "sessões",
        "contatos únicos",
        "mensagens recebidas",
        "mensagens enviadas",
        "duração da sessão (média)",
        "tempo de espera (média)",
        "sessões abandonadas",
    ],
    traffic_charts: [
        "Mensagens por dia, todos os bots",
        "Sessões por dia, todos os bots",
    ],
    contacts_summed: "contatos únicos (soma dos bots)",
};

pub fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}
