//! Bonjour advertisement (`zeroconf = yes`, the default), through the `dnssd` crate:
//! avahi-daemon over D-Bus when it runs (as netatalk does), else the built-in mDNS
//! responder. Spec `dns-sd.md` §4: `_afpovertcp._tcp` on the AFP port,
//! `_device-info._tcp` with `model=` (`mimic model`, default Xserve), and `_adisk._tcp`
//! listing the `time machine = yes` volumes with their UUIDs.
//!
//! Published when the server listens, updated after a SIGHUP reload, withdrawn (goodbye
//! packets) at shutdown. A failure to advertise is logged and the server runs on.

use dnssd::{AdvertiseConfig, Advertiser, AfpServer, TimeMachineVolume};

use crate::config::Config;
use crate::state::StateDir;

/// The running advertisement, if any.
pub struct Zeroconf {
    adv: Option<Advertiser>,
    port: u16,
}

impl std::fmt::Debug for Zeroconf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zeroconf")
            .field("running", &self.adv.is_some())
            .field("port", &self.port)
            .finish()
    }
}

/// What `config` publishes on `port`.
pub fn afp_server(config: &Config, state: &StateDir, port: u16) -> AfpServer {
    let name = config
        .global
        .zeroconf_name
        .clone()
        .unwrap_or_else(|| config.server_name().to_owned());
    let tm_volumes = config
        .advertised_volumes()
        .into_iter()
        .filter(|v| v.time_machine)
        .filter_map(|v| {
            let text = match v.volume_uuid {
                Some(u) => u,
                None => state.volume_uuid(&v.name).ok()?,
            };
            Some(TimeMachineVolume {
                name: v.name,
                uuid: parse_uuid(&text)?,
            })
        })
        .collect();
    AfpServer {
        instance_name: name,
        port,
        model: config.global.mimic_model.clone(),
        tm_volumes,
    }
}

/// `8-4-4-4-12` hex text to bytes.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

impl Zeroconf {
    /// Starts advertising if `zeroconf = yes`.
    pub async fn start(config: &Config, state: &StateDir, port: u16) -> Zeroconf {
        let mut z = Zeroconf { adv: None, port };
        if !config.global.zeroconf {
            return z;
        }
        let server = afp_server(config, state, port);
        let cfg = match AdvertiseConfig::afp(&server) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "afpd", "zeroconf: cannot describe the services: {e}");
                return z;
            }
        };
        match Advertiser::start(cfg).await {
            Ok(adv) => {
                tracing::info!(target: "afpd", backend = ?adv.backend(), name = %server.instance_name, "zeroconf: advertising");
                z.adv = Some(adv);
            }
            Err(e) => tracing::warn!(target: "afpd", "zeroconf: not advertising: {e}"),
        }
        z
    }

    /// After a reload: publish what the new configuration says (start, update or stop).
    pub async fn update(&mut self, config: &Config, state: &StateDir) {
        if !config.global.zeroconf {
            if let Some(adv) = self.adv.take()
                && let Err(e) = adv.shutdown().await
            {
                tracing::warn!(target: "afpd", "zeroconf: withdrawing: {e}");
            }
            return;
        }
        let Some(adv) = &self.adv else {
            *self = Zeroconf::start(config, state, self.port).await;
            return;
        };
        let server = afp_server(config, state, self.port);
        match server.services() {
            Ok(services) => {
                if let Err(e) = adv.update(services).await {
                    tracing::warn!(target: "afpd", "zeroconf: update failed: {e}");
                }
            }
            Err(e) => tracing::warn!(target: "afpd", "zeroconf: cannot describe the services: {e}"),
        }
    }

    /// Withdraws the services (goodbyes).
    pub async fn shutdown(&mut self) {
        if let Some(adv) = self.adv.take()
            && let Err(e) = adv.shutdown().await
        {
            tracing::warn!(target: "afpd", "zeroconf: withdrawing: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse() {
        assert_eq!(
            parse_uuid("0B0B0B0B-0B0B-0B0B-0B0B-0B0B0B0B0B0B"),
            Some([0x0b; 16])
        );
        assert_eq!(parse_uuid("nope"), None);
    }

    #[test]
    fn time_machine_volumes_are_published_with_their_uuid() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("afp.conf");
        std::fs::write(
            &conf,
            "[Global]\nserver name = zf\nmimic model = TimeCapsule8,119\n\
             [tm]\npath = /tmp\ntime machine = yes\nvolume uuid = 0B0B0B0B-0B0B-0B0B-0B0B-0B0B0B0B0B0B\n\
             [plain]\npath = /tmp\n",
        )
        .unwrap();
        let config = Config::load(&conf, &crate::config::LoadOptions::new(dir.path()))
            .unwrap()
            .config;
        let state = StateDir::open(dir.path(), false).unwrap();
        let s = afp_server(&config, &state, 548);
        assert_eq!(s.instance_name, "zf");
        assert_eq!(s.model.as_deref(), Some("TimeCapsule8,119"));
        assert_eq!(s.tm_volumes.len(), 1);
        assert_eq!(s.tm_volumes[0].name, "tm");
        assert_eq!(s.tm_volumes[0].uuid, [0x0b; 16]);
        assert_eq!(s.services().unwrap().len(), 3);
    }
}
