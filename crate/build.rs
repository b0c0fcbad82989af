//! GPU tests run only where a GPU is promised. With `RETOUCH_REQUIRE_GPU=1`
//! (`./build.sh test` sets it) the `gpu_tests` cfg compiles them in and a
//! missing adapter fails them; otherwise `cargo test` lists them as ignored,
//! with the reason, instead of passing them without checking anything.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gpu_tests)");
    println!("cargo::rerun-if-env-changed=RETOUCH_REQUIRE_GPU");
    if std::env::var("RETOUCH_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        println!("cargo::rustc-cfg=gpu_tests");
    }
}
