//! The master's graph pipeline, from the client's raw `GraphDef` to one partition per device, as
//! TF's master session does it (without Grappler):
//!
//! 1. [`place`] assigns every node a full device name (TF's placer: requested specs, `_class`
//!    colocation, resource colocation, its two heuristics). TF places the session's whole graph
//!    once, before any pruning; placing a pruned client graph gives the same result except in the
//!    rare cases where a heuristic looked at a node that pruning removed.
//! 2. [`build_client_graph`] rewrites a graph for one run signature: client-terminated `_Recv`s
//!    for feeds and `_Send`s for fetches on the client device, pruned to what is needed.
//! 3. [`localize_client_transfers`] moves those `_Recv`s and `_Send`s next to the tensors they
//!    carry, so feeds and fetches travel in the `RunGraph` calls themselves.
//! 4. [`partition`] splits the placed client graph by device, cutting cross-device edges into
//!    `_Send`/`_Recv` pairs, after [`control_loops`] gave every device in a loop that spans devices
//!    a control loop of its own.
//!
//! [`dtypes`] infers output types for all three. Everything here is a pure function on graphs:
//! no I/O, no shared state, safe to call from any thread.

pub mod client_graph;
pub mod client_transfers;
pub mod control_loops;
pub mod dtypes;
pub mod partition;
pub mod placer;
mod view;

#[cfg(test)]
mod capture_tests;
#[cfg(test)]
mod test_util;

pub use client_graph::{ClientGraphNames, build_client_graph, feed_node_name, fetch_node_name};
pub use client_transfers::{TransferDevices, localize_client_transfers};
pub use partition::{partition, partition_with_counter};
pub use placer::{PlacerOptions, colocate_with, place, place_with_options};
