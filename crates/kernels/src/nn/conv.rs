//! 2-D convolutions over NHWC tensors: `Conv2D`, `Conv2DBackpropInput` and
//! `Conv2DBackpropFilter`, float and double, with TF 2.21's CPU semantics: `SAME`/`VALID`/`EXPLICIT`
//! padding, strides, dilations (forward only, as TF's CPU backprops refuse them), grouped
//! convolutions (filter depth dividing the input depth), and TF's messages for bad shapes and attrs.
//!
//! All three run on the `gemm` crate through im2col: a tile of output pixels gathers its receptive
//! fields into a `[pixels, kh*kw*in_depth/groups]` patch matrix, which multiplies the filter
//! (`[kh*kw*in_depth/groups, out_depth]` as stored, one column block per group). The forward pass
//! writes each tile's rows of the NHWC output directly (a 1x1 unstrided convolution reads the input
//! as its patch matrix); the input backprop multiplies `out_backprop` by the transposed filter and
//! scatters the patches back (col2im) image by image; the filter backprop accumulates
//! `patches^T x out_backprop` per worker and sums the workers' partial filters.
//!
//! Concurrency: kernels are stateless (`Send + Sync`, attrs fixed at build time). Tiles (forward,
//! filter backprop) or images (input backprop) are spread over rayon's global pool; patch buffers
//! are per tile and bounded. Every buffer sized by a request is allocated fallibly.

use super::Real;
use super::window::{Padding, WindowDim, explicit_paddings, list4, require_nhwc};
use crate::matmul::{Strided, gemm_strided, zeroed};
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor,
};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Conv2D")
        .input("input: T")
        .input("filter: T")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double, int32}")
        .attr("strides: list(int)")
        .attr("use_cudnn_on_gpu: bool = true")
        .attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")
        .attr("explicit_paddings: list(int) = []")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("dilations: list(int) = [1, 1, 1, 1]")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, Pass::Forward));
    reg.op("Conv2DBackpropInput")
        .input("input_sizes: int32")
        .input("filter: T")
        .input("out_backprop: T")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double, int32}")
        .attr("strides: list(int)")
        .attr("use_cudnn_on_gpu: bool = true")
        .attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")
        .attr("explicit_paddings: list(int) = []")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("dilations: list(int) = [1, 1, 1, 1]")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, Pass::BackpropInput));
    reg.op("Conv2DBackpropFilter")
        .input("input: T")
        .input("filter_sizes: int32")
        .input("out_backprop: T")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double}")
        .attr("strides: list(int)")
        .attr("use_cudnn_on_gpu: bool = true")
        .attr("padding: {'SAME', 'VALID', 'EXPLICIT'}")
        .attr("explicit_paddings: list(int) = []")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .attr("dilations: list(int) = [1, 1, 1, 1]")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, Pass::BackpropFilter));
}

/// Which of the three convolution ops a kernel computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Forward,
    BackpropInput,
    BackpropFilter,
}

impl Pass {
    /// The name TF's messages give the op.
    fn label(self) -> &'static str {
        match self {
            Pass::Forward => "Conv2D",
            Pass::BackpropInput => "Conv2DCustomBackpropInput",
            Pass::BackpropFilter => "Conv2DCustomBackpropFilter",
        }
    }
}

/// The attrs of a convolution, checked at build time.
#[derive(Clone, Copy)]
struct ConvAttrs {
    strides: [i64; 4],
    dilations: [i64; 4],
    padding: Padding,
    explicit: [(i64, i64); 2],
}

