//! `Substr` (`tf.strings.substr`) and `StringLength` (`tf.strings.length`), counting bytes or
//! UTF-8 characters (`unit`). `Substr` takes one position and length for all strings (scalars),
//! one per string (the input's shape), or positions and lengths broadcast against the strings; a
//! negative position counts from the end, a negative length (in bytes) means "to the end", and a
//! position past the end is INVALID_ARGUMENT naming the string and its index, as TF reports it.
//!
//! Concurrency: stateless kernels.

use crate::array::kernel;
use crate::broadcast::{BroadcastPlan, incompatible_shapes};
use bytes::Bytes;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Substr")
        .input("input: string")
        .input("pos: T")
        .input("len: T")
        .output("output: string")
        .attr("T: {int32, int64}")
        .attr("unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'")
        .cost(Cost::InputElements)
        .kernel(substr);
    reg.op("StringLength")
        .input("input: string")
        .output("output: int32")
        .attr("unit: {'BYTE', 'UTF8_CHAR'} = 'BYTE'")
        .cost(Cost::InputElements)
        .kernel(|init| {
            let utf8 = utf8_unit(init)?;
            Ok(kernel(1, move |ctx| {
                let input = ctx.input(0);
                let lengths: Vec<i32> =
                    input.strings()?.iter().map(|s| if utf8 { utf8_chars(s) as i32 } else { s.len() as i32 }).collect();
                ctx.set_output(0, Tensor::from_vec(input.shape().clone(), lengths)?);
                Ok(())
            }))
        });
}

/// Whether `unit` counts UTF-8 characters (else bytes).
fn utf8_unit(init: &KernelInit<'_>) -> Result<bool> {
    match init.attrs.get_string_or("unit", "BYTE")?.as_str() {
        "BYTE" => Ok(false),
        "UTF8_CHAR" => Ok(true),
        other => Err(Error::invalid_argument(format!("Invalid unit: {other}"))),
    }
}

fn is_trail_byte(b: u8) -> bool {
    b & 0xc0 == 0x80
}

fn utf8_chars(s: &[u8]) -> usize {
    s.iter().filter(|&&b| !is_trail_byte(b)).count()
}

/// The byte position `n` characters after `from` (stopping at the end) and how many were passed.
fn forward_chars(s: &[u8], from: usize, n: i64) -> (usize, i64) {
    let (mut p, mut moved) = (from, 0);
    while moved < n && p < s.len() {
        p += 1;
        while p < s.len() && is_trail_byte(s[p]) {
            p += 1;
        }
        moved += 1;
    }
    (p, moved)
}

/// The byte position `n` characters before the end and how many were passed.
fn backward_chars(s: &[u8], n: i64) -> (usize, i64) {
    let (mut p, mut moved) = (s.len(), 0);
    while moved < n && p > 0 {
        p -= 1;
        while p > 0 && is_trail_byte(s[p]) {
            p -= 1;
        }
        moved += 1;
    }
    (p, moved)
}

/// The substring of `s` at `pos` of `len` units; `None` when `pos` is out of range.
fn substring(s: &Bytes, pos: i64, len: i64, utf8: bool) -> Option<Bytes> {
    if utf8 {
        let start = if pos >= 0 {
            let (p, moved) = forward_chars(s, 0, pos);
            (moved == pos).then_some(p)?
        } else {
            let (p, moved) = backward_chars(s, -pos);
            (moved == -pos).then_some(p)?
        };
        // A negative length takes no characters here (TF moves forward by it).
        let end = forward_chars(s, start, len).0;
        return Some(s.slice(start..end));
    }
    let size = s.len() as i64;
    let start = if pos < 0 { pos + size } else { pos };
    if !(0..=size).contains(&start) {
        return None;
    }
    let end = if len < 0 { size } else { start.saturating_add(len).min(size) };
    Some(s.slice(start as usize..end as usize))
}

/// One output of a broadcast `Substr`: the substring, or the position that was out of range.
#[derive(Clone, Default)]
struct Piece {
    text: Bytes,
    bad_pos: Option<i64>,
}

fn substr(init: &KernelInit<'_>) -> Result<Kernel> {
    let utf8 = utf8_unit(init)?;
    Ok(kernel(1, move |ctx| {
        let (input, pos_t, len_t) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if pos_t.shape() != len_t.shape() {
            return Err(Error::invalid_argument(format!(
                "pos and len should have the same shape, got: {} vs. {}",
                pos_t.shape(),
                len_t.shape()
            )));
        }
        let as_i64 = |t: &Tensor| -> Result<Vec<i64>> {
            match t.dtype() {
                DType::Int32 => Ok(t.values::<i32>()?.iter().map(|&v| v as i64).collect()),
                _ => t.to_i64_vec(),
            }
        };
        let (pos, len) = (as_i64(pos_t)?, as_i64(len_t)?);
        let strings = input.strings()?;
        let plan = BroadcastPlan::ternary(input.shape(), pos_t.shape(), len_t.shape())
            .ok_or_else(|| incompatible_shapes(input.shape(), pos_t.shape()))?;
        let pieces = plan.apply3(strings, &pos, &len, |s, &p, &l| match substring(s, p, l, utf8) {
            Some(text) => Piece { text, bad_pos: None },
            None => Piece { text: s.clone(), bad_pos: Some(p) },
        })?;
        if let Some((i, bad)) = pieces.iter().enumerate().find(|(_, p)| p.bad_pos.is_some()) {
            let p = bad.bad_pos.unwrap_or_default();
            return Err(if utf8 {
                Error::invalid_argument(format!("pos {p} out of range for string at index {i}"))
            } else {
                Error::invalid_argument(format!("pos {p} out of range for string b'{}' at index {i}", String::from_utf8_lossy(&bad.text)))
            });
        }
        let out: Vec<Bytes> = pieces.into_iter().map(|p| p.text).collect();
        ctx.set_output(0, Tensor::from_strings(plan.out_shape().clone(), out)?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(s: &'static str, pos: i64, len: i64, utf8: bool) -> Option<String> {
        substring(&Bytes::from_static(s.as_bytes()), pos, len, utf8).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    #[test]
    fn substrings_count_bytes_or_characters() {
        assert_eq!(sub("hello", 1, 3, false).as_deref(), Some("ell"));
        assert_eq!(sub("hello", -2, 3, false).as_deref(), Some("lo"));
        assert_eq!(sub("hello", 1, -1, false).as_deref(), Some("ello"));
        assert_eq!(sub("hello", 5, 1, false).as_deref(), Some(""));
        assert_eq!(sub("hello", 6, 1, false), None);
        assert_eq!(sub("h\u{e9}llo", 1, 2, true).as_deref(), Some("\u{e9}l"));
        assert_eq!(sub("h\u{e9}llo", -1, 2, true).as_deref(), Some("o"));
        assert_eq!(sub("h\u{e9}llo", 6, 2, true), None);
        assert_eq!(sub("h\u{e9}llo", 1, -1, true).as_deref(), Some(""));
        assert_eq!(utf8_chars("h\u{e9}llo".as_bytes()), 5);
    }
}
