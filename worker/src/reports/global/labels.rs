//! Words of the global report in each locale. Spanish comes first and uses the seed's words.

use exportd_core::domain::Locale;

/// The words of the global report.
pub struct GlobalLabels {
    pub by_site: &'static str,
    pub by_agent: &'static str,
    pub per_site: &'static str,
    pub site: &'static str,
    pub agent: &'static str,
    pub total: &'static str,
    pub site_metrics: [&'static str; 6],
    pub agent_metrics: [&'static str; 13],
}

const ES: GlobalLabels = GlobalLabels {
    by_site: "Por sitio",
    by_agent: "Por agente",
    per_site: "Por sitio y agente",
    site: "Sitio",
    agent: "Agente",
    total: "Total",
    site_metrics: [
        "Chats aceptados",
        "Llamadas aceptadas",
        "Chats perdidos",
        "Llamadas perdidas",
        "Chats aceptados sin respuesta del agente",
        "Mensajes fuera de línea",
    ],
    agent_metrics: [
        "Chats aceptados",
        "Llamadas aceptadas",
        "Chats transferidos",
        "Chats rechazados",
        "Chats aceptados sin respuesta del operador",
        "Mensajes fuera de línea",
        "Tiempo en línea (hh:mm:ss)",
        "Tiempo ausente (hh:mm:ss)",
        "Tiempo promedio de respuesta (en segundos)",
        "Duración promedio del chat (hh:mm:ss)",
        "Calificación positiva",
        "Calificación negativa",
        "Bloqueo de clientes",
    ],
};

const EN: GlobalLabels = GlobalLabels {
    by_site: "By site",
    by_agent: "By agent",
    per_site: "By site and agent",
    site: "Site",
    agent: "Agent",
    total: "Total",
    site_metrics: [
        "Chats accepted",
        "Calls accepted",
        "Chats missed",
        "Calls missed",
        "Chats accepted without agent reply",
        "Offline messages",
    ],
    agent_metrics: [
        "Chats accepted",
        "Calls accepted",
        "Chats transferred",
        "Chats rejected",
        "Chats accepted without agent reply",
        "Offline messages",
        "Online time (hh:mm:ss)",
        "Away time (hh:mm:ss)",
        "Average response time (seconds)",
        "Average chat duration (hh:mm:ss)",
        "Positive ratings",
        "Negative ratings",
        "Banned clients",
    ],
};

const PT: GlobalLabels = GlobalLabels {
    by_site: "Por site",
    by_agent: "Por agente",
    per_site: "Por site e agente",
    site: "Site",
    agent: "Agente",
    total: "Total",
    site_metrics: [
        "Chats aceitos",
        "Chamadas aceitas",
        "Chats perdidos",
        "Chamadas perdidas",
        "Chats aceitos sem resposta do agente",
        "Mensagens offline",
    ],
    agent_metrics: [
        "Chats aceitos",
        "Chamadas aceitas",
        "Chats transferidos",
        "Chats rejeitados",
        "Chats aceitos sem resposta do operador",
        "Mensagens offline",
        "Tempo online (hh:mm:ss)",
        "Tempo ausente (hh:mm:ss)",
        "Tempo médio de resposta (em segundos)",
        "Duração média do chat (hh:mm:ss)",
        "Avaliações positivas",
        "Avaliações negativas",
        "Clientes bloqueados",
    ],
};

pub fn global(locale: Locale) -> &'static GlobalLabels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}
