//! Sliding-window geometry shared by convolutions and poolings: TF's padding rules (`SAME`,
//! `VALID`, `EXPLICIT`), the attrs that describe a 2-D window over NHWC tensors, and the output
//! size of one spatial dimension with TF's messages (`GetWindowedOutputSizeVerbose`).
//!
//! Concurrency: plain values, computed once per kernel build or per call.

use ferroflow_framework::{Error, KernelInit, Result};

/// TF's padding kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Padding {
    Same,
    Valid,
    Explicit,
}

impl Padding {
    pub(crate) fn parse(init: &KernelInit<'_>) -> Result<Padding> {
        match init.attrs.get_string("padding")?.as_str() {
            "SAME" => Ok(Padding::Same),
            "VALID" => Ok(Padding::Valid),
            "EXPLICIT" => Ok(Padding::Explicit),
            other => Err(Error::invalid_argument(format!("Invalid padding: {other}"))),
        }
    }
}

/// One spatial dimension of a window: where it starts (the padding before) and how many outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowDim {
    pub input: usize,
    pub filter: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_before: usize,
    pub output: usize,
}

impl WindowDim {
    /// TF's output size of a window of `filter` taps `dilation` apart moving by `stride` over
    /// `input` elements, with the given padding (`explicit` holds EXPLICIT's before/after pads).
    pub(crate) fn new(
        input: i64,
        filter: i64,
        dilation: i64,
        stride: i64,
        padding: Padding,
        explicit: (i64, i64),
    ) -> Result<WindowDim> {
        if stride <= 0 {
            return Err(Error::invalid_argument(format!("Stride must be > 0, but got {stride}")));
        }
        if dilation < 1 {
            return Err(Error::invalid_argument(format!("Dilation rate must be >= 1, but got {dilation}")));
        }
        let effective = (filter - 1).saturating_mul(dilation).saturating_add(1);
        let (output, before) = match padding {
            Padding::Valid => ((input - effective + stride) / stride, 0),
            Padding::Explicit => {
                let (b, a) = explicit;
                (input.saturating_add(b).saturating_add(a).saturating_sub(effective).saturating_add(stride) / stride, b)
            }
            Padding::Same => {
                let output = (input + stride - 1) / stride;
                let needed = ((output - 1) * stride + effective - input).max(0);
                (output, needed / 2)
            }
        };
        if output < 0 {
            return Err(Error::invalid_argument(format!(
                "Computed output size would be negative: {output} [input_size: {input}, effective_filter_size: \
                 {effective}, stride: {stride}]"
            )));
        }
        Ok(WindowDim {
            input: input as usize,
            filter: filter as usize,
            stride: stride as usize,
            dilation: dilation as usize,
            pad_before: before as usize,
            output: output as usize,
        })
    }

    /// The input index of tap `tap` of output `out`, when it falls inside the input.
    #[inline(always)]
    pub(crate) fn source(&self, out: usize, tap: usize) -> Option<usize> {
        (out * self.stride + tap * self.dilation).checked_sub(self.pad_before).filter(|&i| i < self.input)
    }
}

/// The 4-element `strides`/`dilations`/`ksize` list attrs of an NHWC window, as `[n, h, w, c]`.
pub(crate) fn list4(init: &KernelInit<'_>, name: &str, default: [i64; 4]) -> Result<[i64; 4]> {
    if !init.attrs.has(name) {
        return Ok(default);
    }
    let v = init.attrs.get_list_int(name)?;
    v.as_slice().try_into().map_err(|_| {
        Error::invalid_argument(format!("Sliding window {name} field must specify 4 dimensions"))
    })
}

/// EXPLICIT's paddings as `[(top, bottom), (left, right)]`, checked as TF checks them: 8 values,
/// none negative, batch and depth unpadded.
pub(crate) fn explicit_paddings(init: &KernelInit<'_>, padding: Padding) -> Result<[(i64, i64); 2]> {
    let v = if init.attrs.has("explicit_paddings") { init.attrs.get_list_int("explicit_paddings")? } else { vec![] };
    if padding != Padding::Explicit {
        if !v.is_empty() {
            return Err(Error::invalid_argument(
                "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT",
            ));
        }
        return Ok([(0, 0); 2]);
    }
    if v.len() != 8 {
        return Err(Error::invalid_argument(format!(
            "explicit_paddings attribute must contain 8 values, but got: {}",
            v.len()
        )));
    }
    if let Some(p) = v.iter().find(|&&p| p < 0) {
        return Err(Error::invalid_argument(format!("All elements of explicit_paddings must be nonnegative, but got {p}")));
    }
    if v[0] != 0 || v[1] != 0 || v[6] != 0 || v[7] != 0 {
        return Err(Error::unimplemented("Padding is not supported on the batch or depth dimensions"));
    }
    Ok([(v[2], v[3]), (v[4], v[5])])
}

/// The data_format attr, which must be NHWC on the CPU; `refusal` is the message TF gives otherwise.
pub(crate) fn require_nhwc(init: &KernelInit<'_>, refusal: impl FnOnce(&str) -> Error) -> Result<()> {
    let format = init.attrs.get_string_or("data_format", "NHWC")?;
    if format == "NHWC" { Ok(()) } else { Err(refusal(&format)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_pads_the_extra_cell_after() {
        let d = WindowDim::new(5, 2, 1, 2, Padding::Same, (0, 0)).unwrap();
        assert_eq!((d.output, d.pad_before), (3, 0));
        let d = WindowDim::new(5, 3, 2, 1, Padding::Same, (0, 0)).unwrap();
        assert_eq!((d.output, d.pad_before), (5, 2));
        assert_eq!(d.source(0, 0), None);
        assert_eq!(d.source(0, 1), Some(0));
    }

    #[test]
    fn valid_windows_truncate_like_cpp() {
        assert_eq!(WindowDim::new(2, 3, 1, 1, Padding::Valid, (0, 0)).unwrap().output, 0);
        let e = WindowDim::new(1, 3, 1, 1, Padding::Valid, (0, 0)).unwrap_err();
        assert!(e.message.contains("Computed output size would be negative: -1"), "{e}");
    }
}
