-- pktgen-dpdk: uplink GTP-U at line rate from a pcap made by upf-gen.
--
-- pktgen has no field engine for GTP-U TEIDs, so the traffic comes from a
-- capture the project's generator writes (N sessions, TEID 0x10000000 + i,
-- inner source 10.0.0.1 + i, PDU Session Container on every other packet,
-- gNB 192.0.2.10 -> UPF N3 192.0.2.1, inner destination 203.0.113.5):
--
--   upf-gen pcap --direction uplink --sessions 100000 --size 64 --frames 100000 \
--       --out /tmp/uplink.pcap
--   pktgen -l 0-2 -n 4 -a <N3 tester port> -- -m "[1:2].0" -s 0:/tmp/uplink.pcap \
--       -f perf/pktgen/gtpu_uplink.lua
--
-- Port 0 faces the UPF's N3. The script plays the capture in a loop at
-- `rate` percent of line rate for `seconds`, then prints the port figures.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local rate = tonumber(os.getenv("RATE") or "100")
local seconds = tonumber(os.getenv("SECONDS") or "30")

-- Constants for the record: the capture must have been made with these.
local UPF_N3, GNB, DN = "192.0.2.1", "192.0.2.10", "203.0.113.5"
local UL_TEID_BASE = 0x10000000

printf("GTP-U uplink %s -> %s (server %s), TEIDs from 0x%08x, %d%% for %d s\n",
       GNB, UPF_N3, DN, UL_TEID_BASE, rate, seconds)

pktgen.pcap(port, "on")
pktgen.set(port, "rate", rate)
pktgen.clr()
pktgen.start(port)
pktgen.delay(seconds * 1000)
pktgen.stop(port)
pktgen.delay(500)

local st = pktgen.portStats(port, "port")[tonumber(port)]
printf("tx packets %d, tx bytes %d, rx packets %d, tx errors %d\n",
       st.opackets, st.obytes, st.ipackets, st.oerrors)
local rates = pktgen.portStats(port, "rate")[tonumber(port)]
if rates then
  printf("last tx rate %d pps, rx rate %d pps\n", rates.pkts_tx or 0, rates.pkts_rx or 0)
end
