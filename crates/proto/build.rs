//! Compiles the project's own `.proto` files with `protox` (no system `protoc`) and generates prost
//! messages plus tonic client and server stubs. The descriptor set is also written out so a test can
//! compare every declared field with TensorFlow 2.21's reference descriptors.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tensorflow/framework.proto",
        "proto/tensorflow/config.proto",
        "proto/tensorflow/error_codes.proto",
        "proto/tensorflow/worker.proto",
        "proto/tensorflow/master.proto",
        "proto/tensorflow/checkpoint.proto",
        "proto/tensorflow/summary.proto",
        "proto/tensorflow/example.proto",
        "proto/tensorflow/meta_graph.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("ferroflow_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        // Tensor payloads decode as slices of the received buffer instead of copies.
        .bytes(".tensorflow.TensorProto.tensor_content")
        .bytes(".tensorflow.TensorProto.string_val")
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
