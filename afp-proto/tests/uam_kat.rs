//! Known-answer tests for DHCAST128 and DHX2 (spec §6.5, §6.6).
//!
//! `tests/kat/uam_vectors.txt` was printed by `tests/kat/uam_kat.py`, an independent Python
//! implementation (pycryptodome CAST-128-CBC, hashlib MD5, `pow`). Each vector lists both
//! sides' random bytes; the Rust client and server replay them and must produce every
//! message byte for byte. A second test re-runs the script and checks the committed file
//! is still exactly its output.
#![cfg(feature = "dhx2")]

mod uam_support;

use std::collections::HashMap;

use afp_proto::ResultCode;
use afp_proto::uam::{
    ChangeStep, ClientChangePassword, ClientLogin, ClientStep, LoginForm, Password, ServerStep,
    Uam, UamServer,
};
use uam_support::{ScriptedRng, hex, run_kat_script, to_hex};

const VECTORS: &str = include_str!("kat/uam_vectors.txt");

fn cases() -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    let mut cur: HashMap<String, String> = HashMap::new();
    for line in VECTORS.lines() {
        let line = line.trim_end();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let (k, v) = line
            .split_once(" = ")
            .or_else(|| line.split_once(" ="))
            .expect("key = value");
        cur.insert(k.to_string(), v.to_string());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn get(case: &HashMap<String, String>, key: &str) -> Vec<u8> {
    hex(case
        .get(key)
        .unwrap_or_else(|| panic!("vector {} lacks {key}", case["case"])))
}

fn id_and_data(msg: &[u8]) -> (u16, &[u8]) {
    (u16::from_be_bytes([msg[0], msg[1]]), &msg[2..])
}

fn check(case: &HashMap<String, String>, what: &str, got: &[u8]) {
    let want = get(case, what);
    assert_eq!(
        to_hex(got),
        to_hex(&want),
        "vector {}: {what} differs",
        case["case"]
    );
}

fn run_login(case: &HashMap<String, String>) {
    let uam = Uam::from_wire_name(case["method"].as_bytes()).unwrap();
    let user = get(case, "user");
    let password = get(case, "password");
    let offset: usize = case["auth_offset"].parse().unwrap();
    let form = match case["form"].as_str() {
        "login" => LoginForm::Login {
            auth_offset: offset,
        },
        "login_ext" => LoginForm::LoginExt,
        other => panic!("unknown form {other}"),
    };
    let mut crng = ScriptedRng::new(&get(case, "client_random"));
    let mut srng = ScriptedRng::new(&get(case, "server_random"));
    let server = UamServer::new(vec![uam]);

    let (mut client, c1) =
        ClientLogin::start(uam, &user, Password::new(password.clone()), form, &mut crng).unwrap();
    check(case, "c1", &c1);
    let (mut login, mut step) = match form {
        LoginForm::Login { auth_offset } => {
            server.start_login(uam.wire_name().as_bytes(), &c1, auth_offset, &mut srng)
        }
        LoginForm::LoginExt => {
            server.start_login_ext(uam.wire_name().as_bytes(), &user, &c1, &mut srng)
        }
    };
    let messages: &[(&str, &str)] = if uam == Uam::Dhx2 {
        &[("s1", "c2"), ("s2", "c3")]
    } else {
        &[("s1", "c2")]
    };
    for &(s, c) in messages {
        let ServerStep::Continue(reply) = step else {
            panic!("{}: expected {s}, got {step:?}", case["case"])
        };
        check(case, s, &reply);
        let ClientStep::Send { id, data } = client
            .handle_reply(ResultCode::AUTH_CONTINUE, &reply, &mut crng)
            .unwrap()
        else {
            panic!("client finished early")
        };
        let mut sent = id.to_be_bytes().to_vec();
        sent.extend_from_slice(&data);
        check(case, c, &sent);
        let (id, data) = id_and_data(&sent);
        step = login.handle_login_cont(id, data, &mut srng);
    }
    let ServerStep::Verify(request) = step else {
        panic!("{}: expected Verify, got {step:?}", case["case"])
    };
    assert_eq!(request.user(), &user[..]);
    assert_eq!(request.password().as_bytes(), &password[..]);
    assert_eq!(
        crng.remaining(),
        0,
        "{}: client left random bytes unused",
        case["case"]
    );
    assert_eq!(
        srng.remaining(),
        0,
        "{}: server left random bytes unused",
        case["case"]
    );
}

fn run_change(case: &HashMap<String, String>) {
    let uam = Uam::from_wire_name(case["method"].as_bytes()).unwrap();
    let user = get(case, "user");
    let old = get(case, "old_password");
    let new = get(case, "new_password");
    let mut crng = ScriptedRng::new(&get(case, "client_random"));
    let mut srng = ScriptedRng::new(&get(case, "server_random"));
    let server = UamServer::new(vec![uam]);

    let (mut client, c1) = ClientChangePassword::start(
        uam,
        Password::new(old.clone()),
        Password::new(new.clone()),
        &mut crng,
    )
    .unwrap();
    check(case, "c1", &c1);
    let (mut change, mut step) =
        server.start_change_password(uam.wire_name().as_bytes(), &user, &c1, &mut srng);
    let messages: &[(&str, &str)] = if uam == Uam::Dhx2 {
        &[("s1", "c2"), ("s2", "c3")]
    } else {
        &[("s1", "c2")]
    };
    for &(s, c) in messages {
        let ChangeStep::Continue(reply) = step else {
            panic!("{}: expected {s}, got {step:?}", case["case"])
        };
        check(case, s, &reply);
        let sent = client
            .handle_reply(ResultCode::AUTH_CONTINUE, &reply, &mut crng)
            .unwrap()
            .expect("client finished early");
        check(case, c, &sent);
        step = change.handle(&sent, &mut srng);
    }
    let ChangeStep::Verify(request) = step else {
        panic!("{}: expected Verify, got {step:?}", case["case"])
    };
    assert_eq!(request.user(), &user[..]);
    assert_eq!(request.old_password().as_bytes(), &old[..]);
    assert_eq!(request.new_password().as_bytes(), &new[..]);
    assert_eq!(crng.remaining(), 0);
    assert_eq!(srng.remaining(), 0);
}

#[test]
fn every_vector_replays_byte_for_byte() {
    let cases = cases();
    assert_eq!(cases.len(), 9, "vector file should hold 9 cases");
    for case in &cases {
        match case["form"].as_str() {
            "change" => run_change(case),
            _ => run_login(case),
        }
    }
}

#[test]
fn vectors_pin_left_padding() {
    // The leading-zero vectors were searched so that Mb and K (DHX2), and Ma, Mb and K
    // (DHCAST128) start with a zero byte: netatalk would strip it, we must not.
    let cases = cases();
    let dhx2 = cases
        .iter()
        .find(|c| c["case"] == "dhx2-leading-zero")
        .unwrap();
    let s1 = get(dhx2, "s1");
    assert_eq!(s1[8 + 128], 0, "Mb's first byte");
    let dhcast = cases
        .iter()
        .find(|c| c["case"] == "dhcast128-leading-zero")
        .unwrap();
    assert_eq!(get(dhcast, "c1")[0], 0, "Ma's first byte");
    assert_eq!(get(dhcast, "s1")[2], 0, "Mb's first byte");
    assert_eq!(get(dhcast, "key")[0], 0, "K's first byte");
}

#[test]
fn committed_vectors_match_the_python_reference() {
    let printed = run_kat_script(&[]);
    assert!(
        printed == VECTORS,
        "tests/kat/uam_vectors.txt is stale: regenerate it with `python3 tests/kat/uam_kat.py > tests/kat/uam_vectors.txt`"
    );
}
