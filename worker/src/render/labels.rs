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
}

const ES: Common = Common {
    summary: "Resumen",
    account: "Cuenta",
    range: "Período",
    timezone: "Zona horaria",
    generated: "Generado",
    total: "Total",
};

const EN: Common = Common {
    summary: "Summary",
    account: "Account",
    range: "Period",
    timezone: "Time zone",
    generated: "Generated",
    total: "Total",
};

const PT: Common = Common {
    summary: "Resumo",
    account: "Conta",
    range: "Período",
    timezone: "Fuso horário",
    generated: "Gerado",
    total: "Total",
};

pub fn common(locale: Locale) -> &'static Common {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}