impl ConvAttrs {
    fn parse(init: &KernelInit<'_>, pass: Pass) -> Result<ConvAttrs> {
        require_nhwc(init, |format| match pass {
            Pass::Forward => Error::unimplemented(format!(
                "The Conv2D op currently only supports the NHWC tensor format on the CPU. The op was given the \
                 format: {format}"
            )),
            _ => Error::invalid_argument(format!("{}Op only supports NHWC.", pass.label())),
        })?;
        if !init.attrs.has("strides") {
            return Err(Error::invalid_argument("Conv2D requires the strides attr"));
        }
        let strides = list4(init, "strides", [1; 4])?;
        let dilations = list4(init, "dilations", [1; 4])?;
        if strides[0] != 1 || strides[3] != 1 {
            return Err(Error::unimplemented(
                "Current implementation does not yet support strides in the batch and depth dimensions.",
            ));
        }
        if dilations[0] != 1 || dilations[3] != 1 {
            return Err(Error::unimplemented(
                "Current implementation does not yet support dilations in the batch and depth dimensions.",
            ));
        }
        if pass != Pass::Forward && (dilations[1] > 1 || dilations[2] > 1) {
            return Err(Error::invalid_argument(
                "Current CPU implementations do not yet support dilation rates larger than 1.",
            ));
        }
        let padding = Padding::parse(init)?;
        let explicit = explicit_paddings(init, padding)?;
        Ok(ConvAttrs { strides, dilations, padding, explicit })
    }
}

/// The shapes of one convolution: NHWC input, `[kh, kw, in_depth / groups, out_depth]` filter,
/// NHWC output.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: usize,
    rows: WindowDim,
    cols: WindowDim,
    in_depth: usize,
    group_in: usize,
    groups: usize,
    out_depth: usize,
    group_out: usize,
}

impl Geometry {
    fn new(input: &[i64], filter: &[i64], a: &ConvAttrs) -> Result<Geometry> {
        let (in_depth, group_in, out_depth) = (input[3], filter[2], filter[3]);
        if group_in <= 0 || in_depth % group_in != 0 {
            return Err(Error::invalid_argument(format!(
                "input depth must be evenly divisible by filter depth: {in_depth} vs {group_in}"
            )));
        }
        let groups = in_depth / group_in;
        if groups == 0 || out_depth % groups != 0 {
            return Err(Error::invalid_argument(format!(
                "output depth must be evenly divisible by number of groups: {out_depth} vs {groups}"
            )));
        }
        let rows = WindowDim::new(input[1], filter[0], a.dilations[1], a.strides[1], a.padding, a.explicit[0])?;
        let cols = WindowDim::new(input[2], filter[1], a.dilations[2], a.strides[2], a.padding, a.explicit[1])?;
        Ok(Geometry {
            batch: input[0] as usize,
            rows,
            cols,
            in_depth: in_depth as usize,
            group_in: group_in as usize,
            groups: groups as usize,
            out_depth: out_depth as usize,
            group_out: (out_depth / groups) as usize,
        })
    }

    fn output_dims(&self) -> [i64; 4] {
        [self.batch, self.rows.output, self.cols.output, self.out_depth].map(|d| d as i64)
    }

    /// Length of one patch row: `kh * kw * in_depth / groups`.
    fn patch(&self) -> usize {
        self.rows.filter * self.cols.filter * self.group_in
    }

    /// Output pixels of one image, and of the batch.
    fn image_pixels(&self) -> usize {
        self.rows.output * self.cols.output
    }

    fn pixels(&self) -> usize {
        self.batch * self.image_pixels()
    }

    /// A 1x1 unstrided, unpadded, ungrouped convolution: the input rows are the patches.
    fn pointwise(&self) -> bool {
        let unit = |d: &WindowDim| d.filter == 1 && d.stride == 1 && d.pad_before == 0 && d.output == d.input;
        unit(&self.rows) && unit(&self.cols) && self.groups == 1
    }

    /// Output pixels per tile: a patch buffer of about 64K elements, and enough tiles to keep
    /// every pool thread busy.
    fn tile(&self, pixels: usize) -> usize {
        let by_size = (1 << 16) / self.patch().max(1);
        let by_threads = pixels.div_ceil(rayon::current_num_threads() * 2);
        by_size.min(by_threads).max(1)
    }

