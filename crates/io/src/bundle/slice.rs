//! Tensor slices as TF's `TensorSlice` defines them: one `(start, length)` extent per dimension,
//! length -1 (with start 0) meaning the whole dimension, written `0,2:-` (TF's `DebugString` and
//! `Parse` form). Also TF's `shape_and_slice` strings (`"4 5 0,2:-"`: the full shape, then the
//! slice) and the copy of the overlap of two slices' data. Plain data, no shared state.

use ferroflow_framework::{Error, Result, TensorShape};
use ferroflow_proto::TensorSliceProto;
use ferroflow_proto::tensor_slice_proto::{Extent, extent::HasLengthHack};
use std::fmt;

/// The length that marks a dimension taken whole.
const FULL_EXTENT: i64 = -1;

/// A slice of a tensor: for each dimension, the extent taken.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TensorSlice {
    starts: Vec<i64>,
    lengths: Vec<i64>,
}

/// TF's `safe_strto64`: optional surrounding whitespace, an optional `-`, then decimal digits.
fn safe_strto64(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = t.strip_prefix('-').unwrap_or(t);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

impl TensorSlice {
    /// The whole of a tensor of rank `rank`.
    pub fn full(rank: usize) -> TensorSlice {
        TensorSlice { starts: vec![0; rank], lengths: vec![FULL_EXTENT; rank] }
    }

    /// A slice from `(start, length)` pairs, `length == -1` taking the dimension whole.
    pub fn from_extents(extents: &[(i64, i64)]) -> Result<TensorSlice> {
        let mut slice = TensorSlice::default();
        for &(start, length) in extents {
            if !(start == 0 && length == FULL_EXTENT) && (start < 0 || length <= 0) {
                return Err(Error::invalid_argument(format!(
                    "Expected non-negative start and positive length but got start = {start}, length = {length}"
                )));
            }
            slice.starts.push(start);
            slice.lengths.push(length);
        }
        Ok(slice)
    }

    /// Parses TF's string form: `-` or `start,length` per dimension, separated by `:`.
    pub fn parse(s: &str) -> Result<TensorSlice> {
        let mut slice = TensorSlice::default();
        for item in s.split(':').filter(|x| !x.is_empty()) {
            let (start, length) = if item == "-" {
                (0, FULL_EXTENT)
            } else {
                let pair: Vec<&str> = item.split(',').filter(|x| !x.is_empty()).collect();
                let parsed = match pair.as_slice() {
                    [a, b] => safe_strto64(a).zip(safe_strto64(b)),
                    _ => None,
                };
                let Some((start, length)) = parsed else {
                    return Err(Error::invalid_argument(format!(
                        "Expected a pair of numbers or '-' but got '{item}': string = {s}"
                    )));
                };
                if start < 0 || length <= 0 {
                    return Err(Error::invalid_argument(format!(
                        "Expected non-negative start and positive length but got start = {start}, length = {length}: string = {s}"
                    )));
                }
                (start, length)
            };
            slice.starts.push(start);
            slice.lengths.push(length);
        }
        Ok(slice)
    }

    /// Reads a stored slice, refusing extents TF's `BuildTensorSlice` refuses.
    pub fn from_proto(proto: &TensorSliceProto) -> Result<TensorSlice> {
        let mut slice = TensorSlice::default();
        for e in &proto.extent {
            let length = match e.has_length_hack {
                Some(HasLengthHack::Length(l)) => l,
                None => FULL_EXTENT,
            };
            if e.start != 0 || length != FULL_EXTENT {
                if e.start < 0 || length <= 0 {
                    return Err(Error::invalid_argument(format!(
                        "Expected non-negative start and positive length but got start = {}, length = {length}: extent = {}",
                        e.start,
                        extent_debug_string(e)
                    )));
                }
                if e.start.checked_add(length).is_none() {
                    return Err(Error::invalid_argument(format!(
                        "Extent end exceeds the maximum possible size: extent = {}",
                        extent_debug_string(e)
                    )));
                }
            }
            slice.starts.push(e.start);
            slice.lengths.push(length);
        }
        Ok(slice)
    }

    /// The stored form: explicit start and length for the dimensions not taken whole.
    pub fn to_proto(&self) -> TensorSliceProto {
        let extent = (0..self.rank())
            .map(|d| {
                if self.is_full_at(d) {
                    Extent::default()
                } else {
                    Extent { start: self.starts[d], has_length_hack: Some(HasLengthHack::Length(self.lengths[d])) }
                }
            })
            .collect();
        TensorSliceProto { extent }
    }

    pub fn rank(&self) -> usize {
        self.starts.len()
    }

    pub fn start(&self, d: usize) -> i64 {
        self.starts[d]
    }

    /// The extent's length (-1 where the dimension is taken whole).
    pub fn length(&self, d: usize) -> i64 {
        self.lengths[d]
    }

    pub fn is_full_at(&self, d: usize) -> bool {
        self.lengths[d] == FULL_EXTENT && self.starts[d] == 0
    }

    /// Whether every dimension is taken whole (true for rank 0).
    pub fn is_full(&self) -> bool {
        (0..self.rank()).all(|d| self.is_full_at(d))
    }

    /// Whether this slice covers all of `shape` (whole dimensions or extents spanning them).
    pub fn covers(&self, shape: &TensorShape) -> bool {
        self.is_full() || self.slice_shape(shape).is_ok_and(|s| &s == shape)
    }

    /// The shape of this slice of a tensor of `shape`.
    pub fn slice_shape(&self, shape: &TensorShape) -> Result<TensorShape> {
        if shape.rank() != self.rank() {
            return Err(Error::internal(format!("Mismatching ranks: shape = {shape}, slice = {self}")));
        }
        let mut dims = Vec::with_capacity(self.rank());
        for d in 0..self.rank() {
            if self.is_full_at(d) {
                dims.push(shape.dim(d));
            } else if self.starts[d].checked_add(self.lengths[d]).is_some_and(|end| end <= shape.dim(d)) {
                dims.push(self.lengths[d]);
            } else {
                return Err(Error::internal(format!(
                    "Extent in dimension {d} out of bounds: shape = {shape}, slice = {self}"
                )));
            }
        }
        Ok(TensorShape::new(dims))
    }

    /// The overlap of two slices of the same rank, if they overlap at all.
    pub fn intersect(&self, other: &TensorSlice) -> Option<TensorSlice> {
        if self.rank() != other.rank() {
            return None;
        }
        let mut result = TensorSlice::full(self.rank());
        for d in 0..self.rank() {
            if self.is_full_at(d) {
                result.starts[d] = other.starts[d];
                result.lengths[d] = other.lengths[d];
            } else if other.is_full_at(d) {
                result.starts[d] = self.starts[d];
                result.lengths[d] = self.lengths[d];
            } else {
                let start = self.starts[d].max(other.starts[d]);
                let end = (self.starts[d] + self.lengths[d]).min(other.starts[d] + other.lengths[d]);
                if end - start <= 0 {
                    return None;
                }
                result.starts[d] = start;
                result.lengths[d] = end - start;
            }
        }
        Some(result)
    }

    /// Where this slice begins and how far it reaches in dimension `d` of `shape`.
    fn span(&self, shape: &TensorShape, d: usize) -> (i64, i64) {
        if self.is_full_at(d) { (0, shape.dim(d)) } else { (self.starts[d], self.lengths[d]) }
    }
}

/// TF's `ShortDebugString` of an extent.
fn extent_debug_string(e: &Extent) -> String {
    let mut parts = Vec::new();
    if e.start != 0 {
        parts.push(format!("start: {}", e.start));
    }
    if let Some(HasLengthHack::Length(l)) = e.has_length_hack {
        parts.push(format!("length: {l}"));
    }
    parts.join(" ")
}

impl fmt::Display for TensorSlice {
    /// TF's `DebugString`: `-` for whole dimensions, `start,length` otherwise, joined by `:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in 0..self.rank() {
            if d > 0 {
                f.write_str(":")?;
            }
            if self.is_full_at(d) {
                f.write_str("-")?;
            } else {
                write!(f, "{},{}", self.starts[d], self.lengths[d])?;
            }
        }
        Ok(())
    }
}

