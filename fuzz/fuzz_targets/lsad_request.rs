//! The LSA service's request path: frames read from the socket
//! (`wire::read_frame`), decoded (`Request::decode`) and answered
//! (`Service::handle`) for a peer uid taken from the first input byte
//! (0 = root, else 1000 or 1001), on one service across the frames of an
//! input, as one connection would send them. Nothing may panic; a
//! malformed request is answered `Malformed`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::lsa::service::server::Service;
use opensspi::lsa::service::wire::{read_frame, Request};

fuzz_target!(|data: &[u8]| {
    let Some((&who, mut rest)) = data.split_first() else {
        return;
    };
    let uid = match who % 3 {
        0 => 0,
        1 => 1000,
        _ => 1001,
    };
    let svc = Service::default();
    for _ in 0..16 {
        match read_frame(&mut rest) {
            Ok(Some(Ok(body))) => {
                let answer = match Request::decode(&body) {
                    Ok(req) => svc.handle(uid, req),
                    Err(_) => continue,
                };
                assert!(!answer.is_empty());
            }
            _ => return,
        }
    }
});
