/*
 * The DPDK API surface the UPF binds to. bindgen runs on this one header
 * (with pkg-config's cflags, which `-include rte_config.h`), and shim.h
 * declares the out-of-line wrappers that shim.c compiles for the `static
 * inline` functions and thread-locals.
 */
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_version.h>
#include <rte_malloc.h>
#include <rte_dev.h>
#include <rte_bus.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_meter.h>

#include "shim.h"