    /// Gathers the group-`group` patches of output pixels `first..first + count` (batch-wide
    /// indices) of `x` into `patches` (`count` rows of `patch()`), zeros where the window is
    /// outside the input.
    fn im2col<T: Real>(&self, x: &[T], first: usize, count: usize, group: usize, patches: &mut [T]) {
        let (gi, k) = (self.group_in, self.patch());
        for (i, dst) in patches.chunks_exact_mut(k).take(count).enumerate() {
            let (image, at) = ((first + i) / self.image_pixels(), (first + i) % self.image_pixels());
            let (oy, ox) = (at / self.cols.output, at % self.cols.output);
            for ky in 0..self.rows.filter {
                let sy = self.rows.source(oy, ky);
                for kx in 0..self.cols.filter {
                    let d = &mut dst[(ky * self.cols.filter + kx) * gi..][..gi];
                    match (sy, self.cols.source(ox, kx)) {
                        (Some(sy), Some(sx)) => {
                            let src = ((image * self.rows.input + sy) * self.cols.input + sx) * self.in_depth + group * gi;
                            d.copy_from_slice(&x[src..src + gi]);
                        }
                        _ => d.fill(T::ZERO),
                    }
                }
            }
        }
    }

    /// Adds group-`group` patch rows of output pixels `first..first + count` of one image (indices
    /// within the image) back into that image's input gradient `dx`.
    fn col2im<T: Real>(&self, patches: &[T], first: usize, count: usize, group: usize, dx: &mut [T]) {
        let (gi, k) = (self.group_in, self.patch());
        for (i, src) in patches.chunks_exact(k).take(count).enumerate() {
            let (oy, ox) = ((first + i) / self.cols.output, (first + i) % self.cols.output);
            for ky in 0..self.rows.filter {
                let Some(sy) = self.rows.source(oy, ky) else { continue };
                for kx in 0..self.cols.filter {
                    let Some(sx) = self.cols.source(ox, kx) else { continue };
                    let s = &src[(ky * self.cols.filter + kx) * gi..][..gi];
                    let at = (sy * self.cols.input + sx) * self.in_depth + group * gi;
                    dx[at..at + gi].iter_mut().zip(s).for_each(|(d, &v)| *d = d.add(v));
                }
            }
        }
    }
}

/// A fallibly allocated zeroed buffer of `len` elements.
fn buffer<T: Real>(len: usize) -> Result<Vec<T>> {
    zeroed(len, 1)
}

/// The NHWC output of `x` convolved with `filter`.
fn forward<T: Real>(x: &[T], filter: &[T], g: &Geometry) -> Result<Vec<T>> {
    let (pixels, k, cout) = (g.pixels(), g.patch(), g.out_depth);
    let mut out = buffer::<T>(pixels.checked_mul(cout).ok_or_else(|| Error::resource_exhausted("output too large"))?)?;
    if out.is_empty() {
        return Ok(out);
    }
    let tile = g.tile(pixels);
    let pointwise = g.pointwise();
    let run_tile = |(t, dst): (usize, &mut [T])| -> Result<()> {
        let (first, count) = (t * tile, dst.len() / cout);
        let mut patches = if pointwise { Vec::new() } else { buffer::<T>(count * k)? };
        for group in 0..g.groups {
            let a = if pointwise {
                Strided { data: &x[first * k..], rows: k, cols: 1 }
            } else {
                g.im2col(x, first, count, group, &mut patches);
                Strided { data: &patches, rows: k, cols: 1 }
            };
            let b = Strided { data: &filter[group * g.group_out..], rows: cout, cols: 1 };
            gemm_strided((count, g.group_out, k), &mut dst[group * g.group_out..], cout, a, b, false, false)?;
        }
        Ok(())
    };
    out.par_chunks_mut(tile * cout).enumerate().try_for_each(run_tile)?;
    Ok(out)
}

