//! DPDK ports, mbufs and pinned polling workers.
