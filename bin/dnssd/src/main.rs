//! `dnssd`: register, browse and resolve DNS-SD services (a small `dns-sd`/avahi-utils
//! for admins who run no afpd).
//!
//! ```text
//! dnssd register zf _afpovertcp._tcp 548                       # like dns-sd -R
//! dnssd register zf _device-info._tcp 0 model=Xserve
//! dnssd afp zf --port 548 --model Xserve --time-machine time_mach=0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11
//! dnssd browse _afpovertcp._tcp
//! dnssd resolve zf _afpovertcp._tcp
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use dnssd::{AdvertiseConfig, Advertiser, AfpServer, Backend, Service, TimeMachineVolume};
use mdns_records::Txt;
use mdns_records::dnssd::apple;
use tokio::signal::unix::{SignalKind, signal};

#[derive(Parser)]
#[command(
    version,
    about = "Register, browse and resolve DNS-SD services over multicast DNS"
)]
struct Cli {
    /// Interface to use (repeatable); default: every interface that is up and not loopback.
    #[arg(short, long = "interface", global = true)]
    interfaces: Vec<String>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// avahi-daemon over D-Bus if running, else the built-in responder.
    Auto,
    /// avahi-daemon over D-Bus.
    Avahi,
    /// The built-in responder.
    Builtin,
}

#[derive(clap::Args)]
struct Publish {
    /// Host label for A/AAAA records (built-in responder); default: the system host name.
    #[arg(long)]
    host: Option<String>,
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendArg,
    /// Stop (with goodbyes) after this many seconds instead of waiting for a signal.
    #[arg(long = "for", value_name = "SECONDS")]
    duration: Option<u64>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Register one service until interrupted (like `dns-sd -R NAME TYPE local. PORT`).
    Register {
        /// Instance name (UTF-8).
        name: String,
        /// Service type, e.g. `_afpovertcp._tcp`.
        service_type: String,
        /// Port.
        port: u16,
        /// TXT `key=value` strings.
        txt: Vec<String>,
        #[command(flatten)]
        publish: Publish,
    },
    /// Publish what afpd publishes: `_afpovertcp._tcp`, `_device-info._tcp`, `_adisk._tcp`.
    Afp {
        /// Server name.
        name: String,
        #[arg(long, default_value_t = apple::AFP_PORT)]
        port: u16,
        /// `mimic model` (default Xserve).
        #[arg(long)]
        model: Option<String>,
        /// Time Machine volume as `NAME=UUID` (repeatable).
        #[arg(long = "time-machine", value_name = "NAME=UUID")]
        time_machine: Vec<String>,
        #[command(flatten)]
        publish: Publish,
    },
    /// List the instances of a service type and resolve them.
    Browse {
        service_type: String,
        /// Seconds to wait for answers.
        #[arg(long, default_value_t = 2)]
        wait: u64,
    },
    /// Resolve one instance to host, port, addresses and TXT.
    Resolve {
        name: String,
        service_type: String,
        #[arg(long, default_value_t = 2)]
        wait: u64,
    },
}

fn txt_from_args(args: &[String]) -> anyhow::Result<Txt> {
    let mut txt = Txt::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) => txt.push(k, Some(v.as_bytes())),
            None => txt.push(a, None),
        }
        .with_context(|| format!("bad TXT entry {a:?}"))?;
    }
    Ok(txt)
}

fn show(f: &dnssd::query::Found, service_type: &str) {
    let txt = f
        .txt
        .as_ref()
        .map(|t| {
            t.strings()
                .iter()
                .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let host = f.host.as_ref().map(ToString::to_string).unwrap_or_default();
    let addrs = f
        .addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let port = f.port.map(|p| p.to_string()).unwrap_or_default();
    println!(
        "=;{};IPv4;{};{service_type};local;{host};{addrs};{port};{txt}",
        f.interface, f.instance
    );
}

async fn publish(
    services: Vec<Service>,
    p: Publish,
    interfaces: Vec<String>,
) -> anyhow::Result<()> {
    let config = AdvertiseConfig {
        services,
        host_name: p.host,
        interfaces,
        backend: match p.backend {
            BackendArg::Auto => Backend::Auto,
            BackendArg::Avahi => Backend::Avahi,
            BackendArg::Builtin => Backend::Builtin,
        },
    };
    let adv = Advertiser::start(config).await?;
    eprintln!("dnssd: advertising via {:?}", adv.backend());
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let stop_after = async {
        match p.duration {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop_after);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = hup.recv() => tracing::info!("SIGHUP: nothing to reload for a command-line registration"),
            () = &mut stop_after => break,
        }
    }
    adv.shutdown().await?;
    eprintln!("dnssd: withdrawn");
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Cmd::Register {
            name,
            service_type,
            port,
            txt,
            publish: p,
        } => {
            let service = Service::new(&name, &service_type, port)?.with_txt(txt_from_args(&txt)?);
            publish(vec![service], p, cli.interfaces).await?;
        }
        Cmd::Afp {
            name,
            port,
            model,
            time_machine,
            publish: p,
        } => {
            let mut tm_volumes = Vec::new();
            for v in time_machine {
                let Some((vol, uuid)) = v.rsplit_once('=') else {
                    bail!("--time-machine wants NAME=UUID, got {v:?}")
                };
                let uuid = apple::parse_uuid(uuid).with_context(|| format!("bad UUID {uuid:?}"))?;
                tm_volumes.push(TimeMachineVolume {
                    name: vol.to_owned(),
                    uuid,
                });
            }
            let server = AfpServer {
                instance_name: name,
                port,
                model,
                tm_volumes,
            };
            publish(server.services()?, p, cli.interfaces).await?;
        }
        Cmd::Browse { service_type, wait } => {
            let ifaces = dnssd::iface::select(&cli.interfaces)?;
            let found =
                dnssd::query::browse(&service_type, &ifaces, Duration::from_secs(wait)).await?;
            for f in &found {
                show(f, &service_type);
            }
            return Ok(!found.is_empty());
        }
        Cmd::Resolve {
            name,
            service_type,
            wait,
        } => {
            let ifaces = dnssd::iface::select(&cli.interfaces)?;
            match dnssd::query::resolve(&name, &service_type, &ifaces, Duration::from_secs(wait))
                .await?
            {
                Some(f) => show(&f, &service_type),
                None => return Ok(false),
            }
        }
    }
    Ok(true)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dnssd: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("dnssd: nothing found");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("dnssd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
