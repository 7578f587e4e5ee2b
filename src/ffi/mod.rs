//! The C ABI: every `extern "C"` export, `#[repr(C)]` types, handle tables,
//! string conversion and the panic boundary.
