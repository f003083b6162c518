//! `RegexReplace` (pattern and rewrite inputs) and `StaticRegexReplace` (attrs, compiled once):
//! what `tf.strings.regex_replace` puts in graphs, with RE2's `Replace`/`GlobalReplace` semantics.
//!
//! Rewrites are RE2's: `\0`..`\9` name groups, `\\` is a backslash, any other escape makes the
//! rewrite invalid (RE2 then replaces what it wrote before the bad escape, as TF's kernel does not
//! check). A rewrite naming a group the pattern lacks leaves the strings unchanged. A global
//! replace skips an empty match right after the previous match, one UTF-8 character at a time.
//!
//! Concurrency: a compiled pattern and parsed rewrite are shared read-only by a kernel's runs.

use super::re2;
use crate::array::kernel;
use bytes::Bytes;
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor};
use regex::bytes::Regex;

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("RegexReplace")
        .input("input: string")
        .input("pattern: string")
        .input("rewrite: string")
        .output("output: string")
        .attr("replace_global: bool = true")
        .cost(Cost::InputElements)
        .kernel(regex_replace);
    reg.op("StaticRegexReplace")
        .input("input: string")
        .output("output: string")
        .attr("pattern: string")
        .attr("rewrite: string")
        .attr("replace_global: bool = true")
        .cost(Cost::InputElements)
        .kernel(static_regex_replace);
}

/// One piece of a parsed rewrite.
#[derive(Debug, PartialEq)]
enum Piece {
    Literal(Vec<u8>),
    Group(usize),
}

/// An RE2 rewrite string, parsed.
#[derive(Debug)]
struct Rewrite {
    pieces: Vec<Piece>,
    /// Whether the pieces end at an escape RE2 refuses (the rewrite then fails after them).
    invalid: bool,
    /// The largest group number named (RE2's `MaxSubmatch`).
    max_group: usize,
}

impl Rewrite {
    fn parse(rewrite: &[u8]) -> Rewrite {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut invalid = false;
        let mut i = 0;
        while i < rewrite.len() {
            let c = rewrite[i];
            if c != b'\\' {
                literal.push(c);
                i += 1;
                continue;
            }
            match rewrite.get(i + 1) {
                Some(d) if d.is_ascii_digit() => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Group((d - b'0') as usize));
                }
                Some(b'\\') => literal.push(b'\\'),
                _ => {
                    invalid = true;
                    break;
                }
            }
            i += 2;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        // RE2 counts every `\digit`, also those after the bad escape.
        let mut max_group = 0;
        let mut k = 0;
        while k < rewrite.len() {
            if rewrite[k] == b'\\' {
                if let Some(d) = rewrite.get(k + 1).filter(|d| d.is_ascii_digit()) {
                    max_group = max_group.max((d - b'0') as usize);
                }
                k += 1;
            }
            k += 1;
        }
        Rewrite { pieces, invalid, max_group }
    }

    /// Appends the rewrite of one match; false when the rewrite is invalid (after what it wrote).
    fn apply(&self, hay: &[u8], locs: &regex::bytes::CaptureLocations, out: &mut Vec<u8>) -> bool {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(l) => out.extend_from_slice(l),
                Piece::Group(g) => {
                    if let Some((s, e)) = locs.get(*g) {
                        out.extend_from_slice(&hay[s..e]);
                    }
                }
            }
        }
        !self.invalid
    }
}

/// Length of the UTF-8 character at the start of `s`, or 1 when it is not one.
fn utf8_char_len(s: &[u8]) -> usize {
    let n = match s.first() {
        Some(b) if *b < 0x80 => 1,
        Some(b) if *b >= 0xf0 => 4,
        Some(b) if *b >= 0xe0 => 3,
        Some(b) if *b >= 0xc0 => 2,
        _ => 1,
    };
    if s.len() >= n && std::str::from_utf8(&s[..n]).is_ok() { n } else { 1 }
}

/// RE2's `GlobalReplace` on one string; `None` when nothing was replaced.
fn global_replace(re: &Regex, rewrite: &Rewrite, hay: &[u8]) -> Option<Vec<u8>> {
    let mut locs = re.capture_locations();
    let mut out = Vec::new();
    let mut p = 0;
    let mut last_end: Option<usize> = None;
    let mut count = 0;
    while p <= hay.len() {
        let Some(m) = re.captures_read_at(&mut locs, hay, p) else { break };
        let (start, end) = (m.start(), m.end());
        out.extend_from_slice(&hay[p..start]);
        if start == end && last_end == Some(start) {
            // An empty match where the last one ended: copy one character and search on.
            let n = utf8_char_len(&hay[p.min(hay.len())..]);
            if p < hay.len() {
                out.extend_from_slice(&hay[p..(p + n).min(hay.len())]);
            }
            p += n;
            continue;
        }
        rewrite.apply(hay, &locs, &mut out);
        p = end;
        last_end = Some(end);
        count += 1;
    }
    if count == 0 {
        return None;
    }
    if p < hay.len() {
        out.extend_from_slice(&hay[p..]);
    }
    Some(out)
}

