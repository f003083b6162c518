//! RE2's dialect on the `regex` crate. The two share their syntax and leftmost-first semantics,
//! but RE2's Perl classes (`\w`, `\d`, `\s`, `\b` and their negations) are ASCII-only where the
//! crate's are Unicode; [`translate`] rewrites them to the crate's ASCII forms (`.`, literals and
//! `\pL`-style classes stay Unicode-aware in both). Errors name what RE2 would for the mistakes
//! users make most (unbalanced parentheses and brackets, a repetition without operand); others
//! carry the crate's explanation.
//!
//! Concurrency: pure functions.

use ferroflow_framework::{Error, Result};
use regex::bytes::Regex;
use regex_syntax::ast::ErrorKind;

/// Compiles RE2 `pattern` (wrapped by `wrap`, e.g. in anchors) as TF compiles its RE2s.
pub(super) fn compile(pattern: &str, wrap: impl Fn(&str) -> String) -> Result<Regex> {
    let translated = translate(pattern);
    Regex::new(&wrap(&translated)).map_err(|e| {
        let why = re2_error(pattern).unwrap_or_else(|| first_line(&e.to_string()));
        Error::invalid_argument(format!("Invalid pattern: {pattern}, error: {why}"))
    })
}

/// `pattern` with RE2's ASCII-only Perl classes spelled for the `regex` crate.
pub(super) fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false; // just after `[` or `[^`: a `]` here is a literal
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let ascii = if in_class { in_class_form(e) } else { outside_class_form(e) };
                match ascii {
                    Some(s) => out.push_str(s),
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
                class_start = false;
            }
            '[' if !in_class => {
                out.push('[');
                in_class = true;
                class_start = true;
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class, `[:alpha:]`: copied whole.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
                class_start = false;
            }
            ']' if in_class && !class_start => {
                out.push(']');
                in_class = false;
            }
            '[' if in_class => {
                // RE2 reads a `[` inside a class as a literal; the crate would nest a class.
                out.push_str("\\[");
                class_start = false;
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

fn outside_class_form(e: char) -> Option<&'static str> {
    Some(match e {
        'w' => "(?-u:\\w)",
        'W' => "(?-u:\\W)",
        'd' => "(?-u:\\d)",
        'D' => "(?-u:\\D)",
        's' => "[\\t\\n\\f\\r ]",
        'S' => "[^\\t\\n\\f\\r ]",
        'b' => "(?-u:\\b)",
        'B' => "(?-u:\\B)",
        _ => return None,
    })
}

fn in_class_form(e: char) -> Option<&'static str> {
    Some(match e {
        'w' => "0-9A-Za-z_",
        'W' => "[^0-9A-Za-z_]",
        'd' => "0-9",
        'D' => "[^0-9]",
        's' => "\\t\\n\\f\\r ",
        'S' => "[^\\t\\n\\f\\r ]",
        _ => return None,
    })
}

/// RE2's message for the common mistakes in `pattern`, when it has one of them.
fn re2_error(pattern: &str) -> Option<String> {
    let err = regex_syntax::ast::parse::Parser::new().parse(pattern).err()?;
    let span = err.span();
    Some(match err.kind() {
        ErrorKind::GroupUnclosed => format!("missing ): {pattern}"),
        ErrorKind::GroupUnopened => format!("unexpected ): {pattern}"),
        ErrorKind::ClassUnclosed => format!("missing ]: {}", &pattern[span.start.offset..]),
        ErrorKind::RepetitionMissing => {
            format!("missing argument to repetition operator: {}", &pattern[span.start.offset..span.end.offset.max(span.start.offset + 1).min(pattern.len())])
        }
        _ => return None,
    })
}

/// The `regex` crate's explanation without its drawing of the pattern.
fn first_line(s: &str) -> String {
    s.lines().filter(|l| l.starts_with("error:")).map(|l| l.trim_start_matches("error:").trim().to_string()).next().unwrap_or_else(|| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_re2() {
        let re = compile(r"\w+", |p| p.to_string()).unwrap();
        let words: Vec<&[u8]> = re.find_iter("h\u{e9}llo w".as_bytes()).map(|m| m.as_bytes()).collect();
        assert_eq!(words, [b"h".as_slice(), b"llo", b"w"]);
        assert_eq!(translate(r"[\w.-]+\s[^\d]"), r"[0-9A-Za-z_.-]+[\t\n\f\r ][^0-9]");
        assert_eq!(translate(r"[]a][[:alpha:]\]]"), r"[]a][[:alpha:]\]]");
        assert!(compile(r"^.$", |p| p.to_string()).unwrap().is_match("\u{e9}".as_bytes()));
    }

    #[test]
    fn common_mistakes_read_as_re2_reports_them() {
        let msg = |p: &str| compile(p, |p| p.to_string()).unwrap_err().message;
        assert_eq!(msg("(a"), "Invalid pattern: (a, error: missing ): (a");
        assert_eq!(msg("a)"), "Invalid pattern: a), error: unexpected ): a)");
        assert_eq!(msg("x[ab"), "Invalid pattern: x[ab, error: missing ]: [ab");
        assert_eq!(msg("*a"), "Invalid pattern: *a, error: missing argument to repetition operator: *");
    }
}
