//! The master side of the distributed runtime (TF's master): takes a client's graph, prunes,
//! places and partitions it, registers partitions with workers and runs steps across them.
//!
//! - [`interface`]: `MasterInterface`, the MasterService calls as async methods.
//! - [`master`]: `Master`, sessions and device discovery.
//! - [`session`]: `MasterSession`, plans and steps.
//! - [`plan`]: execution plans per signature.
//! - [`graph`]: client graph, placement and partitioning (pure functions).
//!
//! Everything is `Send + Sync`; no lock is held across an RPC except a session's plan-building
//! mutex, which exists to make each signature register once.

pub mod graph;
pub mod interface;
pub mod master;
pub mod plan;
pub mod session;

pub use interface::MasterInterface;
pub use master::Master;
