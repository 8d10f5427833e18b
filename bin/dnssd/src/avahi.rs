//! Registering through a running avahi-daemon over D-Bus, as netatalk does
//! (`etc/afpd/afp_avahi.c`): one `EntryGroup` holding every service, re-added under an
//! alternative name on collision, freed on shutdown (avahi then sends the goodbyes).
//!
//! D-Bus API used (avahi 0.8, `org.freedesktop.Avahi`):
//! - `Server.EntryGroupNew() -> o`, `Server.GetNetworkInterfaceIndexByName(s) -> i`,
//!   `Server.GetAlternativeServiceName(s) -> s`
//! - `EntryGroup.AddService(i iface, i proto, u flags, s name, s type, s domain, s host,
//!   q port, aay txt)`, `Commit()`, `Reset()`, `Free()`, signal `StateChanged(i, s)`

use std::sync::Arc;

use futures_util::StreamExt;
use mdns_records::dnssd::Service;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use zbus::zvariant::OwnedObjectPath;
use zbus::{Connection, Proxy};

const AVAHI: &str = "org.freedesktop.Avahi";
const IF_UNSPEC: i32 = -1;
const PROTO_UNSPEC: i32 = -1;
const STATE_ESTABLISHED: i32 = 2;
const STATE_COLLISION: i32 = 3;
const STATE_FAILURE: i32 = 4;

/// True when some process owns `org.freedesktop.Avahi` on the system bus
/// (`DBUS_SYSTEM_BUS_ADDRESS` is honoured).
pub(crate) async fn connect_if_running() -> Option<Connection> {
    // A bus socket nobody serves must not hang afpd's start-up.
    let connect = tokio::time::timeout(std::time::Duration::from_secs(3), Connection::system());
    let conn = connect.await.ok()?.ok()?;
    let dbus = Proxy::new(
        &conn,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
    )
    .await
    .ok()?;
    let owned: bool = dbus.call("NameHasOwner", &(AVAHI,)).await.ok()?;
    owned.then_some(conn)
}

struct State {
    services: Vec<Service>,
    interfaces: Vec<i32>,
}

pub(crate) struct Avahi {
    group: Proxy<'static>,
    state: Arc<Mutex<State>>,
    watcher: JoinHandle<()>,
}

/// `_afpovertcp._tcp.local.` → `_afpovertcp._tcp`.
fn avahi_type(s: &Service) -> String {
    let labels: Vec<String> = s
        .service_type()
        .labels()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let n = labels.len().saturating_sub(1);
    labels[..n].join(".")
}

async fn add_all(group: &Proxy<'_>, state: &State) -> zbus::Result<()> {
    for s in &state.services {
        let txt: Vec<Vec<u8>> = s.txt().strings().iter().map(|b| b.to_vec()).collect();
        for &iface in &state.interfaces {
            let args = (
                iface,
                PROTO_UNSPEC,
                0u32,
                s.instance(),
                avahi_type(s),
                "",
                "",
                s.port(),
                txt.clone(),
            );
            group.call::<_, _, ()>("AddService", &args).await?;
        }
    }
    group.call::<_, _, ()>("Commit", &()).await
}

impl Avahi {
    pub(crate) async fn start(
        conn: Connection,
        services: Vec<Service>,
        interface_names: &[String],
    ) -> zbus::Result<Self> {
        let server = Proxy::new(&conn, AVAHI, "/", "org.freedesktop.Avahi.Server").await?;
        let mut interfaces = Vec::new();
        for name in interface_names {
            interfaces.push(
                server
                    .call::<_, _, i32>("GetNetworkInterfaceIndexByName", &(name.as_str(),))
                    .await?,
            );
        }
        if interfaces.is_empty() {
            interfaces.push(IF_UNSPEC);
        }
        let path: OwnedObjectPath = server.call("EntryGroupNew", &()).await?;
        let group = Proxy::new_owned(
            conn.clone(),
            AVAHI,
            path,
            "org.freedesktop.Avahi.EntryGroup",
        )
        .await?;
        let state = Arc::new(Mutex::new(State {
            services,
            interfaces,
        }));
        let mut signals = group.receive_signal("StateChanged").await?;
        add_all(&group, &*state.lock().await).await?;
        let watcher = {
            let group = group.clone();
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                while let Some(msg) = signals.next().await {
                    let Ok((code, error)) = msg.body().deserialize::<(i32, String)>() else {
                        continue;
                    };
                    match code {
                        STATE_ESTABLISHED => tracing::info!("avahi: services established"),
                        STATE_COLLISION => {
                            let mut st = state.lock().await;
                            for s in &mut st.services {
                                let alt: String = server
                                    .call("GetAlternativeServiceName", &(s.instance(),))
                                    .await
                                    .unwrap_or_else(|_| {
                                        mdns_records::dnssd::next_instance_name(s.instance())
                                    });
                                tracing::warn!(
                                    "avahi: name conflict, {} renamed to {alt}",
                                    s.instance()
                                );
                                let _ = s.set_instance(&alt);
                            }
                            let reset = group.call::<_, _, ()>("Reset", &()).await;
                            if let Err(e) = reset.and(add_all(&group, &st).await) {
                                tracing::error!("avahi: re-registering failed: {e}");
                            }
                        }
                        STATE_FAILURE => tracing::error!("avahi: registration failed: {error}"),
                        _ => {}
                    }
                }
            })
        };
        Ok(Avahi {
            group,
            state,
            watcher,
        })
    }

    pub(crate) async fn update(&self, services: Vec<Service>) -> zbus::Result<()> {
        let mut st = self.state.lock().await;
        st.services = services;
        self.group.call::<_, _, ()>("Reset", &()).await?;
        add_all(&self.group, &st).await
    }

    pub(crate) async fn shutdown(self) -> zbus::Result<()> {
        self.watcher.abort();
        self.group.call::<_, _, ()>("Free", &()).await
    }
}