/// RE2's `Replace` on one string: the first match only, nothing when the rewrite fails.
fn replace_first(re: &Regex, rewrite: &Rewrite, hay: &[u8]) -> Option<Vec<u8>> {
    let mut locs = re.capture_locations();
    let m = re.captures_read_at(&mut locs, hay, 0)?;
    let mut replacement = Vec::new();
    if !rewrite.apply(hay, &locs, &mut replacement) {
        tracing::error!("invalid rewrite pattern");
        return None;
    }
    let mut out = Vec::with_capacity(hay.len() + replacement.len());
    out.extend_from_slice(&hay[..m.start()]);
    out.extend_from_slice(&replacement);
    out.extend_from_slice(&hay[m.end()..]);
    Some(out)
}

/// Sets output 0 to input 0 with `re` replaced by `rewrite` in every element.
fn replace_all(ctx: &mut OpKernelContext<'_>, re: &Regex, rewrite: &Rewrite, global: bool) -> Result<()> {
    let input = ctx.input(0);
    // RE2 refuses rewrites naming groups the pattern lacks (at most nine may be named).
    let usable = rewrite.max_group < re.captures_len();
    if global && rewrite.invalid {
        tracing::error!("invalid rewrite pattern");
    }
    let values: Vec<Bytes> = input
        .strings()?
        .iter()
        .map(|s| {
            let replaced = if !usable {
                None
            } else if global {
                global_replace(re, rewrite, s)
            } else {
                replace_first(re, rewrite, s)
            };
            replaced.map(Bytes::from).unwrap_or_else(|| s.clone())
        })
        .collect();
    ctx.set_output(0, Tensor::from_strings(input.shape().clone(), values)?);
    Ok(())
}

fn static_regex_replace(init: &KernelInit<'_>) -> Result<Kernel> {
    let pattern = init.attrs.get_string("pattern")?;
    let re = re2::compile(&pattern, str::to_string)?;
    let rewrite = Rewrite::parse(init.attrs.get_string("rewrite")?.as_bytes());
    let global = init.attrs.get_bool_or("replace_global", true)?;
    Ok(kernel(1, move |ctx| replace_all(ctx, &re, &rewrite, global)))
}

fn regex_replace(init: &KernelInit<'_>) -> Result<Kernel> {
    let global = init.attrs.get_bool_or("replace_global", true)?;
    Ok(kernel(1, move |ctx| {
        let pattern = scalar_string(ctx.input(1), "Pattern")?;
        let pattern = String::from_utf8_lossy(&pattern).into_owned();
        let re = re2::compile(&pattern, str::to_string)?;
        let rewrite = Rewrite::parse(&scalar_string(ctx.input(2), "Rewrite")?);
        replace_all(ctx, &re, &rewrite, global)
    }))
}

/// The one string of a scalar input, or TF's `<what> must be scalar, but received <shape>`.
fn scalar_string(t: &Tensor, what: &str) -> Result<Bytes> {
    match t.strings()? {
        [s] if t.shape().is_scalar() => Ok(s.clone()),
        _ => Err(Error::invalid_argument(format!("{what} must be scalar, but received {}", t.shape()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(pattern: &str, rewrite: &str, hay: &str, global: bool) -> String {
        let re = re2::compile(pattern, str::to_string).unwrap();
        let rw = Rewrite::parse(rewrite.as_bytes());
        let out = if global { global_replace(&re, &rw, hay.as_bytes()) } else { replace_first(&re, &rw, hay.as_bytes()) };
        String::from_utf8(out.unwrap_or_else(|| hay.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn global_replace_follows_re2_on_empty_matches() {
        assert_eq!(replace("a*", "-", "aaa", true), "-");
        assert_eq!(replace("a*", "-", "abc", true), "-b-c-");
        assert_eq!(replace("x*", "-", "h\u{e9}", true), "-h-\u{e9}-");
        assert_eq!(replace("X", "$1", "aXbXc", false), "a$1bXc");
    }

    #[test]
    fn rewrites_name_groups_and_escape_backslashes() {
        assert_eq!(replace(r"(\w+) (\w+)", r"\2 \1 \0 \\", "hello world", true), "world hello hello world \\");
        let bad = Rewrite::parse(br"ab\x\3");
        assert_eq!((bad.pieces, bad.invalid, bad.max_group), (vec![Piece::Literal(b"ab".to_vec())], true, 3));
        assert_eq!(replace(r"(\w+)", r"\x", "hello world", true), " ");
    }
}
