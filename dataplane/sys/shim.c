/*
 * Out-of-line bodies for the wrappers declared in shim.h. Compiled with the
 * same cflags as the bindings (pkg-config's, including -march), so each
 * wrapper inlines DPDK's own code and the Rust side pays one direct call.
 */
#include "wrapper.h"

int rte_errno_(void) { return rte_errno; }
void rte_errno_set_(int err) { rte_errno = err; }
unsigned int rte_lcore_id_(void) { return rte_lcore_id(); }
uint64_t rte_get_tsc_cycles_(void) { return rte_get_tsc_cycles(); }
uint64_t rte_rdtsc_(void) { return rte_rdtsc(); }
void rte_pause_(void) { rte_pause(); }

uint16_t rte_eth_rx_burst_(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
	return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t rte_eth_tx_burst_(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

uint16_t rte_eth_tx_prepare_(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
	return rte_eth_tx_prepare(port_id, queue_id, tx_pkts, nb_pkts);
}

struct rte_mbuf *rte_pktmbuf_alloc_(struct rte_mempool *mp)
{
	return rte_pktmbuf_alloc(mp);
}

int rte_pktmbuf_alloc_bulk_(struct rte_mempool *pool, struct rte_mbuf **mbufs,
			    unsigned int count)
{
	return rte_pktmbuf_alloc_bulk(pool, mbufs, count);
}

void rte_pktmbuf_free_(struct rte_mbuf *m) { rte_pktmbuf_free(m); }
void rte_pktmbuf_reset_(struct rte_mbuf *m) { rte_pktmbuf_reset(m); }

char *rte_pktmbuf_prepend_(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_prepend(m, len);
}

char *rte_pktmbuf_append_(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_append(m, len);
}

char *rte_pktmbuf_adj_(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_adj(m, len);
}

int rte_pktmbuf_trim_(struct rte_mbuf *m, uint16_t len)
{
	return rte_pktmbuf_trim(m, len);
}

void *rte_pktmbuf_mtod_(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, void *); }

uint16_t rte_pktmbuf_headroom_(const struct rte_mbuf *m)
{
	return rte_pktmbuf_headroom(m);
}

uint16_t rte_pktmbuf_tailroom_(const struct rte_mbuf *m)
{
	return rte_pktmbuf_tailroom(m);
}

int rte_pktmbuf_is_contiguous_(const struct rte_mbuf *m)
{
	return rte_pktmbuf_is_contiguous(m);
}

int rte_pktmbuf_linearize_(struct rte_mbuf *m) { return rte_pktmbuf_linearize(m); }

uint16_t rte_pktmbuf_data_room_size_(struct rte_mempool *mp)
{
	return rte_pktmbuf_data_room_size(mp);
}

uint16_t rte_mbuf_refcnt_read_(const struct rte_mbuf *m)
{
	return rte_mbuf_refcnt_read(m);
}

void rte_mbuf_refcnt_set_(struct rte_mbuf *m, uint16_t new_value)
{
	rte_mbuf_refcnt_set(m, new_value);
}

uint16_t rte_mbuf_refcnt_update_(struct rte_mbuf *m, int16_t value)
{
	return rte_mbuf_refcnt_update(m, value);
}

void rte_mbuf_prefetch_part1_(struct rte_mbuf *m) { rte_mbuf_prefetch_part1(m); }
void rte_mbuf_prefetch_part2_(struct rte_mbuf *m) { rte_mbuf_prefetch_part2(m); }

uint32_t rte_mbuf_rss_hash_(const struct rte_mbuf *m) { return m->hash.rss; }

uint32_t rte_mbuf_fdir_hi_(const struct rte_mbuf *m) { return m->hash.fdir.hi; }

void rte_mbuf_fdir_hi_set_(struct rte_mbuf *m, uint32_t hi) { m->hash.fdir.hi = hi; }

void rte_mbuf_tx_offload_set_(struct rte_mbuf *m, uint64_t l2_len,
			      uint64_t l3_len, uint64_t l4_len)
{
	m->tx_offload = rte_mbuf_tx_offload(l2_len, l3_len, l4_len, 0, 0, 0, 0);
}

unsigned int rte_mempool_avail_count_(const struct rte_mempool *mp)
{
	return rte_mempool_avail_count(mp);
}

unsigned int rte_ring_enqueue_burst_(struct rte_ring *r, void *const *obj_table,
				     unsigned int n, unsigned int *free_space)
{
	return rte_ring_enqueue_burst(r, obj_table, n, free_space);
}

unsigned int rte_ring_dequeue_burst_(struct rte_ring *r, void **obj_table,
				     unsigned int n, unsigned int *available)
{
	return rte_ring_dequeue_burst(r, obj_table, n, available);
}

unsigned int rte_ring_count_(const struct rte_ring *r) { return rte_ring_count(r); }

void rte_consts_(struct upf_dpdk_consts *out)
{
	out->eth_rss_ip = RTE_ETH_RSS_IP;
	out->eth_rss_udp = RTE_ETH_RSS_UDP;
	out->eth_rss_tcp = RTE_ETH_RSS_TCP;
	out->eth_rx_offload_rss_hash = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	out->eth_rx_offload_ipv4_cksum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	out->eth_rx_offload_udp_cksum = RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	out->eth_tx_offload_ipv4_cksum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	out->eth_tx_offload_udp_cksum = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	out->eth_tx_offload_multi_segs = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	out->eth_tx_offload_mbuf_fast_free = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	out->mbuf_f_tx_ipv4 = RTE_MBUF_F_TX_IPV4;
	out->mbuf_f_tx_ipv6 = RTE_MBUF_F_TX_IPV6;
	out->mbuf_f_tx_ip_cksum = RTE_MBUF_F_TX_IP_CKSUM;
	out->mbuf_f_tx_udp_cksum = RTE_MBUF_F_TX_UDP_CKSUM;
	out->mbuf_f_rx_rss_hash = RTE_MBUF_F_RX_RSS_HASH;
	out->eth_link_speed_autoneg = RTE_ETH_LINK_SPEED_AUTONEG;
	out->pktmbuf_headroom = RTE_PKTMBUF_HEADROOM;
	out->mbuf_default_buf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
	out->max_lcore = RTE_MAX_LCORE;
	out->lcore_id_any = LCORE_ID_ANY;
}