/// A parsed `shape_and_slice` string: the full tensor's shape, the slice, and the slice's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeAndSlice {
    pub shape: TensorShape,
    pub slice: TensorSlice,
    pub slice_shape: TensorShape,
}

/// Parses `"dim0 dim1 ... slice"` as TF's `checkpoint::ParseShapeAndSlice` does.
pub fn parse_shape_and_slice(spec: &str) -> Result<ShapeAndSlice> {
    let mut splits: Vec<&str> = spec.split(' ').collect();
    if splits.len() < 2 {
        return Err(Error::invalid_argument(format!(
            "Need least two elements in shape_and_slice specification: {spec}"
        )));
    }
    let slice = TensorSlice::parse(splits.pop().unwrap_or_default())?;
    let mut dims = Vec::with_capacity(splits.len());
    for s in splits {
        let Some(d) = safe_strto64(s) else {
            return Err(Error::invalid_argument(format!("Non numerical dimension in shape_and_slice: {spec}")));
        };
        dims.push(d);
    }
    let shape = TensorShape::from_dims(&dims)?;
    let slice_shape = slice.slice_shape(&shape)?;
    Ok(ShapeAndSlice { shape, slice, slice_shape })
}

/// Row-major element strides of `dims`.
fn strides(dims: &[i64]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for d in (0..dims.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * dims[d + 1] as usize;
    }
    s
}

