# shellcheck shell=bash
# The lab topology the demo and the end-to-end tests share:
#
#   upf-gnb-<id>: 10.100.3.2/24 (the gNB)       u3g<id> --veth-- u3r<id>  N3 10.100.3.1 (UPF, net_af_packet)
#   upf-dn-<id>:  10.100.6.2/24 (a DN host,     u6d<id> --veth-- u6r<id>  N6 10.100.6.1 (UPF, net_af_packet)
#                 default via 10.100.6.1; UDP echo on 7777)
#
# MAC addresses are fixed and entered as static neighbours on both sides, so
# no packet of a measured exchange waits for address resolution. The UE
# pool is 10.45.0.0/16. Source this file; every function takes the id.

E2E_GNB_ADDR=10.100.3.2
E2E_UPF_N3=10.100.3.1
E2E_DN_ADDR=10.100.6.2
E2E_UPF_N6=10.100.6.1
E2E_MAC_UPF_N3=02:00:00:00:03:01
E2E_MAC_GNB=02:00:00:00:03:02
E2E_MAC_UPF_N6=02:00:00:00:06:01
E2E_MAC_DN=02:00:00:00:06:02
E2E_UDP_ECHO_PORT=7777

e2e_names() {
    local id=$1
    GNB_NS=upf-gnb-$id
    DN_NS=upf-dn-$id
    N3_IF=u3r$id
    N6_IF=u6r$id
    GNB_IF=u3g$id
    DN_IF=u6d$id
}

# e2e_up ID: namespaces, veths, addresses, neighbours, the DN's UDP echo.
e2e_up() {
    e2e_names "$1"
    ip netns add "$GNB_NS"
    ip netns add "$DN_NS"
    ip link add "$N3_IF" address $E2E_MAC_UPF_N3 type veth peer name "$GNB_IF" address $E2E_MAC_GNB
    ip link add "$N6_IF" address $E2E_MAC_UPF_N6 type veth peer name "$DN_IF" address $E2E_MAC_DN
    ip link set "$GNB_IF" netns "$GNB_NS"
    ip link set "$DN_IF" netns "$DN_NS"
    # The UPF's ends carry no kernel addresses and no IPv6 chatter.
    for i in "$N3_IF" "$N6_IF"; do
        sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
        ip link set "$i" up
    done
    local ns
    for ns in "$GNB_NS" "$DN_NS"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$GNB_NS" addr add $E2E_GNB_ADDR/24 dev "$GNB_IF"
    ip -n "$GNB_NS" link set "$GNB_IF" up
    ip -n "$GNB_NS" neigh replace $E2E_UPF_N3 lladdr $E2E_MAC_UPF_N3 dev "$GNB_IF" nud permanent
    ip -n "$DN_NS" addr add $E2E_DN_ADDR/24 dev "$DN_IF"
    ip -n "$DN_NS" link set "$DN_IF" up
    ip -n "$DN_NS" route add default via $E2E_UPF_N6
    ip -n "$DN_NS" neigh replace $E2E_UPF_N6 lladdr $E2E_MAC_UPF_N6 dev "$DN_IF" nud permanent
    # The DN host answers UDP with the same payload (and ping with its kernel).
    ip netns exec "$DN_NS" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", '$E2E_UDP_ECHO_PORT'))
while True:
    data, peer = s.recvfrom(4096)
    s.sendto(data, peer)
' </dev/null >/dev/null 2>&1 &
    E2E_ECHO_PID=$!
    echo "$E2E_ECHO_PID" >"/tmp/upf-e2e-$1.echo.pid"
}

# e2e_down ID: removes what e2e_up created (quietly; safe to repeat).
e2e_down() {
    e2e_names "$1"
    if [ -f "/tmp/upf-e2e-$1.echo.pid" ]; then
        kill "$(cat "/tmp/upf-e2e-$1.echo.pid")" 2>/dev/null || true
        rm -f "/tmp/upf-e2e-$1.echo.pid"
    fi
    ip netns del "$GNB_NS" 2>/dev/null || true
    ip netns del "$DN_NS" 2>/dev/null || true
    ip link del "$N3_IF" 2>/dev/null || true
    ip link del "$N6_IF" 2>/dev/null || true
}

# e2e_config ID FILE HUGE(yes|no) CONTROL_CPU WORKER_CPU LOG_FORMAT:
# a UPF configuration for the topology, every listener on loopback with a
# port the kernel picks (read back from the log).
e2e_config() {
    e2e_names "$1"
    local file=$2 huge=$3 control=$4 worker=$5 format=${6:-text}
    local eal
    if [ "$huge" = yes ]; then
        eal="no_huge = false
in_memory = true"
    else
        eal="no_huge = true
in_memory = false"
    fi
    cat >"$file" <<EOF
[log]
filter = "info"
format = "$format"

[cores]
control = "$control"
workers = "$worker"

[eal]
$eal
memory_mb = 256
file_prefix = "upf-e2e-$1"

[dataplane]
enabled = true
idle_yield = true        # a shared lab machine: workers yield when idle

[ports.n3]
vdev = "net_af_packet0,iface=$N3_IF"
[ports.n6]
vdev = "net_af_packet1,iface=$N6_IF"

[interfaces.n3]
addresses = ["$E2E_UPF_N3/24"]
neighbors = { "$E2E_GNB_ADDR" = "$E2E_MAC_GNB" }
[interfaces.n6]
addresses = ["$E2E_UPF_N6/24"]
neighbors = { "$E2E_DN_ADDR" = "$E2E_MAC_DN" }

[pfcp]
node_id = "127.0.0.1"
listen = ["127.0.0.1:0"]
heartbeat_interval_ms = 5000

[limits]
max_sessions = 1024

[management]
grpc_listen = "127.0.0.1:0"
http_listen = "127.0.0.1:0"
shutdown_grace_ms = 3000
EOF
}
