/*
 * Out-of-line wrappers for DPDK's `static inline` functions, function-like
 * macros and thread-locals. One naming rule: the DPDK name plus a trailing
 * underscore. Every wrapper is a plain call-through; shim.c holds the bodies.
 */
#ifndef UPF_DPDK_SHIM_H
#define UPF_DPDK_SHIM_H

#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

/* EAL */
int rte_errno_(void);
void rte_errno_set_(int err);
unsigned int rte_lcore_id_(void);
uint64_t rte_get_tsc_cycles_(void);
uint64_t rte_rdtsc_(void);
void rte_pause_(void);

/* ethdev fast path */
uint16_t rte_eth_rx_burst_(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **rx_pkts, uint16_t nb_pkts);
uint16_t rte_eth_tx_burst_(uint16_t port_id, uint16_t queue_id,
			   struct rte_mbuf **tx_pkts, uint16_t nb_pkts);
uint16_t rte_eth_tx_prepare_(uint16_t port_id, uint16_t queue_id,
			     struct rte_mbuf **tx_pkts, uint16_t nb_pkts);

/* mbuf */
struct rte_mbuf *rte_pktmbuf_alloc_(struct rte_mempool *mp);
int rte_pktmbuf_alloc_bulk_(struct rte_mempool *pool, struct rte_mbuf **mbufs,
			    unsigned int count);
void rte_pktmbuf_free_(struct rte_mbuf *m);
void rte_pktmbuf_reset_(struct rte_mbuf *m);
char *rte_pktmbuf_prepend_(struct rte_mbuf *m, uint16_t len);
char *rte_pktmbuf_append_(struct rte_mbuf *m, uint16_t len);
char *rte_pktmbuf_adj_(struct rte_mbuf *m, uint16_t len);
int rte_pktmbuf_trim_(struct rte_mbuf *m, uint16_t len);
void *rte_pktmbuf_mtod_(struct rte_mbuf *m);
uint16_t rte_pktmbuf_headroom_(const struct rte_mbuf *m);
uint16_t rte_pktmbuf_tailroom_(const struct rte_mbuf *m);
int rte_pktmbuf_is_contiguous_(const struct rte_mbuf *m);
int rte_pktmbuf_linearize_(struct rte_mbuf *m);
uint16_t rte_pktmbuf_data_room_size_(struct rte_mempool *mp);
uint16_t rte_mbuf_refcnt_read_(const struct rte_mbuf *m);
void rte_mbuf_refcnt_set_(struct rte_mbuf *m, uint16_t new_value);
uint16_t rte_mbuf_refcnt_update_(struct rte_mbuf *m, int16_t value);
void rte_mbuf_prefetch_part1_(struct rte_mbuf *m);
void rte_mbuf_prefetch_part2_(struct rte_mbuf *m);
/* Fields inside anonymous unions, whose bindgen names are unstable. */
uint32_t rte_mbuf_rss_hash_(const struct rte_mbuf *m);
/* The flow mark (rte_flow MARK id) in hash.fdir.hi, valid when ol_flags has
 * RTE_MBUF_F_RX_FDIR_ID; the setter is for tests and software marking. */
uint32_t rte_mbuf_fdir_hi_(const struct rte_mbuf *m);
void rte_mbuf_fdir_hi_set_(struct rte_mbuf *m, uint32_t hi);
void rte_mbuf_tx_offload_set_(struct rte_mbuf *m, uint64_t l2_len,
			      uint64_t l3_len, uint64_t l4_len);

/* mempool */
unsigned int rte_mempool_avail_count_(const struct rte_mempool *mp);

/* ring */
unsigned int rte_ring_enqueue_burst_(struct rte_ring *r, void *const *obj_table,
				     unsigned int n, unsigned int *free_space);
unsigned int rte_ring_dequeue_burst_(struct rte_ring *r, void **obj_table,
				     unsigned int n, unsigned int *available);
unsigned int rte_ring_count_(const struct rte_ring *r);

/*
 * Constants defined with RTE_BIT64() or other function-like macros, which
 * bindgen cannot evaluate.
 */
struct upf_dpdk_consts {
	uint64_t eth_rss_ip;
	uint64_t eth_rss_udp;
	uint64_t eth_rss_tcp;
	uint64_t eth_rx_offload_rss_hash;
	uint64_t eth_rx_offload_ipv4_cksum;
	uint64_t eth_rx_offload_udp_cksum;
	uint64_t eth_tx_offload_ipv4_cksum;
	uint64_t eth_tx_offload_udp_cksum;
	uint64_t eth_tx_offload_multi_segs;
	uint64_t eth_tx_offload_mbuf_fast_free;
	uint64_t mbuf_f_tx_ipv4;
	uint64_t mbuf_f_tx_ipv6;
	uint64_t mbuf_f_tx_ip_cksum;
	uint64_t mbuf_f_tx_udp_cksum;
	uint64_t mbuf_f_rx_rss_hash;
	uint32_t eth_link_speed_autoneg;
	uint32_t pktmbuf_headroom;
	uint32_t mbuf_default_buf_size;
	uint32_t max_lcore;
	uint32_t lcore_id_any;
};
void rte_consts_(struct upf_dpdk_consts *out);

#endif