/// The NHWC input gradient of a convolution, from its filter and output gradient `dy`.
fn backprop_input<T: Real>(filter: &[T], dy: &[T], g: &Geometry) -> Result<Vec<T>> {
    let image = g.rows.input * g.cols.input * g.in_depth;
    let len = g.batch.checked_mul(image).ok_or_else(|| Error::resource_exhausted("input gradient too large"))?;
    let mut dx = buffer::<T>(len)?;
    if dx.is_empty() || g.image_pixels() == 0 {
        return Ok(dx);
    }
    let (k, cout, per_image) = (g.patch(), g.out_depth, g.image_pixels());
    let tile = ((1 << 16) / k.max(1)).clamp(1, per_image);
    // With fewer images than threads, the products themselves are split.
    let split_products = g.batch < rayon::current_num_threads();
    dx.par_chunks_mut(image).enumerate().try_for_each(|(n, dxi)| -> Result<()> {
        let mut patches = buffer::<T>(tile * k)?;
        for first in (0..per_image).step_by(tile) {
            let count = tile.min(per_image - first);
            let row = n * per_image + first;
            for group in 0..g.groups {
                let a = Strided { data: &dy[row * cout + group * g.group_out..], rows: cout, cols: 1 };
                // The transposed filter block: element (c, p) is filter[p * cout + group * group_out + c].
                let b = Strided { data: &filter[group * g.group_out..], rows: 1, cols: cout };
                gemm_strided((count, k, g.group_out), &mut patches, k, a, b, false, split_products)?;
                g.col2im(&patches, first, count, group, dxi);
            }
        }
        Ok(())
    })?;
    Ok(dx)
}

/// The filter gradient of a convolution, from its input `x` and output gradient `dy`.
fn backprop_filter<T: Real>(x: &[T], dy: &[T], g: &Geometry) -> Result<Vec<T>> {
    let (pixels, k, cout) = (g.pixels(), g.patch(), g.out_depth);
    let len = k.checked_mul(cout).ok_or_else(|| Error::resource_exhausted("filter gradient too large"))?;
    let mut dw = buffer::<T>(len)?;
    if dw.is_empty() || pixels == 0 {
        return Ok(dw);
    }
    let tile = g.tile(pixels);
    let workers = pixels.div_ceil(tile).min(rayon::current_num_threads()).max(1);
    let per_worker = pixels.div_ceil(workers);
    let partials = (0..workers)
        .into_par_iter()
        .map(|w| -> Result<Vec<T>> {
            let mut part = buffer::<T>(len)?;
            let mut patches = buffer::<T>(tile * k)?;
            let end = ((w + 1) * per_worker).min(pixels);
            for first in (w * per_worker..end).step_by(tile) {
                let count = tile.min(end - first);
                for group in 0..g.groups {
                    g.im2col(x, first, count, group, &mut patches);
                    // patches^T: element (p, r) is patches[r * k + p].
                    let a = Strided { data: &patches, rows: 1, cols: k };
                    let b = Strided { data: &dy[first * cout + group * g.group_out..], rows: cout, cols: 1 };
                    gemm_strided((k, g.group_out, count), &mut part[group * g.group_out..], cout, a, b, true, false)?;
                }
            }
            Ok(part)
        })
        .collect::<Result<Vec<_>>>()?;
    for part in &partials {
        dw.iter_mut().zip(part).for_each(|(d, &p)| *d = d.add(p));
    }
    Ok(dw)
}

/// The dims of a 4-d shape operand (`input_sizes`, `filter_sizes`), with TF's messages.
fn sizes_operand(t: &Tensor, name: &str, op: &str) -> Result<[i64; 4]> {
    if t.rank() != 1 {
        return Err(Error::invalid_argument(format!("{op}: {name} input must be 1-dim, not {}", t.rank())));
    }
    let v = t.to_i64_vec()?;
    let dims: [i64; 4] = v.as_slice().try_into().map_err(|_| {
        Error::invalid_argument(format!("{op}: {name} must be 4-dimensional, got: {}", v.len()))
    })?;
    if let Some(d) = dims.iter().find(|&&d| d < 0) {
        return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
    }
    Ok(dims)
}

