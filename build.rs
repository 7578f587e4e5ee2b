//! Generates the C header with cbindgen from `src/ffi` and
//! `src/sspi/consts.rs`, into `$OUT_DIR/opensspi.h`. A unit test fails when
//! the committed `include/opensspi.h` differs; `OPENSSPI_UPDATE_HEADER=1
//! cargo build` rewrites the committed copy. It also links the cdylib with
//! `-Bsymbolic-functions`.

use std::path::PathBuf;

fn main() {
    // The function tables and every internal call bind to this library's own
    // definitions, not to the first `AcceptSecurityContext` (WinPR, ...) the
    // process loaded (ELF interposition): tests/interpose.rs.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic-functions");
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("opensspi.h");
    for p in ["src/ffi", "src/sspi/consts.rs", "cbindgen.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-env-changed=OPENSSPI_UPDATE_HEADER");
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let prelude = std::fs::read_to_string(dir.join("src/ffi/prelude.h")).unwrap();
    let trailer = std::fs::read_to_string(dir.join("src/ffi/trailer.h")).unwrap();
    config.after_includes = Some(prelude);
    config.trailer = Some(trailer);
    let mut builder = cbindgen::Builder::new().with_config(config);
    // `src/ffi/mod.rs` brings its submodules; the constants live in the safe core.
    builder = builder.with_src(dir.join("src/ffi/mod.rs"));
    builder = builder.with_src(dir.join("src/sspi/consts.rs"));
    let bindings = builder.generate().expect("cbindgen failed");
    bindings.write_to_file(&out);
    if std::env::var_os("OPENSSPI_UPDATE_HEADER").is_some() {
        bindings.write_to_file(dir.join("include/opensspi.h"));
    }
    soname();
}

/// The shared library's SONAME, `libopensspi.so.0` (the ABI version, 0 while the crate is 0.x),
/// as `scripts/install.sh` installs it. Programs linked against the uninstalled
/// `target/<profile>/libopensspi.so` record that name, so the same name is a symlink beside it
/// (and in `deps/`, where cargo links test binaries).
fn soname() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libopensspi.so.0");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/opensspi-<hash>/out.
    if let Some(profile) = out.ancestors().nth(3) {
        for d in [profile.to_path_buf(), profile.join("deps")] {
            let link = d.join("libopensspi.so.0");
            if std::fs::create_dir_all(&d).is_ok() && std::fs::symlink_metadata(&link).is_err() {
                let _ = std::os::unix::fs::symlink("libopensspi.so", link);
            }
        }
    }
}
