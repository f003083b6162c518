//! The stored slices of one partitioned tensor, and which of them a requested slice needs (TF's
//! `checkpoint::TensorSliceSet`): stored slices must lie inside the full shape and must not overlap,
//! so a request is served when the overlaps with it add up to its whole size. Plain data.

use super::slice::TensorSlice;
use ferroflow_framework::{Error, Result, TensorShape};

/// Non-overlapping slices of a tensor of `shape`, keyed by their printed form.
#[derive(Debug)]
pub struct SliceSet {
    shape: TensorShape,
    slices: Vec<(String, TensorSlice)>,
}

impl SliceSet {
    pub fn new(shape: TensorShape) -> SliceSet {
        SliceSet { shape, slices: Vec::new() }
    }

    /// Adds a stored slice, refusing one outside the shape or overlapping another (TF: INTERNAL).
    pub fn register(&mut self, slice: TensorSlice) -> Result<()> {
        slice.slice_shape(&self.shape)?;
        let printed = slice.to_string();
        if let Some((existing, _)) = self.slices.iter().find(|(_, s)| s.intersect(&slice).is_some()) {
            return Err(Error::internal(format!("Overlapping slices: existing slice = {existing}, new slice = {printed}")));
        }
        self.slices.push((printed, slice));
        Ok(())
    }

    /// The stored slices that together cover `wanted`, or `None` when they do not cover it.
    pub fn query(&self, wanted: &TensorSlice) -> Option<Vec<&TensorSlice>> {
        let printed = wanted.to_string();
        if let Some((_, exact)) = self.slices.iter().find(|(p, _)| *p == printed) {
            return Some(vec![exact]);
        }
        let total = wanted.slice_shape(&self.shape).ok()?.num_elements();
        let mut covered = 0usize;
        let mut parts = Vec::new();
        for (_, stored) in &self.slices {
            if let Some(overlap) = wanted.intersect(stored) {
                covered += overlap.slice_shape(&self.shape).ok()?.num_elements();
                parts.push(stored);
            }
        }
        (covered == total).then_some(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    fn set(shape: &[i64], slices: &[&str]) -> Result<SliceSet> {
        let mut s = SliceSet::new(TensorShape::new(shape.to_vec()));
        for x in slices {
            s.register(TensorSlice::parse(x).unwrap())?;
        }
        Ok(s)
    }

    #[test]
    fn requests_are_served_by_exact_or_covering_slices() {
        let s = set(&[5, 3], &["0,2:-", "2,2:-", "4,1:-"]).unwrap();
        let q = |x: &str| s.query(&TensorSlice::parse(x).unwrap()).map(|v| v.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        assert_eq!(q("2,2:-").unwrap(), ["2,2:-"]);
        assert_eq!(q("-:-").unwrap(), ["0,2:-", "2,2:-", "4,1:-"]);
        assert_eq!(q("1,2:1,1").unwrap(), ["0,2:-", "2,2:-"]);
        let partial = set(&[5, 3], &["0,2:-"]).unwrap();
        assert!(partial.query(&TensorSlice::parse("-:-").unwrap()).is_none());
        assert!(s.query(&TensorSlice::parse("0,9:-").unwrap()).is_none());
    }

    #[test]
    fn overlapping_or_outside_slices_are_refused() {
        let e = set(&[5, 3], &["0,2:-", "1,2:-"]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::Internal, "Overlapping slices: existing slice = 0,2:-, new slice = 1,2:-"));
        assert_eq!(set(&[5, 3], &["4,2:-"]).unwrap_err().code, Code::Internal);
        assert_eq!(set(&[5, 3], &["0,2"]).unwrap_err().code, Code::Internal);
    }
}