/// Checks a backprop's operands as TF's `ConvBackpropComputeDimensionsV2` does.
fn backprop_geometry(input: &[i64], filter: &[i64], dy: &[i64], a: &ConvAttrs, label: &str) -> Result<Geometry> {
    if dy.len() != 4 {
        return Err(Error::invalid_argument(format!("{label}: out_backprop must be 4-dimensional")));
    }
    if input[0] != dy[0] {
        return Err(Error::invalid_argument(format!(
            "{label}: input and out_backprop must have the same batch size. Input batch: {}, outbackprop batch: {}, \
             batch_dim: 0",
            input[0], dy[0]
        )));
    }
    if filter[2] != input[3] {
        // TF's CPU backprops take ungrouped filters only, each refusing them in its own words.
        return Err(Error::invalid_argument(if label.ends_with("Input") {
            format!(
                "Gradients for grouped convolutions are not supported on CPU. Please file a feature request if you \
                 run into this issue. Computed input depth {} doesn't match filter input depth {}",
                input[3], filter[2]
            )
        } else {
            let taps = filter[0].saturating_mul(filter[1]).saturating_mul(filter[3]);
            format!(
                "filter_size does not have enough elements, requested {}, got {}",
                taps.saturating_mul(input[3]),
                taps.saturating_mul(filter[2])
            )
        }));
    }
    if filter[3] != dy[3] {
        return Err(Error::invalid_argument(format!(
            "{label}: filter and out_backprop must have the same out_depth"
        )));
    }
    let g = Geometry::new(input, filter, a)?;
    for (dim, (w, actual)) in [(1, (&g.rows, dy[1])), (2, (&g.cols, dy[2]))] {
        if w.output as i64 != actual {
            return Err(Error::invalid_argument(format!(
                "{label}: Size of out_backprop doesn't match computed: actual = {actual}, computed = {} spatial_dim: \
                 {dim} input: {} filter: {} output: {actual} stride: {} dilation: {}",
                w.output, w.input, w.filter, w.stride, w.dilation
            )));
        }
    }
    Ok(g)
}

type ConvFn = fn(&ConvKernel, &mut OpKernelContext<'_>) -> Result<()>;

struct ConvKernel {
    attrs: ConvAttrs,
    pass: Pass,
    f: ConvFn,
}

fn four_d(t: &Tensor, what: &str) -> Result<[i64; 4]> {
    t.dims().try_into().map_err(|_| Error::invalid_argument(format!("convolution {what} must be 4-dimensional: {}", t.shape())))
}

fn compute<T: Real>(k: &ConvKernel, ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let label = k.pass.label();
    let out = match k.pass {
        Pass::Forward => {
            let (x, w) = (ctx.input(0), ctx.input(1));
            let (xd, wd) = (four_d(x, "input")?, four_d(w, "filter")?);
            let g = Geometry::new(&xd, &wd, &k.attrs)?;
            Tensor::from_vec(g.output_dims().to_vec(), forward(&x.values::<T>()?, &w.values::<T>()?, &g)?)?
        }
        Pass::BackpropInput => {
            let (sizes, w, dy) = (ctx.input(0), ctx.input(1), ctx.input(2));
            let xd = sizes_operand(sizes, "input_sizes", "Conv2DBackpropInput")?;
            let wd: [i64; 4] = w
                .dims()
                .try_into()
                .map_err(|_| Error::invalid_argument(format!("{label}: filter must be 4-dimensional")))?;
            let g = backprop_geometry(&xd, &wd, dy.dims(), &k.attrs, label)?;
            Tensor::from_vec(xd.to_vec(), backprop_input(&w.values::<T>()?, &dy.values::<T>()?, &g)?)?
        }
        Pass::BackpropFilter => {
            let (x, sizes, dy) = (ctx.input(0), ctx.input(1), ctx.input(2));
            let wd = sizes_operand(sizes, "filter_sizes", "Conv2DBackpropFilter")?;
            let xd: [i64; 4] = x
                .dims()
                .try_into()
                .map_err(|_| Error::invalid_argument(format!("{label}: input must be 4-dimensional")))?;
            let g = backprop_geometry(&xd, &wd, dy.dims(), &k.attrs, label)?;
            Tensor::from_vec(wd.to_vec(), backprop_filter(&x.values::<T>()?, &dy.values::<T>()?, &g)?)?
        }
    };
    ctx.set_output(0, out);
    Ok(())
}

impl OpKernel for ConvKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        (self.f)(self, ctx)
    }
}

