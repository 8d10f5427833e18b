#!/usr/bin/env bash
# Runs COMMAND... next to a private D-Bus system bus and avahi-daemon (host name $AVAHI_HOST,
# default zf, restricted to $IFACE), with DBUS_SYSTEM_BUS_ADDRESS pointing at that bus, so
# the command can register through avahi's D-Bus API. Meant to run inside a network
# namespace created by harness.sh (`ip netns exec` gives it its own mount namespace, where
# /run/avahi-daemon becomes a private tmpfs). On SIGTERM it stops the command, keeps avahi
# up a few seconds so the withdrawal can be observed, then stops avahi and the bus.
set -u
: "${IFACE:?IFACE must name the interface}"
T=$(mktemp -d /tmp/mdns-avahi-side.XXXXXX)
BUS=unix:path=$T/bus
cat > "$T/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
CONF
cat > "$T/avahi.conf" <<CONF
[server]
host-name=${AVAHI_HOST:-zf}
use-ipv4=yes
use-ipv6=no
allow-interfaces=$IFACE
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
DBUS=; AVAHI=; CHILD=
stop() {
    [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
    sleep 4
    [ -n "$AVAHI" ] && kill "$AVAHI" 2>/dev/null
    [ -n "$DBUS" ] && kill "$DBUS" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
    exit 0
}
trap stop TERM INT
mount -t tmpfs tmpfs /run/avahi-daemon || { echo "cannot mount a private /run/avahi-daemon" >&2; exit 1; }
dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
DBUS=$!
for _ in $(seq 50); do [ -S "$T/bus" ] && break; sleep 0.1; done
DBUS_SYSTEM_BUS_ADDRESS=$BUS avahi-daemon -f "$T/avahi.conf" --no-chroot --no-drop-root --no-rlimits >"$T/avahi.log" 2>&1 &
AVAHI=$!
for _ in $(seq 150); do grep -q "Server startup complete" "$T/avahi.log" && break; sleep 0.1; done
export DBUS_SYSTEM_BUS_ADDRESS=$BUS
"$@" &
CHILD=$!
wait "$CHILD"
CHILD=
stop
