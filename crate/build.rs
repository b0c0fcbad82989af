//! GPU tests run only where a GPU is promised. With `RETOUCH_REQUIRE_GPU=1`
//! (`./build.sh test` sets it) the `gpu_tests` cfg compiles them in and a
//! missing adapter fails them; otherwise `cargo test` lists them as ignored,
//! with the reason, instead of passing them without checking anything.
//!
//! `vector_rows` is set where the hand-written vector rows (`simd::Lanes`)
//! can run: x86-64 (AVX2 or AVX-512, checked at run time) and wasm32 built
//! with SIMD128.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gpu_tests)");
    println!("cargo::rustc-check-cfg=cfg(vector_rows)");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if arch == "x86_64" || (arch == "wasm32" && features.split(',').any(|f| f == "simd128")) {
        println!("cargo::rustc-cfg=vector_rows");
    }
    println!("cargo::rerun-if-env-changed=RETOUCH_REQUIRE_GPU");
    if std::env::var("RETOUCH_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=gpu_tests");
    }
}
