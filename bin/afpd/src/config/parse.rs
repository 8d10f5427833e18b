//! The lexical layer of `afp.conf`: lines, sections, `key = value`, includes (spec
//! `cnid-and-config.md` §3.1). It knows nothing about option names; [`super::Config::load`] types
//! the values.
//!
//! Rules, as netatalk's iniparser applies them:
//!
//! 1. A logical line may be at most [`MAX_LINE`] bytes (the reference reads lines into a
//!    1024-byte buffer, newline and NUL included); a longer one fails the whole load.
//! 2. Trailing whitespace is stripped; a line then ending in `\` loses the backslash and
//!    the next physical line is appended directly (no space). Comment lines continue too.
//! 3. After trimming: empty lines and lines starting with `#` or `;` are skipped.
//! 4. `[name]` (the line must end with `]`) opens a section; the name is what lies between
//!    `[` and the first `]`, trimmed.
//! 5. `key = value`: the key is everything before the first `=`, trimmed. A value starting
//!    with `"` or `'` is taken verbatim up to the matching quote (anything after it is
//!    ignored); otherwise it runs up to the first `;` or `#` and is trimmed. `""` and `''`
//!    are empty values, as are `key =` and `key = ; comment`.
//! 6. Any other line is a syntax error; all errors are collected and fail the load.
//! 7. `include = path` switches reading to that file and never comes back (netatalk's 4.0
//!    behaviour; 4.2 removed `include`): the rest of the including file is ignored, with a
//!    warning if it holds anything. A relative path is taken relative to the including
//!    file's directory (netatalk uses the working directory). A missing include file is an
//!    error here (netatalk logs it and carries on without those options).
//!
//! Repeated keys are all kept in order; the typed layer applies "last one wins".

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Diagnostic, Severity};

/// The longest logical line, in bytes, without its newline.
///
/// Netatalk's parser reads with `fgets` into `char line[1024]`, so a line of up to 1022
/// bytes plus its newline fits; anything longer is rejected as "input line too long".
pub const MAX_LINE: usize = 1022;

