-- pktgen-dpdk: downlink IP toward UE addresses at line rate (range mode).
--
--   pktgen -l 0-2 -n 4 -a <N6 tester port> -- -m "[1:2].0" -f perf/pktgen/ip_downlink.lua
--
-- Port 0 here faces the UPF's N6. Destinations walk the UE addresses
-- 10.0.0.1 .. 10.0.0.1 + SESSIONS - 1 (one per session), source is the
-- data-network server 203.0.113.5, UDP 5001 -> 40000. The UPF sends them to
-- the gNB 192.0.2.10 from its N3 address 192.0.2.1 in GTP-U with TEID
-- 0x20000000 + i and a DL PDU Session Container.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local sessions = tonumber(os.getenv("SESSIONS") or "100000")
local size = tonumber(os.getenv("SIZE") or "64")
local rate = tonumber(os.getenv("RATE") or "100")
local seconds = tonumber(os.getenv("SECONDS") or "30")
local upf_mac = os.getenv("UPF_N6_MAC") or "02:00:00:00:06:01"

local UPF_N3, GNB, DN, UE_FIRST = "192.0.2.1", "192.0.2.10", "203.0.113.5", "10.0.0.1"

-- Last UE address of the range.
local function ue_last(n)
  local a = 10 * 2^24 + 1 + (n - 1)
  return string.format("%d.%d.%d.%d", math.floor(a / 2^24) % 256,
                       math.floor(a / 2^16) % 256, math.floor(a / 2^8) % 256, a % 256)
end

pktgen.set_range(port, "on")
pktgen.dst_mac(port, "start", upf_mac)
pktgen.src_ip(port, "start", DN)
pktgen.src_ip(port, "inc", "0.0.0.0")
pktgen.src_ip(port, "min", DN)
pktgen.src_ip(port, "max", DN)
pktgen.dst_ip(port, "start", UE_FIRST)
pktgen.dst_ip(port, "inc", "0.0.0.1")
pktgen.dst_ip(port, "min", UE_FIRST)
pktgen.dst_ip(port, "max", ue_last(sessions))
pktgen.ip_proto(port, "udp")
pktgen.src_port(port, "start", 5001)
pktgen.src_port(port, "inc", 0)
pktgen.src_port(port, "min", 5001)
pktgen.src_port(port, "max", 5001)
pktgen.dst_port(port, "start", 40000)
pktgen.dst_port(port, "inc", 0)
pktgen.dst_port(port, "min", 40000)
pktgen.dst_port(port, "max", 40000)
pktgen.pkt_size(port, "start", size)
pktgen.pkt_size(port, "inc", 0)
pktgen.pkt_size(port, "min", size)
pktgen.pkt_size(port, "max", size)
pktgen.set(port, "rate", rate)

printf("IP downlink %s -> %s..%s (%d sessions), %d B, %d%% for %d s; UPF N3 %s, gNB %s\n",
       DN, UE_FIRST, ue_last(sessions), sessions, size, rate, seconds, UPF_N3, GNB)
pktgen.clr()
pktgen.start(port)
pktgen.delay(seconds * 1000)
pktgen.stop(port)
pktgen.delay(500)
local st = pktgen.portStats(port, "port")[tonumber(port)]
printf("tx packets %d, tx bytes %d, rx packets %d\n", st.opackets, st.obytes, st.ipackets)
