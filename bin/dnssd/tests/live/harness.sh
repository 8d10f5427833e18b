#!/usr/bin/env bash
# Live DNS-SD discovery check in two private network namespaces (shared/spec/dns-sd.md §9).
#
#   harness.sh 'RESPONDER COMMAND'
#
# Creates namespaces A and B joined by a veth pair (10.253.0.1/24 in A, 10.253.0.2/24 in
# B; these addresses exist only inside the namespaces), runs the responder command with
# `sh -c` in A (environment: IFACE = A's veth name, ADDR = 10.253.0.1), and in B a private
# D-Bus + avahi-daemon (never in the root namespace), tshark, python-zeroconf and dnspython
# to check that:
#   - avahi-browse -rtp resolves _afpovertcp._tcp (port), _device-info._tcp (model=) and
#     _adisk._tcp (dk0=..., sys=...) for the instance;
#   - python-zeroconf browses and resolves the same three;
#   - a legacy unicast query (dnspython, ephemeral port) gets a reply: ID echoed, question
#     repeated, TTL <= 10, no cache-flush bit;
#   - after SIGTERM the goodbye removes the service from avahi's cache;
#   - tshark's dissector flags no malformed packet from the responder.
# The responder must publish instance $INSTANCE with those three services and withdraw
# them (TTL 0) on SIGTERM. Expected values come from the environment (defaults below).
# BROWSER_CMD, if set, is one more browser run in B (see below).
# Ends with "N passed, M failed"; exit status 0 only when nothing failed.
# Needs root, iproute2, dbus-daemon, avahi-daemon, avahi-browse, tshark, python3 with
# zeroconf and dnspython. Everything it starts is killed by PID and the namespaces are
# deleted on exit, also on failure or interruption.
set -u

INSTANCE=${INSTANCE:-zf}
PORT=${EXPECT_PORT:-548}
MODEL=${EXPECT_MODEL:-Xserve}
DK0=${EXPECT_DK0:-dk0=adVN=time_mach,adVF=0xa1,adVU=0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11}
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 1 ]; then
    echo "usage: $0 'RESPONDER COMMAND'" >&2
    exit 2
fi
CMD=$1

