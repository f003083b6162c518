//! The rendezvous interface: where a `_Send` leaves a tensor under a key and the matching `_Recv`
//! picks it up, within one step. Keys follow TF's format
//! `SRC_DEVICE;SRC_INCARNATION_HEX;DST_DEVICE;TENSOR_NAME;FRAME:ITER`.
//!
//! Implementations are shared by every kernel of a step (and by RPC handlers), so they are
//! `Send + Sync`; `recv` returns a future so no thread waits on a tensor that is not there yet.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use futures::future::BoxFuture;
use std::sync::Arc;

/// A rendezvous key, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParsedKey {
    full: Arc<str>,
    pub src_device: String,
    pub src_incarnation: u64,
    pub dst_device: String,
    pub edge_name: String,
    pub frame_iter: String,
}

impl ParsedKey {
    /// Builds the key a `_Send`/`_Recv` pair uses (frame and iteration 0 outside loops).
    pub fn new(src_device: &str, src_incarnation: u64, dst_device: &str, edge_name: &str, frame_iter: (u64, i64)) -> ParsedKey {
        let frame_iter = format!("{}:{}", frame_iter.0, frame_iter.1);
        let full = format!("{src_device};{src_incarnation:016x};{dst_device};{edge_name};{frame_iter}");
        ParsedKey {
            full: full.into(),
            src_device: src_device.to_string(),
            src_incarnation,
            dst_device: dst_device.to_string(),
            edge_name: edge_name.to_string(),
            frame_iter,
        }
    }

    /// Parses a key; INVALID_ARGUMENT (`Invalid  rendezvous key: ...`, TF's wording) if malformed.
    pub fn parse(key: &str) -> Result<ParsedKey> {
        let bad = || Error::invalid_argument(format!("Invalid  rendezvous key: {key}"));
        let parts: Vec<&str> = key.split(';').collect();
        if parts.len() != 5 || parts[0].is_empty() || parts[2].is_empty() || parts[3].is_empty() {
            return Err(bad());
        }
        let src_incarnation = u64::from_str_radix(parts[1], 16).map_err(|_| bad())?;
        crate::device_name::DeviceName::parse(parts[0]).map_err(|_| bad())?;
        crate::device_name::DeviceName::parse(parts[2]).map_err(|_| bad())?;
        let (frame, iter) = parts[4].split_once(':').ok_or_else(bad)?;
        frame.parse::<u64>().map_err(|_| bad())?;
        iter.parse::<i64>().map_err(|_| bad())?;
        Ok(ParsedKey {
            full: key.into(),
            src_device: parts[0].to_string(),
            src_incarnation,
            dst_device: parts[2].to_string(),
            edge_name: parts[3].to_string(),
            frame_iter: parts[4].to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl std::fmt::Display for ParsedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full)
    }
}

/// What travels through a rendezvous: a tensor, or the mark that its producer was dead.
#[derive(Clone, Debug)]
pub struct RendezvousValue {
    pub tensor: Tensor,
    pub is_dead: bool,
}

impl RendezvousValue {
    pub fn live(tensor: Tensor) -> RendezvousValue {
        RendezvousValue { tensor, is_dead: false }
    }

    /// A dead value carries an empty float tensor, as TF's does.
    pub fn dead() -> RendezvousValue {
        RendezvousValue { tensor: Tensor::zeros(crate::DType::Float, vec![0]).expect("empty tensor"), is_dead: true }
    }
}

/// A per-step meeting point of sends and receives.
pub trait Rendezvous: Send + Sync {
    /// Leaves a value under `key`; fails once the rendezvous is aborted.
    fn send(&self, key: &ParsedKey, value: RendezvousValue) -> Result<()>;
    /// Resolves with the value sent under `key` (now or later), or the abort error. Where the
    /// producer is another task, the value is fetched from it.
    fn recv(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>>;
    /// Like `recv`, but only from this process's table, whatever the key's source device: how
    /// client-terminated receives (fed through `RunGraph.send`) are served.
    fn recv_local(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        self.recv(key)
    }
    /// Fails every pending and future receive with `error`.
    fn start_abort(&self, error: Error);
    /// The error the rendezvous was aborted with, if it was: a step whose rendezvous is aborted
    /// (by a peer's failure or `CleanupGraph`) starts no more nodes. Must be cheap.
    fn abort_status(&self) -> Option<Error> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_format_and_parse_like_tensorflow() {
        let k = ParsedKey::new(
            "/job:worker/replica:0/task:1/device:CPU:0",
            0x78add385bb70f6f3,
            "/job:worker/replica:0/task:0/device:CPU:0",
            "edge_14_d",
            (0, 0),
        );
        assert_eq!(
            k.as_str(),
            "/job:worker/replica:0/task:1/device:CPU:0;78add385bb70f6f3;/job:worker/replica:0/task:0/device:CPU:0;edge_14_d;0:0"
        );
        assert_eq!(ParsedKey::parse(k.as_str()).unwrap(), k);
        let e = ParsedKey::parse("garbage").unwrap_err();
        assert_eq!(e.message, "Invalid  rendezvous key: garbage");
        assert!(ParsedKey::parse("/job:a/replica:0/task:0/device:CPU:0;zz;/job:a/replica:0/task:0/device:CPU:0;e;0:0").is_err());
    }
}
