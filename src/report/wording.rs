//! The reports' wording: every sentence, heading and column name of the
//! thematic reports and packets, in `assets/templates/wording.zh.toml` and
//! `wording.en.toml` (built in), which a site may override key by key with
//! its own `wording.<lang>.toml` in the folder named by `[report]
//! templates`, without recompiling. `{name}` marks a value from the data.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::Language;

const ZH: &str = include_str!("../../assets/templates/wording.zh.toml");
const EN: &str = include_str!("../../assets/templates/wording.en.toml");

/// A wording file could not be read or names a key yanpan does not know.
#[derive(Debug, thiserror::Error)]
pub enum WordingError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: unknown key {key} (known keys are those of the built-in wording.{lang}.toml)")]
    UnknownKey {
        file: String,
        key: String,
        lang: &'static str,
    },
}

/// Sentences by key ("section.key").
#[derive(Debug, Clone)]
pub struct Wording {
    lang: Language,
    text: BTreeMap<String, String>,
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn parse(file: &str, text: &str) -> Result<BTreeMap<String, String>, WordingError> {
    let v: toml::Value = toml::from_str(text).map_err(|e| WordingError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let mut out = BTreeMap::new();
    flatten("", &v, &mut out);
    Ok(out)
}

impl Wording {
    /// The built-in wording of `lang`.
    pub fn builtin(lang: Language) -> Self {
        let (name, text) = match lang {
            Language::Zh => ("wording.zh.toml", ZH),
            Language::En => ("wording.en.toml", EN),
        };
        #[allow(clippy::expect_used)]
        let text = parse(name, text).expect("the built-in wording parses (tested)");
        Wording { lang, text }
    }

    /// The built-in wording with the site's overrides from `dir`, if any.
    pub fn load(lang: Language, dir: Option<&Path>) -> Result<Self, WordingError> {
        let mut w = Self::builtin(lang);
        let code = match lang {
            Language::Zh => "zh",
            Language::En => "en",
        };
        let Some(path) = dir.map(|d| d.join(format!("wording.{code}.toml"))) else {
            return Ok(w);
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(w);
        };
        let file = path.display().to_string();
        for (key, value) in parse(&file, &text)? {
            if !w.text.contains_key(&key) {
                return Err(WordingError::UnknownKey {
                    file,
                    key,
                    lang: code,
                });
            }
            w.text.insert(key, value);
        }
        Ok(w)
    }

    pub fn language(&self) -> Language {
        self.lang
    }

    /// The sentence `key` with each `{name}` replaced by its value.
    pub fn t(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let Some(text) = self.text.get(key) else {
            return format!("[{key}]");
        };
        let mut out = text.clone();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), &value.to_string());
        }
        out
    }

    /// Items as a list in the report's language: 1、2、4 or 1, 2 and 4.
    pub fn list(&self, items: &[impl std::fmt::Display]) -> String {
        let items: Vec<String> = items.iter().map(ToString::to_string).collect();
        match (self.lang, items.split_last()) {
            (Language::Zh, _) => items.join("、"),
            (Language::En, Some((last, rest))) if !rest.is_empty() => {
                format!("{} and {last}", rest.join(", "))
            }
            (Language::En, _) => items.join(""),
        }
    }

    /// A sentence without values.
    pub fn s(&self, key: &str) -> String {
        self.t(key, &[])
    }

    /// The keys (for tests).
    pub fn keys(&self) -> Vec<&str> {
        self.text.keys().map(String::as_str).collect()
    }

    /// The raw text of `key` (for tests).
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.text.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{name}` placeholders of a text.
    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn chinese_and_english_are_both_complete_with_the_same_placeholders() {
        let (zh, en) = (
            Wording::builtin(Language::Zh),
            Wording::builtin(Language::En),
        );
        assert_eq!(zh.keys(), en.keys(), "the same keys in both languages");
        assert!(zh.keys().len() > 50);
        for k in zh.keys() {
            let (a, b) = (zh.raw(k).unwrap_or(""), en.raw(k).unwrap_or(""));
            assert!(!a.is_empty() && !b.is_empty(), "{k} is empty");
            assert_eq!(placeholders(a), placeholders(b), "{k}: placeholders differ");
        }
    }

    #[test]
    fn a_site_overrides_a_sentence_and_a_typo_is_refused() {
        let dir = std::env::temp_dir().join(format!("yanpan-wording-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("wording.zh.toml"),
            "[clues]\ntitle = \"{quarter}线索专报\"\n",
        )
        .expect("write");
        let w = Wording::load(Language::Zh, Some(&dir)).expect("loads");
        assert_eq!(
            w.t("clues.title", &[("quarter", &"2024Q4")]),
            "2024Q4线索专报"
        );
        std::fs::write(dir.join("wording.zh.toml"), "[clues]\ntitel = \"x\"\n").expect("write");
        let err = Wording::load(Language::Zh, Some(&dir)).expect_err("typo");
        assert!(err.to_string().contains("clues.titel"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_method_names_the_windows_in_force() {
        for (lang, windows, want) in [
            (Language::Zh, vec![1, 2, 4], "同时考察近1、2、4个季度"),
            (Language::Zh, vec![1, 8], "同时考察近1、8个季度"),
            (Language::En, vec![1, 8], "windows of 1 and 8 quarters"),
            (
                Language::En,
                vec![1, 2, 4],
                "windows of 1, 2 and 4 quarters",
            ),
        ] {
            let w = Wording::builtin(lang);
            let text = w.t(
                "petitions.concentration_method",
                &[("windows", &w.list(&windows))],
            );
            assert!(text.contains(want), "{want} not in {text}");
        }
    }
}