/// How many `include` hops are followed before giving up (protects against loops).
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// A place in a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The file.
    pub file: Arc<Path>,
    /// 1-based line number (the first physical line of a continued line).
    pub line: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One `key = value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// Option name, trimmed, case and inner whitespace preserved.
    pub key: String,
    /// Value after quote and comment handling.
    pub value: String,
    /// Where it was written.
    pub span: Span,
}

/// A section with its entries in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSection {
    /// Name between the brackets, trimmed.
    pub name: String,
    /// Where the section header was written.
    pub span: Span,
    /// Entries in file order (duplicates kept).
    pub entries: Vec<RawEntry>,
}

/// A lexically valid file: the sections in order of first appearance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawConfig {
    /// Sections. Entries written before any section header are dropped with a warning.
    pub sections: Vec<RawSection>,
}

/// What one logical line is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    Empty,
    Section(String),
    Value { key: String, value: String },
    Error,
}

/// Classify one logical line (continuations already joined).
pub(crate) fn classify(line: &str) -> Line {
    let line = line.trim();
    if line.is_empty() {
        return Line::Empty;
    }
    if line.starts_with('#') || line.starts_with(';') {
        return Line::Empty;
    }
    if line.starts_with('[') && line.ends_with(']') {
        let inner = &line[1..];
        let name = inner.split(']').next().unwrap_or("").trim();
        if name.is_empty() {
            return Line::Error;
        }
        return Line::Section(name.to_owned());
    }
    let Some((key, rest)) = line.split_once('=') else {
        return Line::Error;
    };
    let key = key.trim();
    if key.is_empty() {
        return Line::Error;
    }
    let rest = rest.trim_start();
    let value = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let body = &rest[1..];
            match body.find(q) {
                // `""` / `''`: empty value.
                Some(0) => String::new(),
                Some(end) => body[..end].to_owned(),
                // No closing quote: netatalk's scanf pattern still takes the rest.
                None => body.to_owned(),
            }
        }
        _ => {
            let end = rest.find([';', '#']).unwrap_or(rest.len());
            rest[..end].trim().to_owned()
        }
    };
    Line::Value {
        key: key.to_owned(),
        value,
    }
}

/// Reads files for the parser; tests can substitute an in-memory map.
pub trait Source {
    /// The whole text of `path`.
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// Reads from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsSource;

impl Source for FsSource {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        // afp.conf is in the unix charset (UTF-8 by default); keep going on stray bytes.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Parse `path` and whatever it includes.
///
/// Returns the raw sections; every diagnostic (warnings and errors) goes to `diags`. The
/// caller treats any [`Severity::Error`] as a failed load.
pub fn parse(path: &Path, source: &dyn Source, diags: &mut Vec<Diagnostic>) -> RawConfig {
    let mut out = RawConfig::default();
    let mut current: Option<usize> = None;
    let mut file: PathBuf = path.to_owned();
    let mut including_span: Option<Span> = None;
    for depth in 0..=MAX_INCLUDE_DEPTH {
        let text = match source.read(&file) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic {
                    severity: Severity::Error,
                    span: including_span.clone(),
                    message: format!("cannot read {}: {e}", file.display()),
                });
                return out;
            }
        };
        let file_arc: Arc<Path> = Arc::from(file.as_path());
        match parse_text(&text, &file_arc, &mut out, &mut current, diags) {
            None => return out,
            Some((include, span)) => {
                if depth == MAX_INCLUDE_DEPTH {
                    diags.push(Diagnostic::error(
                        span,
                        format!("too many nested includes (more than {MAX_INCLUDE_DEPTH})"),
                    ));
                    return out;
                }
                let base = file.parent().unwrap_or(Path::new("."));
                file = base.join(include);
                including_span = Some(span);
            }
        }
    }
    out
}

/// Parse one file's text into `out`. Returns the include target and its span if the text
/// ends reading with an `include`.
fn parse_text(
    text: &str,
    file: &Arc<Path>,
    out: &mut RawConfig,
    current: &mut Option<usize>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(PathBuf, Span)> {
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((idx, first)) = lines.next() {
        let span = Span {
            file: file.clone(),
            line: u32::try_from(idx + 1).unwrap_or(u32::MAX),
        };
        // Join continuation lines.
        let mut logical = strip_cr(first).trim_end().to_owned();
        let mut raw_len = strip_cr(first).len();
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => {
                    let next = strip_cr(next);
                    raw_len = logical.len() + next.len();
                    logical.push_str(next.trim_end());
                }
                None => break,
            }
        }
        if raw_len > MAX_LINE {
            diags.push(Diagnostic::error(
                span,
                format!("line too long ({raw_len} bytes; at most {MAX_LINE}): the whole configuration is rejected, as netatalk does"),
            ));
            continue;
        }
        match classify(&logical) {
            Line::Empty => {}
            Line::Error => diags.push(Diagnostic::error(
                span,
                format!(
                    "syntax error: `{}` is neither `[section]` nor `option = value`",
                    logical.trim()
                ),
            )),
            Line::Section(name) => {
                if name.contains(':') {
                    diags.push(Diagnostic::error(
                        span.clone(),
                        format!("section name `{name}` must not contain `:`"),
                    ));
                }
                let existing = out.sections.iter().position(|s| s.name == name);
                match existing {
                    Some(i) => {
                        diags.push(Diagnostic::warning(
                            span,
                            format!(
                                "section [{name}] appears again (first at {}); its options are merged, later values win",
                                out.sections[i].span
                            ),
                        ));
                        *current = Some(i);
                    }
                    None => {
                        out.sections.push(RawSection {
                            name,
                            span,
                            entries: Vec::new(),
                        });
                        *current = Some(out.sections.len() - 1);
                    }
                }
            }
            Line::Value { key, value } => {
                if key == "include" {
                    diags.push(Diagnostic::warning(
                        span.clone(),
                        "`include` is obsolete (netatalk 4.2 removed it); reading continues in the included file and never returns to this one".to_owned(),
                    ));
                    let rest_has_content = lines
                        .clone()
                        .any(|(_, l)| classify(strip_cr(l)) != Line::Empty);
                    if rest_has_content {
                        diags.push(Diagnostic::warning(
                            span.clone(),
                            format!(
                                "everything after this `include` in {} is ignored (netatalk reads no further)",
                                file.display()
                            ),
                        ));
                    }
                    return Some((PathBuf::from(value), span));
                }
                match current {
                    Some(i) => out.sections[*i].entries.push(RawEntry { key, value, span }),
                    None => diags.push(Diagnostic::warning(
                        span,
                        format!("option `{key}` appears before any [section] and is ignored"),
                    )),
                }
            }
        }
    }
    None
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(k: &str, v: &str) -> Line {
        Line::Value {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn classify_basic_forms() {
        assert_eq!(classify("   "), Line::Empty);
        assert_eq!(classify("# c"), Line::Empty);
        assert_eq!(classify("  ; c"), Line::Empty);
        assert_eq!(classify("[ Global ]"), Line::Section("Global".into()));
        assert_eq!(classify("[a]b]"), Line::Section("a".into()));
        assert_eq!(classify("[]"), Line::Error);
        assert_eq!(classify("[Global] ; x"), Line::Error);
        assert_eq!(classify("path=/data/tm/$u"), value("path", "/data/tm/$u"));
        assert_eq!(classify(" vol dbpath = /x/ "), value("vol dbpath", "/x/"));
        assert_eq!(classify("a = b = c"), value("a", "b = c"));
        assert_eq!(classify("just words"), Line::Error);
        assert_eq!(classify("= value"), Line::Error);
    }

    #[test]
    fn classify_comments_and_quotes() {
        assert_eq!(
            classify("log level = default:warn ; note"),
            value("log level", "default:warn")
        );
        assert_eq!(classify("x = a#b"), value("x", "a"));
        assert_eq!(classify("x = 'a ; b # c'"), value("x", "a ; b # c"));
        assert_eq!(
            classify("x = \"  spaced  \" ; trailing"),
            value("x", "  spaced  ")
        );
        assert_eq!(classify("x = ''"), value("x", ""));
        assert_eq!(classify("x = \"\""), value("x", ""));
        assert_eq!(classify("x ="), value("x", ""));
        assert_eq!(classify("x = ; comment"), value("x", ""));
        assert_eq!(classify("x = 'unterminated"), value("x", "unterminated"));
    }
}
