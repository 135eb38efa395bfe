//! The page says every error of the API in its own words: each machine code the API can
//! answer with (found in the API's source and in the range rules of `core`) has an
//! `e_<code>` entry in each language of `templates/web/i18n.js`. A new code without words
//! fails here, not in front of a Spanish admin reading English.

use std::{collections::BTreeSet, path::Path};

const MARKERS: [&str; 5] = [
    "unprocessable(",
    "bad_request(",
    "::new(",
    "code:",
    "\"code\": ",
];

/// The snake_case string literal right after a marker (skipping `StatusCode::X,`).
fn codes_in(text: &str, out: &mut BTreeSet<String>) {
    for marker in MARKERS {
        for (at, _) in text.match_indices(marker) {
            let mut rest = text[at + marker.len()..].trim_start();
            if let Some(after) = rest.strip_prefix("StatusCode::") {
                rest = after.split_once(',').map_or("", |(_, r)| r).trim_start();
            }
            let Some(lit) = rest.strip_prefix('"') else {
                continue;
            };
            let code = lit.split('"').next().unwrap_or_default();
            if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                out.insert(code.to_owned());
            }
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `lang: { … }` block of i18n.js.
fn block<'a>(i18n: &'a str, lang: &str) -> &'a str {
    let start = i18n
        .find(&format!("\n  {lang}: {{"))
        .unwrap_or_else(|| panic!("no {lang} block"));
    let end = i18n[start..].find("\n  },").expect("the block ends") + start;
    &i18n[start..end]
}

#[test]
fn every_api_error_code_has_words_in_each_language_of_the_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    rust_files(&root.join("api/src"), &mut files);
    let mut codes = BTreeSet::new();
    for f in files.iter().filter(|f| !f.ends_with("openapi.rs")) {
        codes_in(&std::fs::read_to_string(f).unwrap(), &mut codes);
    }
    // The range rules answer with their own codes.
    let domain = std::fs::read_to_string(root.join("core/src/domain.rs")).unwrap();
    let range = &domain[domain.find("pub fn code(&self)").expect("RangeError::code")..];
    for line in range.lines().take_while(|l| !l.starts_with("    }")) {
        if let Some((_, lit)) = line.split_once("=> \"") {
            codes.insert(lit.trim_end_matches("\",").to_owned());
        }
    }
    for code in [
        "invalid_email",
        "already_finished",
        "beyond_retention",
        "not_found",
        "internal",
    ] {
        assert!(codes.contains(code), "the scan finds {code}: {codes:?}");
    }
    let i18n = std::fs::read_to_string(root.join("templates/web/i18n.js")).unwrap();
    for lang in ["es", "en", "pt"] {
        let words = block(&i18n, lang);
        let missing: Vec<_> = codes
            .iter()
            .filter(|c| !words.contains(&format!(" e_{c}: ")))
            .collect();
        assert!(
            missing.is_empty(),
            "i18n.js has no {lang} words for {missing:?}"
        );
    }
}