fn build(init: &KernelInit<'_>, pass: Pass) -> Result<Kernel> {
    init.expect_inputs(if pass == Pass::Forward { 2 } else { 3 })?;
    let attrs = ConvAttrs::parse(init, pass)?;
    let f: ConvFn = match init.attrs.get_type_in("T", &[DType::Float, DType::Double])? {
        DType::Double => compute::<f64>,
        _ => compute::<f32>,
    };
    Ok(Kernel::sync(ConvKernel { attrs, pass, f }, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(input: [i64; 4], filter: [i64; 4], stride: i64, padding: Padding) -> Geometry {
        let a = ConvAttrs { strides: [1, stride, stride, 1], dilations: [1; 4], padding, explicit: [(0, 0); 2] };
        Geometry::new(&input, &filter, &a).unwrap()
    }

    /// The convolution by its definition, one output at a time.
    fn reference(x: &[f64], w: &[f64], g: &Geometry) -> Vec<f64> {
        let mut out = vec![0.0; g.pixels() * g.out_depth];
        for (p, o) in out.chunks_mut(g.out_depth).enumerate() {
            let (n, at) = (p / g.image_pixels(), p % g.image_pixels());
            let (oy, ox) = (at / g.cols.output, at % g.cols.output);
            for (c, v) in o.iter_mut().enumerate() {
                let group = c / g.group_out;
                for ky in 0..g.rows.filter {
                    for kx in 0..g.cols.filter {
                        let (Some(sy), Some(sx)) = (g.rows.source(oy, ky), g.cols.source(ox, kx)) else { continue };
                        for ci in 0..g.group_in {
                            let xi = ((n * g.rows.input + sy) * g.cols.input + sx) * g.in_depth + group * g.group_in + ci;
                            let wi = ((ky * g.cols.filter + kx) * g.group_in + ci) * g.out_depth + c;
                            *v += x[xi] * w[wi];
                        }
                    }
                }
            }
        }
        out
    }

    fn data(len: usize, seed: u64) -> Vec<f64> {
        (0..len as u64).map(|i| ((i * 7919 + seed * 104_729) % 23) as f64 / 7.0 - 1.5).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-9 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn forward_matches_the_definition_with_groups_strides_and_padding() {
        for (input, filter, stride, padding) in [
            ([2, 7, 6, 4], [3, 3, 4, 5], 1, Padding::Same),
            ([1, 9, 8, 6], [3, 2, 3, 4], 2, Padding::Same),
            ([3, 5, 5, 2], [1, 1, 2, 3], 1, Padding::Valid),
            ([2, 40, 30, 3], [5, 5, 3, 8], 3, Padding::Valid),
        ] {
            let g = geometry(input, filter, stride, padding);
            let x = data(input.iter().product::<i64>() as usize, 1);
            let w = data(filter.iter().product::<i64>() as usize, 2);
            close(&forward(&x, &w, &g).unwrap(), &reference(&x, &w, &g));
        }
    }

    #[test]
    fn backprops_are_the_transposes_of_the_forward_map() {
        // <conv(x, w), dy> = <x, dx(w, dy)> = <w, dw(x, dy)> for every x, w, dy.
        let g = geometry([2, 6, 5, 4], [3, 2, 2, 6], 2, Padding::Same);
        let x = data(2 * 6 * 5 * 4, 3);
        let w = data(3 * 2 * 2 * 6, 4);
        let dy = data(g.pixels() * g.out_depth, 5);
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let y = forward(&x, &w, &g).unwrap();
        let dx = backprop_input(&w, &dy, &g).unwrap();
        let dw = backprop_filter(&x, &dy, &g).unwrap();
        close(&[dot(&y, &dy)], &[dot(&x, &dx)]);
        close(&[dot(&y, &dy)], &[dot(&w, &dw)]);
    }
}
