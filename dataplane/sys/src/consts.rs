//! DPDK 22.11 constants defined through function-like macros (`RTE_BIT64(n)`),
//! which bindgen cannot evaluate. The values are copied from the 22.11
//! headers; the test below compares each one with the value the C compiler
//! sees (through the shim's `rte_consts_`), so a drift fails `cargo test`.

const fn bit(n: u32) -> u64 {
    1u64 << n
}

/// `RTE_ETH_RSS_IPV4` and the other single RSS flow types used below.
pub const RTE_ETH_RSS_IPV4: u64 = bit(2);
pub const RTE_ETH_RSS_FRAG_IPV4: u64 = bit(3);
pub const RTE_ETH_RSS_NONFRAG_IPV4_TCP: u64 = bit(4);
pub const RTE_ETH_RSS_NONFRAG_IPV4_UDP: u64 = bit(5);
pub const RTE_ETH_RSS_NONFRAG_IPV4_OTHER: u64 = bit(7);
pub const RTE_ETH_RSS_IPV6: u64 = bit(8);
pub const RTE_ETH_RSS_FRAG_IPV6: u64 = bit(9);
pub const RTE_ETH_RSS_NONFRAG_IPV6_TCP: u64 = bit(10);
pub const RTE_ETH_RSS_NONFRAG_IPV6_UDP: u64 = bit(11);
pub const RTE_ETH_RSS_NONFRAG_IPV6_OTHER: u64 = bit(13);
pub const RTE_ETH_RSS_IPV6_EX: u64 = bit(15);
pub const RTE_ETH_RSS_IPV6_TCP_EX: u64 = bit(16);
pub const RTE_ETH_RSS_IPV6_UDP_EX: u64 = bit(17);

/// `RTE_ETH_RSS_IP`: hash on IP addresses for every IPv4/IPv6 packet.
pub const RTE_ETH_RSS_IP: u64 = RTE_ETH_RSS_IPV4
    | RTE_ETH_RSS_FRAG_IPV4
    | RTE_ETH_RSS_NONFRAG_IPV4_OTHER
    | RTE_ETH_RSS_IPV6
    | RTE_ETH_RSS_FRAG_IPV6
    | RTE_ETH_RSS_NONFRAG_IPV6_OTHER
    | RTE_ETH_RSS_IPV6_EX;
/// `RTE_ETH_RSS_UDP`: hash on addresses and ports of UDP packets.
pub const RTE_ETH_RSS_UDP: u64 =
    RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV6_UDP_EX;
/// `RTE_ETH_RSS_TCP`.
pub const RTE_ETH_RSS_TCP: u64 =
    RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX;

pub const RTE_ETH_RX_OFFLOAD_IPV4_CKSUM: u64 = bit(1);
pub const RTE_ETH_RX_OFFLOAD_UDP_CKSUM: u64 = bit(2);
pub const RTE_ETH_RX_OFFLOAD_RSS_HASH: u64 = bit(19);

pub const RTE_ETH_TX_OFFLOAD_IPV4_CKSUM: u64 = bit(1);
pub const RTE_ETH_TX_OFFLOAD_UDP_CKSUM: u64 = bit(2);
pub const RTE_ETH_TX_OFFLOAD_MULTI_SEGS: u64 = bit(15);
pub const RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE: u64 = bit(16);

pub const RTE_MBUF_F_RX_RSS_HASH: u64 = 1 << 1;
pub const RTE_MBUF_F_TX_UDP_CKSUM: u64 = 3 << 52;
pub const RTE_MBUF_F_TX_IP_CKSUM: u64 = 1 << 54;
pub const RTE_MBUF_F_TX_IPV4: u64 = 1 << 55;
pub const RTE_MBUF_F_TX_IPV6: u64 = 1 << 56;

pub const RTE_ETH_LINK_SPEED_AUTONEG: u32 = 0;

/// `RTE_PKTMBUF_HEADROOM` as configured in the DPDK build.
pub const RTE_PKTMBUF_HEADROOM: u32 = crate::RTE_PKTMBUF_HEADROOM;
/// `RTE_MBUF_DEFAULT_BUF_SIZE`: 2048 bytes of data room plus the headroom.
pub const RTE_MBUF_DEFAULT_BUF_SIZE: u32 = 2048 + RTE_PKTMBUF_HEADROOM;
/// `LCORE_ID_ANY`: what `rte_lcore_id()` returns on a non-EAL thread.
pub const LCORE_ID_ANY: u32 = u32::MAX;
/// `RTE_ETH_RSS_GTPU`: RSS on the GTP-U TEID (devices that parse GTP-U).
pub const RTE_ETH_RSS_GTPU: u64 = bit(23);
/// `RING_F_SP_ENQ`: the ring's default enqueue is single-producer.
pub const RING_F_SP_ENQ: u32 = 0x0001;
/// `RING_F_SC_DEQ`: the ring's default dequeue is single-consumer.
pub const RING_F_SC_DEQ: u32 = 0x0002;

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn constants_match_the_c_headers() {
        let mut c = crate::upf_dpdk_consts::default();
        // SAFETY: `rte_consts_` only writes the struct it is given.
        unsafe { crate::rte_consts_(&mut c) };
        assert_eq!(c.eth_rss_ip, RTE_ETH_RSS_IP);
        assert_eq!(c.eth_rss_udp, RTE_ETH_RSS_UDP);
        assert_eq!(c.eth_rss_tcp, RTE_ETH_RSS_TCP);
        assert_eq!(c.eth_rx_offload_rss_hash, RTE_ETH_RX_OFFLOAD_RSS_HASH);
        assert_eq!(c.eth_rx_offload_ipv4_cksum, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
        assert_eq!(c.eth_rx_offload_udp_cksum, RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
        assert_eq!(c.eth_tx_offload_ipv4_cksum, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
        assert_eq!(c.eth_tx_offload_udp_cksum, RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
        assert_eq!(c.eth_tx_offload_multi_segs, RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
        assert_eq!(
            c.eth_tx_offload_mbuf_fast_free,
            RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE
        );
        assert_eq!(c.mbuf_f_tx_ipv4, RTE_MBUF_F_TX_IPV4);
        assert_eq!(c.mbuf_f_tx_ipv6, RTE_MBUF_F_TX_IPV6);
        assert_eq!(c.mbuf_f_tx_ip_cksum, RTE_MBUF_F_TX_IP_CKSUM);
        assert_eq!(c.mbuf_f_tx_udp_cksum, RTE_MBUF_F_TX_UDP_CKSUM);
        assert_eq!(c.mbuf_f_rx_rss_hash, RTE_MBUF_F_RX_RSS_HASH);
        assert_eq!(c.eth_link_speed_autoneg, RTE_ETH_LINK_SPEED_AUTONEG);
        assert_eq!(c.pktmbuf_headroom, RTE_PKTMBUF_HEADROOM);
        assert_eq!(c.mbuf_default_buf_size, RTE_MBUF_DEFAULT_BUF_SIZE);
        assert_eq!(c.max_lcore, crate::RTE_MAX_LCORE);
        assert_eq!(c.lcore_id_any, LCORE_ID_ANY);
    }

    #[test]
    fn version_is_supported() {
        // SAFETY: `rte_version` returns a static NUL-terminated string and
        // needs no EAL.
        let v = unsafe { std::ffi::CStr::from_ptr(crate::rte_version()) };
        let v = v.to_str().unwrap();
        assert!(v.starts_with("DPDK 22.11"), "{v}");
        assert!(crate::DPDK_VERSION.starts_with("22.11"));
    }
}
