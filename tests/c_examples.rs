//! Builds `c-examples/` with its Makefile and runs the Windows-SSPI-style server and client over
//! a loopback TCP port: NTLM handshake, then one sealed message each way.
mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// `make -C c-examples` once per test process (the tests run in parallel threads).
fn build_examples() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(make_examples).clone()
}

fn make_examples() -> PathBuf {
    cdylib();
    let out = c_tests_dir().join("examples");
    let res = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(manifest_dir().join("c-examples"))
        .arg(format!("OUT={}", out.display()))
        .arg(format!("LIBDIR={}", lib_dir().display()))
        .output()
        .expect("cannot run make");
    assert!(
        res.status.success(),
        "make -C c-examples failed:\n{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

struct Outcome {
    server_ok: bool,
    server_out: String,
    client_ok: bool,
    client_out: String,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- server (ok={}):\n{}",
            self.server_ok, self.server_out
        )?;
        write!(
            f,
            "--- client (ok={}):\n{}",
            self.client_ok, self.client_out
        )
    }
}

/// Starts the server on port 0, reads the port it chose, runs the client against it.
fn run_examples(tag: &str, password: &str) -> Outcome {
    let dir = build_examples();
    let users = UserFile::alice(tag);
    let mut server = c_command(&dir.join("sspi_server"))
        .args(["--port", "0"])
        .env("NTLM_USER_FILE", &users.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start sspi_server");
    // The first stdout lines: status of the setup calls, then "listening on 127.0.0.1:PORT".
    let mut lines = BufReader::new(server.stdout.take().unwrap());
    let mut server_out = String::new();
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(p) = line.trim().strip_prefix("listening on 127.0.0.1:") {
                let _ = tx.send(p.parse::<u16>().unwrap());
            }
            server_out.push_str(&line);
            line.clear();
        }
        server_out
    });
    let port = match rx.recv_timeout(Duration::from_secs(10) * slowdown()) {
        Ok(p) => p,
        Err(_) => {
            let _ = server.kill();
            let _ = server.wait();
            panic!("sspi_server never listened:\n{}", reader.join().unwrap());
        }
    };
    let user = format!("{DOMAIN}\\{USER}");
    let mut client = c_command(&dir.join("sspi_client"))
        .args([
            "--port",
            &port.to_string(),
            "--user",
            &user,
            "--password",
            password,
        ])
        .env("NTLM_USER_FILE", &users.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start sspi_client");
    let (client_out, client_err) = (
        read_all(client.stdout.take().unwrap()),
        read_all(client.stderr.take().unwrap()),
    );
    let server_err = read_all(server.stderr.take().unwrap());
    // Each side exits after one exchange; a hang fails the test instead of blocking it.
    let deadline = Instant::now() + Duration::from_secs(30) * slowdown();
    let client_st = wait_until(&mut client, deadline);
    let server_st = wait_until(&mut server, deadline);
    Outcome {
        server_ok: server_st.is_some_and(|s| s.success()),
        server_out: reader.join().unwrap() + &server_err.join().unwrap(),
        client_ok: client_st.is_some_and(|s| s.success()),
        client_out: client_out.join().unwrap() + &client_err.join().unwrap(),
    }
}

#[test]
fn example_client_and_server_authenticate_and_exchange_sealed_messages() {
    let o = run_examples("ex-ok", PASSWORD);
    assert!(o.server_ok && o.client_ok, "examples failed:\n{o}");
    assert!(
        o.server_out.contains("authenticated: EXAMPLE\\alice"),
        "\n{o}"
    );
    assert!(
        o.server_out
            .contains("received: hello from the SSPI client"),
        "\n{o}"
    );
    assert!(
        o.client_out
            .contains("received: reply from server: hello from the SSPI client"),
        "\n{o}"
    );
    assert!(
        o.client_out.contains("client: success") && o.server_out.contains("server: success"),
        "\n{o}"
    );
}

#[test]
fn example_server_rejects_a_wrong_password() {
    let o = run_examples("ex-bad", "wrong-password");
    assert!(
        !o.server_ok && !o.client_ok,
        "a wrong password was accepted:\n{o}"
    );
    assert!(
        o.server_out.contains("SEC_E_LOGON_DENIED (0x8009030C)"),
        "\n{o}"
    );
    assert!(!o.server_out.contains("authenticated:"), "\n{o}");
}
