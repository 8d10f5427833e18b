//! Amanda's "quote if needed" string rule (`spec/tape-format.md` §3.2, `<disk>` field).
//!
//! A string is written in double quotes when it is empty or contains `:` `'` `\` `"`, a
//! byte ≤ 0x20, 0x7F, or any byte ≥ 0x80 (Amanda tests `char <= ' '` on a signed `char`,
//! so non-ASCII bytes count as "low"; checked against Amanda 3.5.1's `quote_string`).
//! Inside quotes, tab, LF, CR and FF become `\t \n \r \f`; `\` and `"` get a backslash.

use crate::error::DecodeError;

/// Whether `s` must be quoted.
pub(crate) fn needs_quoting(s: &str) -> bool {
    s.is_empty()
        || s.bytes()
            .any(|b| matches!(b, b':' | b'\'' | b'\\' | b'"' | 0x7F) || b <= b' ' || b >= 0x80)
}

/// Append `s`, quoted if needed.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    if !needs_quoting(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{0c}' => out.push_str("\\f"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Undo [`push_quoted`] on one token (quoted or not). Also accepts Amanda's octal
/// escapes (`\ooo`).
pub(crate) fn unquote(tok: &str) -> Result<String, DecodeError> {
    let Some(inner) = tok.strip_prefix('"') else {
        return Ok(tok.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or(DecodeError::BadQuoting("quoted string"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars
            .next()
            .ok_or(DecodeError::BadQuoting("quoted string"))?;
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{0c}'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let rest = chars.as_str();
                    match rest.chars().next().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                // A C string cannot hold NUL: Amanda never wrote one.
                let ch = char::from_u32(v)
                    .filter(|&c| c != '\0')
                    .ok_or(DecodeError::BadQuoting("octal escape"))?;
                out.push(ch);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Split one header line into space-separated tokens; a token starting with `"` runs to
/// the matching unescaped `"` and may contain spaces.
pub(crate) fn tokens(line: &str) -> Result<Vec<&str>, DecodeError> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        if bytes[i] == b'"' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(DecodeError::BadQuoting("header line")),
                    Some(b'\\') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            // A quoted token ends at its closing quote; anything glued to it is part of
            // the next token.
            let end = i.min(bytes.len());
            out.push(
                line.get(start..end)
                    .ok_or(DecodeError::BadQuoting("header line"))?,
            );
        } else {
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            out.push(&line[start..i]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        let mut out = String::new();
        push_quoted(&mut out, s);
        out
    }

    #[test]
    fn matches_amanda_quote_string() {
        // Outputs observed from Amanda 3.5.1's builder (Amanda::Header) on this machine.
        assert_eq!(q("/etc/sample"), "/etc/sample");
        assert_eq!(q("C:/My Docs"), "\"C:/My Docs\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("a'b"), "\"a'b\"");
        assert_eq!(q("/a b\tc\"d\\e"), "\"/a b\\tc\\\"d\\\\e\"");
        assert_eq!(q("x\ry\u{1}z\u{7f}"), "\"x\\ry\u{1}z\u{7f}\"");
        assert_eq!(q("{a}"), "{a}");
        assert_eq!(q("/é"), "\"/é\"");
    }

    #[test]
    fn unquote_inverts_quote() {
        for s in [
            "",
            "plain",
            "C:/My Docs",
            "tab\there",
            "q\"uote",
            "back\\slash",
            "nl\nff\u{c}",
        ] {
            assert_eq!(unquote(&q(s)).unwrap(), s);
        }
        assert_eq!(unquote("\"\\101\"").unwrap(), "A");
        assert!(unquote("\"\\0\"").is_err());
        assert!(unquote("\"open").is_err());
        assert!(unquote("\"trailing\\\"").is_err());
    }

    #[test]
    fn tokenizer_keeps_quoted_spaces() {
        let t = tokens("AMANDA: FILE 2024 host \"C:/My Docs\"  lev 0").unwrap();
        assert_eq!(
            t,
            [
                "AMANDA:",
                "FILE",
                "2024",
                "host",
                "\"C:/My Docs\"",
                "lev",
                "0"
            ]
        );
        assert!(tokens("a \"b").is_err());
    }
}