die() { echo "harness: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root: it creates network namespaces (ip netns)"
for tool in ip dbus-daemon avahi-daemon avahi-browse tshark timeout; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (apt-get install iproute2 dbus avahi-daemon avahi-utils tshark)"
done
"$PYTHON" -c 'import zeroconf, dns.message' 2>/dev/null || die "$PYTHON lacks zeroconf or dnspython (pip install zeroconf dnspython)"

ID=$$
NA=mdnsA$ID; NB=mdnsB$ID; VA=vA$ID; VB=vB$ID
T=$(mktemp -d /tmp/mdns-harness.XXXXXX)
PIDS=()
cleanup() {
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
    sleep 0.3
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill -9 "${PIDS[$i]}" 2>/dev/null; done
    wait 2>/dev/null
    ip netns del "$NA" 2>/dev/null
    ip netns del "$NB" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NA" || die "ip netns add failed"
ip netns add "$NB" || die "ip netns add failed"
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" || die "veth failed"
for ns in "$NA" "$NB"; do ip -n "$ns" link set lo up; done
ip -n "$NA" addr add 10.253.0.1/24 dev "$VA"
ip -n "$NB" addr add 10.253.0.2/24 dev "$VB"
ip -n "$NA" link set "$VA" up
ip -n "$NB" link set "$VB" up
ip -n "$NA" route add 224.0.0.0/4 dev "$VA"
ip -n "$NB" route add 224.0.0.0/4 dev "$VB"

# Verifier side: private system bus and avahi-daemon restricted to B's veth.
BUS=unix:path=$T/bus-B
cat > "$T/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
cat > "$T/avahi.conf" <<CONF
[server]
host-name=tmbrowser
use-ipv4=yes
use-ipv6=no
allow-interfaces=$VB
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-domain=no
[reflector]
[rlimits]
CONF
BROWSE="ip netns exec $NB env DBUS_SYSTEM_BUS_ADDRESS=$BUS"
ip netns exec "$NB" dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/bus-B" ] && break; sleep 0.1; done
# avahi-daemon keeps its pid file and socket in /run/avahi-daemon: give it a private one
# (a tmpfs in this exec's own mount namespace) so it never clashes with another avahi.
mkdir -p /run/avahi-daemon
ip netns exec "$NB" env DBUS_SYSTEM_BUS_ADDRESS="$BUS" sh -c \
    "mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon -f '$T/avahi.conf' --no-chroot --no-drop-root --no-rlimits" \
    >"$T/avahi.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do grep -q "Server startup complete" "$T/avahi.log" && break; sleep 0.1; done
grep -q "Server startup complete" "$T/avahi.log" || { cat "$T/avahi.log" >&2; die "avahi-daemon in $NB did not start"; }

ip netns exec "$NB" tshark -i "$VB" -f "udp port 5353" -w "$T/cap.pcap" -q >"$T/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=($TSHARK)
for _ in $(seq 100); do grep -q "Capturing on" "$T/tshark.log" && break; sleep 0.1; done

# Responder side.
ip netns exec "$NA" env IFACE="$VA" ADDR=10.253.0.1 sh -c "$CMD" >"$T/responder.log" 2>&1 &
RESPONDER=$!
PIDS+=($RESPONDER)

PASS=0; FAIL=0
check() { # name, then a command whose success is the check
    local name=$1; shift
    if "$@"; then echo "PASS $name"; PASS=$((PASS+1)); else echo "FAIL $name"; FAIL=$((FAIL+1)); fi
}
browse() { $BROWSE timeout 10 avahi-browse -rtp "$1" 2>/dev/null | grep "^=;$VB;IPv4;$INSTANCE;"; }
wait_browse() { # type, fixed-string pattern
    for _ in $(seq 30); do
        browse "$1" | grep -qF -- "$2" && return 0
        sleep 0.5
    done
    echo "  avahi-browse $1 shows:" >&2; browse "$1" >&2
    return 1
}
check "avahi resolves _afpovertcp._tcp on port $PORT at 10.253.0.1" wait_browse _afpovertcp._tcp ";10.253.0.1;$PORT;"
check "avahi resolves _device-info._tcp with model=$MODEL" wait_browse _device-info._tcp "\"model=$MODEL\""
check "avahi resolves _adisk._tcp with $DK0" wait_browse _adisk._tcp "\"$DK0\""
check "avahi sees _adisk sys=waMa=0,adVF=0x100" wait_browse _adisk._tcp '"sys=waMa=0,adVF=0x100"'

check "python-zeroconf browses and resolves all three" \
    ip netns exec "$NB" "$PYTHON" "$HERE/zc_check.py" 10.253.0.2 "$INSTANCE" "$PORT" "model=$MODEL" "$DK0"
check "legacy unicast query gets a proper reply" \
    ip netns exec "$NB" "$PYTHON" "$HERE/legacy_check.py" "$INSTANCE"

# Optional extra browser (e.g. `dnssd browse`), run in B with IFACE set to B's veth; its
# output must show the instance and port.
if [ -n "${BROWSER_CMD:-}" ]; then
    extra_browser() {
        local out
        out=$(ip netns exec "$NB" env IFACE="$VB" sh -c "$BROWSER_CMD" 2>&1)
        echo "$out" | sed 's/^/  /'
        echo "$out" | grep -qE "^=;[^;]*;IPv4;$INSTANCE;[^;]*;local;[^;]*;([^;]*,)?10\.253\.0\.1(,[^;]*)?;$PORT;"
    }
    check "extra browser: $BROWSER_CMD" extra_browser
fi

kill -TERM "$RESPONDER" 2>/dev/null
gone() {
    for _ in $(seq 20); do
        sleep 0.5
        $BROWSE timeout 10 avahi-browse -tp _afpovertcp._tcp 2>/dev/null | grep -q ";$INSTANCE;" || return 0
    done
    return 1
}
check "goodbye removes the service from avahi's cache" gone
for _ in $(seq 50); do kill -0 "$RESPONDER" 2>/dev/null || break; sleep 0.2; done
check "responder exited after SIGTERM" sh -c "! kill -0 $RESPONDER 2>/dev/null"

sleep 0.5
kill -INT "$TSHARK" 2>/dev/null
for _ in $(seq 50); do kill -0 "$TSHARK" 2>/dev/null || break; sleep 0.1; done
malformed() {
    local n bad
    n=$(tshark -r "$T/cap.pcap" -Y "ip.src == 10.253.0.1 && mdns" 2>/dev/null | wc -l)
    bad=$(tshark -r "$T/cap.pcap" -Y "ip.src == 10.253.0.1 && (_ws.malformed || _ws.expert.severity >= 8388608)" 2>/dev/null)
    echo "  tshark: $n mDNS packets from the responder"
    [ "$n" -gt 0 ] && [ -z "$bad" ] || { echo "$bad" >&2; return 1; }
}
check "tshark: no malformed packet from the responder" malformed

if [ "$FAIL" -ne 0 ]; then
    echo "--- responder log" >&2; tail -n 40 "$T/responder.log" >&2
    echo "--- avahi log" >&2; tail -n 20 "$T/avahi.log" >&2
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
