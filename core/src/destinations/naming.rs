//! File names at a destination: a template with the report's kind, range and export id,
//! e.g. `{kind}_{from}_{to}_{id}.{ext}` → `sessions_detail_2026-11-01_2026-11-30_812.xlsx`.
//! The id is required, so that two exports never take each other's name and a retried
//! delivery can tell its own file.

/// The template used when none is given.
pub const DEFAULT: &str = "{kind}_{from}_{to}_{id}.{ext}";

const PLACEHOLDERS: [&str; 5] = ["{kind}", "{from}", "{to}", "{id}", "{ext}"];

/// Checks a template: at most 200 bytes of letters, digits, `._-` and the placeholders
/// `{kind}` `{from}` `{to}` `{id}` `{ext}`, with `{id}` among them.
pub fn check(template: &str) -> Result<String, String> {
    let mut rest = template.to_owned();
    for p in PLACEHOLDERS {
        rest = rest.replace(p, "");
    }
    let ok = !template.is_empty()
        && template.len() <= 200
        && template.contains("{id}")
        && !template.starts_with('.')
        && rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c));
    ok.then(|| template.to_owned()).ok_or_else(|| {
        "file_name must be at most 200 letters, digits, dots, hyphens and underscores with the placeholders {kind} {from} {to} {id} {ext}, {id} among them, not starting with a dot".to_owned()
    })
}

/// What fills a template.
#[derive(Debug, Clone)]
pub struct Names<'a> {
    pub kind: &'a str,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub id: i64,
    pub ext: &'a str,
}

/// The file name a template gives.
pub fn render(template: &str, n: &Names<'_>) -> String {
    template
        .replace("{kind}", n.kind)
        .replace("{from}", &n.from.to_string())
        .replace("{to}", &n.to.to_string())
        .replace("{id}", &n.id.to_string())
        .replace("{ext}", n.ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_names_kind_range_and_id() {
        let d = |s: &str| s.parse().unwrap();
        let n = Names {
            kind: "sessions_detail",
            from: d("2026-11-01"),
            to: d("2026-11-30"),
            id: 812,
            ext: "csv",
        };
        assert_eq!(
            render(DEFAULT, &n),
            "sessions_detail_2026-11-01_2026-11-30_812.csv"
        );
        assert_eq!(render("acme-{id}.{ext}", &n), "acme-812.csv");
    }

    #[test]
    fn templates_without_the_id_or_with_paths_are_refused() {
        assert!(check(DEFAULT).is_ok());
        for bad in [
            "{kind}.{ext}",
            "../{id}.csv",
            "dir/{id}.csv",
            ".{id}",
            "{id} {ext}",
            "{ID}.csv",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(check(&format!("{}{{id}}", "a".repeat(200))).is_err());
    }
}
