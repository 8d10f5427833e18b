//! Login exchanges (afp-proto `uam`), client and server both in memory: DHX2 with the
//! default 1024-bit group, DHCAST128, and Cleartxt Passwrd as the no-crypto floor. The
//! peer is the bare cost of the Diffie-Hellman arithmetic: a DHX2 login does four
//! 1024-bit modular exponentiations (`dhx2_four_modpows` runs just those through the same
//! `num-bigint`), so `dhx2_login / dhx2_four_modpows` is the protocol overhead.

use afp_proto::ResultCode;
use afp_proto::uam::rand::SeedableRng;
use afp_proto::uam::rand::rngs::StdRng;
use afp_proto::uam::{
    ClientLogin, ClientStep, Dhx2Group, LoginForm, Password, ServerStep, Uam, UamServer, Verdict,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn login(server: &UamServer, uam: Uam, rng: &mut StdRng) -> bool {
    let (mut client, auth) = ClientLogin::start(
        uam,
        b"alice",
        Password::from("horse42"),
        LoginForm::LoginExt,
        rng,
    )
    .unwrap();
    let (mut login, mut step) =
        server.start_login_ext(uam.wire_name().as_bytes(), b"alice", &auth, rng);
    loop {
        step = match step {
            ServerStep::Continue(reply) => match client
                .handle_reply(ResultCode::AUTH_CONTINUE, &reply, rng)
                .unwrap()
            {
                ClientStep::Send { id, data } => login.handle_login_cont(id, &data, rng),
                ClientStep::Done { .. } => unreachable!(),
            },
            ServerStep::Verify(request) => {
                let ok = request.password().as_bytes() == b"horse42";
                login.verified(if ok { Verdict::Accept } else { Verdict::Reject })
            }
            ServerStep::Done(result) => return result.is_ok(),
        };
    }
}

fn bench(c: &mut Criterion) {
    let server = UamServer::new(vec![Uam::Dhx2, Uam::Dhcast128, Uam::CleartxtPasswrd]);
    let mut rng = StdRng::seed_from_u64(1);
    let mut g = c.benchmark_group("afp_login");
    g.sample_size(20);
    g.bench_function("dhx2_login", |b| {
        b.iter(|| assert!(login(&server, Uam::Dhx2, &mut rng)))
    });
    g.bench_function("dhcast128_login", |b| {
        b.iter(|| assert!(login(&server, Uam::Dhcast128, &mut rng)))
    });
    g.bench_function("cleartext_login", |b| {
        b.iter(|| assert!(login(&server, Uam::CleartxtPasswrd, &mut rng)))
    });

    // Peer: the four 1024-bit exponentiations alone (g^Rb, g^Ra, Ma^Rb, Mb^Ra).
    let group = Dhx2Group::default();
    let p = group.p().clone();
    // Type inference names num-bigint's BigUint for us; benches needs no direct dependency.
    let base = group.p() / 3u32;
    let exp = &p - 12345u32;
    g.bench_function("dhx2_four_modpows", |b| {
        b.iter(|| {
            let mut x = base.clone();
            for _ in 0..4 {
                x = black_box(&x).modpow(black_box(&exp), &p);
            }
            x
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
