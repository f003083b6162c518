//! TF's histogram (`tsl::histogram::Histogram`): default bucket limits growing by 10% from 1e-12
//! to 1e20 on both sides of zero, values counted into the first bucket whose limit is above them,
//! and the proto encoding that collapses runs of empty buckets. Plain values; the default limits
//! are computed once and shared read-only.

use ferroflow_proto::HistogramProto;
use std::sync::OnceLock;

/// TF's default bucket limits: `-DBL_MAX`, the negated growing limits, 0, the growing limits
/// (1e-12 times powers of 1.1, while below 1e20) and `DBL_MAX`. Computed by the same sequence of
/// multiplications as TF, so the values are bit-identical.
pub fn default_bucket_limits() -> &'static [f64] {
    static LIMITS: OnceLock<Vec<f64>> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let mut positive = Vec::new();
        let mut v = 1.0e-12;
        while v < 1.0e20 {
            positive.push(v);
            v *= 1.1;
        }
        positive.push(f64::MAX);
        let mut limits: Vec<f64> = positive.iter().rev().map(|&v| -v).collect();
        limits.push(0.0);
        limits.extend_from_slice(&positive);
        limits
    })
}

/// A histogram over TF's default buckets.
#[derive(Debug, Clone)]
pub struct Histogram {
    limits: &'static [f64],
    buckets: Vec<f64>,
    min: f64,
    max: f64,
    num: f64,
    sum: f64,
    sum_squares: f64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

impl Histogram {
    pub fn new() -> Histogram {
        let limits = default_bucket_limits();
        Histogram {
            limits,
            buckets: vec![0.0; limits.len()],
            min: limits[limits.len() - 1],
            max: -f64::MAX,
            num: 0.0,
            sum: 0.0,
            sum_squares: 0.0,
        }
    }

    /// Counts `value` (finite: callers reject NaN and infinities, as TF's kernels do).
    pub fn add(&mut self, value: f64) {
        // The first limit above the value (`std::upper_bound`). TF indexes past the end for
        // `DBL_MAX` itself; that value goes to the last bucket here.
        let b = self.limits.partition_point(|&limit| limit <= value).min(self.buckets.len() - 1);
        self.buckets[b] += 1.0;
        if self.min > value {
            self.min = value;
        }
        if self.max < value {
            self.max = value;
        }
        self.num += 1.0;
        self.sum += value;
        self.sum_squares += value * value;
    }

    /// TF's `EncodeToProto`: with `preserve_zero_buckets` false, each run of empty buckets becomes
    /// one bucket ending at the run's last limit; never fewer than one bucket.
    pub fn to_proto(&self, preserve_zero_buckets: bool) -> HistogramProto {
        let mut proto = HistogramProto {
            min: self.min,
            max: self.max,
            num: self.num,
            sum: self.sum,
            sum_squares: self.sum_squares,
            ..Default::default()
        };
        let mut i = 0;
        while i < self.buckets.len() {
            let mut end = self.limits[i];
            let mut count = self.buckets[i];
            i += 1;
            if !preserve_zero_buckets && count <= 0.0 {
                while i < self.buckets.len() && self.buckets[i] <= 0.0 {
                    end = self.limits[i];
                    count = self.buckets[i];
                    i += 1;
                }
            }
            proto.bucket_limit.push(end);
            proto.bucket.push(count);
        }
        if proto.bucket.is_empty() {
            proto.bucket_limit.push(f64::MAX);
            proto.bucket.push(0.0);
        }
        proto
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_symmetric_and_sorted() {
        let limits = default_bucket_limits();
        // 1.1^k * 1e-12 < 1e20 for k = 0..=773: 774 positive limits, DBL_MAX, and their negations.
        assert_eq!(limits.len(), 2 * 775 + 1);
        assert_eq!(limits[0], -f64::MAX);
        assert_eq!(limits[775], 0.0);
        assert_eq!(limits[776], 1e-12);
        assert!(limits.windows(2).all(|w| w[0] < w[1]));
        assert!(limits.iter().zip(limits.iter().rev()).all(|(a, b)| *a == -*b));
    }

    #[test]
    fn values_fall_in_the_first_bucket_above_them_and_empty_runs_collapse() {
        let mut h = Histogram::new();
        for v in [0.0, 1.0, 1.0, -2.5] {
            h.add(v);
        }
        let p = h.to_proto(false);
        assert_eq!((p.min, p.max, p.num, p.sum, p.sum_squares), (-2.5, 1.0, 4.0, -0.5, 8.25));
        let limits = default_bucket_limits();
        // 0.0 is counted in the bucket ending at the first positive limit (upper_bound).
        let zero_bucket = p.bucket_limit.iter().position(|&l| l == 1e-12).unwrap();
        assert_eq!(p.bucket[zero_bucket], 1.0);
        let one_limit = limits[limits.partition_point(|&l| l <= 1.0)];
        let one_bucket = p.bucket_limit.iter().position(|&l| l == one_limit).unwrap();
        assert_eq!(p.bucket[one_bucket], 2.0);
        assert_eq!(p.bucket.iter().sum::<f64>(), 4.0);
        assert!(p.bucket.windows(2).all(|w| w[0] > 0.0 || w[1] > 0.0), "no two empty buckets in a row");
        assert_eq!(*p.bucket_limit.last().unwrap(), f64::MAX);
        assert_eq!(h.to_proto(true).bucket.len(), limits.len());
    }

    #[test]
    fn an_empty_histogram_is_one_empty_bucket() {
        let p = Histogram::new().to_proto(false);
        assert_eq!((p.bucket_limit.clone(), p.bucket.clone()), (vec![f64::MAX], vec![0.0]));
        assert_eq!((p.min, p.max, p.num), (f64::MAX, -f64::MAX, 0.0));
    }
}
