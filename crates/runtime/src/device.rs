//! Local devices: each task owns one CPU device with a random 64-bit incarnation fixed at start-up,
//! so peers can tell a restarted task from the one they knew. Immutable after creation; shared by
//! `Arc`.

use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{Error, Result};
use ferroflow_proto::{DeviceAttributes, DeviceLocality};
use std::sync::Arc;

/// Memory TF reports for a CPU device (its default, 256 MiB).
const CPU_MEMORY_LIMIT: i64 = 256 << 20;

/// One device of this task.
#[derive(Debug)]
pub struct LocalDevice {
    name: String,
    parsed: DeviceName,
    device_type: String,
    incarnation: u64,
}

impl LocalDevice {
    /// A CPU device of the task named `task` (`/job:J/replica:R/task:T`) with a fresh incarnation.
    pub fn cpu(task: &str, index: i32) -> Result<LocalDevice> {
        let name = format!("{task}/device:CPU:{index}");
        let parsed = DeviceName::parse(&name)?;
        // Zero means "unknown" in some TF paths; never hand it out.
        let incarnation = loop {
            let v: u64 = rand::random();
            if v != 0 {
                break v;
            }
        };
        Ok(LocalDevice { name, parsed, device_type: "CPU".into(), incarnation })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn parsed_name(&self) -> &DeviceName {
        &self.parsed
    }

    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// What `GetStatus` reports for this device, as TF does.
    pub fn attributes(&self) -> DeviceAttributes {
        DeviceAttributes {
            name: self.name.clone(),
            device_type: self.device_type.clone(),
            memory_limit: CPU_MEMORY_LIMIT,
            locality: Some(DeviceLocality::default()),
            incarnation: self.incarnation,
            physical_device_desc: String::new(),
            xla_global_id: -1,
        }
    }
}

/// The devices of this task.
#[derive(Debug)]
pub struct DeviceMgr {
    devices: Vec<Arc<LocalDevice>>,
}

impl DeviceMgr {
    pub fn new(devices: Vec<LocalDevice>) -> DeviceMgr {
        DeviceMgr { devices: devices.into_iter().map(Arc::new).collect() }
    }

    pub fn devices(&self) -> &[Arc<LocalDevice>] {
        &self.devices
    }

    /// The device a node's (full or partial) device spec names; an empty spec means the first one.
    /// INVALID_ARGUMENT (`X unknown device.`, TF's wording) when none matches.
    pub fn lookup(&self, spec: &str) -> Result<Arc<LocalDevice>> {
        if spec.is_empty() {
            return self.devices.first().cloned().ok_or_else(|| Error::internal("task has no devices"));
        }
        if let Some(d) = self.devices.iter().find(|d| d.name == spec) {
            return Ok(d.clone());
        }
        let parsed = DeviceName::parse(spec).map_err(|_| Error::invalid_argument(format!("{spec} unknown device.")))?;
        self.devices
            .iter()
            .find(|d| parsed.matches(&d.parsed))
            .cloned()
            .ok_or_else(|| Error::invalid_argument(format!("{spec} unknown device.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_accepts_full_and_partial_names_and_refuses_other_tasks() {
        let mgr = DeviceMgr::new(vec![LocalDevice::cpu("/job:worker/replica:0/task:1", 0).unwrap()]);
        let full = "/job:worker/replica:0/task:1/device:CPU:0";
        assert_eq!(mgr.lookup(full).unwrap().name(), full);
        assert_eq!(mgr.lookup("/job:worker/task:1").unwrap().name(), full);
        assert_eq!(mgr.lookup("").unwrap().name(), full);
        let e = mgr.lookup("/job:worker/replica:0/task:0/device:CPU:0").unwrap_err();
        assert_eq!(e.message, "/job:worker/replica:0/task:0/device:CPU:0 unknown device.");
        assert_ne!(mgr.devices()[0].incarnation(), 0);
    }
}