/// Copies the elements of `src` (the data of slice `src_slice` of a tensor of `full_shape`) that
/// lie in `dst_slice` into `dst` (that slice's data), `elem_size` bytes per element, as TF's
/// `CopyDataFromTensorSliceToTensorSlice` does. Returns whether the slices overlap. The buffers must
/// hold exactly their slices' elements.
pub fn copy_slice_data(
    full_shape: &TensorShape,
    src_slice: &TensorSlice,
    src: &[u8],
    dst_slice: &TensorSlice,
    dst: &mut [u8],
    elem_size: usize,
) -> bool {
    let Some(inter) = src_slice.intersect(dst_slice) else {
        return false;
    };
    let rank = full_shape.rank();
    let (mut src_dims, mut dst_dims, mut src_at, mut dst_at, mut count) = (vec![], vec![], vec![], vec![], vec![]);
    for d in 0..rank {
        let (s0, sl) = src_slice.span(full_shape, d);
        let (d0, dl) = dst_slice.span(full_shape, d);
        let (i0, il) = inter.span(full_shape, d);
        src_dims.push(sl);
        dst_dims.push(dl);
        src_at.push((i0 - s0) as usize);
        dst_at.push((i0 - d0) as usize);
        count.push(il as usize);
    }
    if count.contains(&0) {
        return true;
    }
    let (ss, ds) = (strides(&src_dims), strides(&dst_dims));
    // Walk the intersection's index space row by row (the last dimension is contiguous).
    let row = if rank == 0 { 1 } else { count[rank - 1] } * elem_size;
    let mut index = vec![0usize; rank.saturating_sub(1)];
    loop {
        let (mut so, mut dof) = (0, 0);
        for d in 0..rank {
            let i = if d + 1 < rank { index[d] } else { 0 };
            so += (src_at[d] + i) * ss[d];
            dof += (dst_at[d] + i) * ds[d];
        }
        let (so, dof) = (so * elem_size, dof * elem_size);
        dst[dof..dof + row].copy_from_slice(&src[so..so + row]);
        // Advance the multi-index over all but the last dimension.
        let mut d = index.len();
        loop {
            if d == 0 {
                return true;
            }
            d -= 1;
            index[d] += 1;
            if index[d] < count[d] {
                break;
            }
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    #[test]
    fn parses_and_prints_like_tensorflow() {
        let s = TensorSlice::parse("0,2::-:3,1").unwrap();
        assert_eq!(s.to_string(), "0,2:-:3,1");
        assert_eq!(s.rank(), 3);
        assert!(s.is_full_at(1) && !s.is_full_at(0));
        assert!(TensorSlice::parse("-:-").unwrap().is_full());
        assert_eq!(TensorSlice::parse("").unwrap().rank(), 0);
        let e = TensorSlice::parse("0,1,2:-").unwrap_err();
        assert_eq!(e.message, "Expected a pair of numbers or '-' but got '0,1,2': string = 0,1,2:-");
        let e = TensorSlice::parse("0,0:-").unwrap_err();
        assert_eq!(e.message, "Expected non-negative start and positive length but got start = 0, length = 0: string = 0,0:-");
        assert!(TensorSlice::parse("+1,2").is_err());
        assert_eq!(TensorSlice::parse(" 1 ,2").unwrap().to_string(), "1,2");
    }

    #[test]
    fn protos_round_trip_and_bad_extents_are_refused() {
        let s = TensorSlice::parse("1,2:-").unwrap();
        let p = s.to_proto();
        assert_eq!(p.extent[1], Extent::default());
        assert_eq!(TensorSlice::from_proto(&p).unwrap(), s);
        let bad = TensorSliceProto { extent: vec![Extent { start: -1, has_length_hack: Some(HasLengthHack::Length(2)) }] };
        let e = TensorSlice::from_proto(&bad).unwrap_err();
        assert_eq!(e.message, "Expected non-negative start and positive length but got start = -1, length = 2: extent = start: -1 length: 2");
        let huge = TensorSliceProto { extent: vec![Extent { start: i64::MAX, has_length_hack: Some(HasLengthHack::Length(2)) }] };
        assert!(TensorSlice::from_proto(&huge).unwrap_err().message.starts_with("Extent end exceeds"));
    }

    #[test]
    fn shapes_of_slices_and_their_errors() {
        let shape = TensorShape::new(vec![4, 5]);
        assert_eq!(TensorSlice::parse("1,2:-").unwrap().slice_shape(&shape).unwrap(), TensorShape::new(vec![2, 5]));
        let e = TensorSlice::parse("0,5:-").unwrap().slice_shape(&shape).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::Internal, "Extent in dimension 0 out of bounds: shape = [4,5], slice = 0,5:-"));
        let e = TensorSlice::parse("0,1").unwrap().slice_shape(&shape).unwrap_err();
        assert_eq!(e.message, "Mismatching ranks: shape = [4,5], slice = 0,1");
        assert!(TensorSlice::parse("0,4:0,5").unwrap().covers(&shape));
        assert!(!TensorSlice::parse("0,3:-").unwrap().covers(&shape));
    }

    #[test]
    fn shape_and_slice_strings() {
        let p = parse_shape_and_slice("4 5 0,2:-").unwrap();
        assert_eq!((p.shape.dims(), p.slice.to_string(), p.slice_shape.dims()), (&[4i64, 5][..], "0,2:-".to_string(), &[2i64, 5][..]));
        let e = parse_shape_and_slice("3").unwrap_err();
        assert_eq!(e.message, "Need least two elements in shape_and_slice specification: 3");
        let e = parse_shape_and_slice("x 0,1").unwrap_err();
        assert_eq!(e.message, "Non numerical dimension in shape_and_slice: x 0,1");
        assert_eq!(parse_shape_and_slice(" ").unwrap_err().message, "Non numerical dimension in shape_and_slice:  ");
        assert_eq!(parse_shape_and_slice("-2 0,1").unwrap_err().code, Code::InvalidArgument);
        assert_eq!(parse_shape_and_slice("3 0,5").unwrap_err().code, Code::Internal);
    }

    #[test]
    fn intersections() {
        let a = TensorSlice::parse("0,3:-").unwrap();
        let b = TensorSlice::parse("2,2:1,1").unwrap();
        assert_eq!(a.intersect(&b).unwrap().to_string(), "2,1:1,1");
        assert!(a.intersect(&TensorSlice::parse("3,1:-").unwrap()).is_none());
        assert!(a.intersect(&TensorSlice::parse("0,1").unwrap()).is_none());
    }

    #[test]
    fn overlapping_data_is_copied_between_slices() {
        // Full tensor 4x3 holding 0..12; src = rows 1..3, dst = rows 2..4 x columns 1..3.
        let full = TensorShape::new(vec![4, 3]);
        let src_slice = TensorSlice::parse("1,2:-").unwrap();
        let src: Vec<u8> = (3u8..9).collect();
        let dst_slice = TensorSlice::parse("2,2:1,2").unwrap();
        let mut dst = vec![0u8; 4];
        assert!(copy_slice_data(&full, &src_slice, &src, &dst_slice, &mut dst, 1));
        assert_eq!(dst, [7, 8, 0, 0]);
        let far = TensorSlice::parse("3,1:-").unwrap();
        assert!(!copy_slice_data(&full, &src_slice, &src, &far, &mut [0u8; 3], 1));
        // Multi-byte elements and rank 3.
        let full = TensorShape::new(vec![2, 2, 2]);
        let src: Vec<u8> = (0u16..8).flat_map(|v| v.to_le_bytes()).collect();
        let mut dst = vec![0u8; 8];
        assert!(copy_slice_data(&full, &TensorSlice::full(3), &src, &TensorSlice::parse("-:1,1:-").unwrap(), &mut dst, 2));
        let got: Vec<u16> = dst.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(got, [2, 3, 6, 7]);
        // A scalar is its own (full) slice.
        let mut one = [0u8; 4];
        assert!(copy_slice_data(&TensorShape::scalar(), &TensorSlice::full(0), &[1, 2, 3, 4], &TensorSlice::full(0), &mut one, 4));
        assert_eq!(one, [1, 2, 3, 4]);
    }
}
