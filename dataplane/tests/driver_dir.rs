//! Its own process (one EAL per test binary): EAL initialised with the
//! driver directory given explicitly (`-d`), as a build that does not load
//! its PMDs by itself needs. With Debian's shared build the drivers are
//! loaded twice over, which must be harmless.

use dataplane::eal::{Eal, EalConfig};
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::port::{Port, PortConfig, PortDevice};

#[test]
fn explicit_driver_dir_and_init_time_vdev() {
    assert!(
        !dataplane::sys::PMD_DIR.is_empty(),
        "build found the driver directory"
    );
    let config = EalConfig {
        driver_dirs: vec![dataplane::sys::PMD_DIR.to_owned()],
        vdevs: vec!["net_null_init0".into()],
        ..EalConfig::for_tests()
    };
    let eal = Eal::init(&config).expect("EAL with -d");
    assert!(eal.args().iter().any(|a| a == dataplane::sys::PMD_DIR));
    let pool = Mempool::new("dd_pool", 128, 0, 2176, SOCKET_ANY).unwrap();
    // The vdev given at init is an existing port, found by name.
    let port = Port::open(
        &PortConfig::new("init", PortDevice::Vdev("net_null_init0".into())),
        &pool,
    )
    .unwrap();
    assert_eq!(port.caps().driver, "net_null");
    port.close().unwrap();
    // A hot-plugged one works too.
    let port = Port::open(
        &PortConfig::new("hp", PortDevice::Vdev("net_ring_dd0".into())),
        &pool,
    )
    .unwrap();
    assert_eq!(port.caps().driver, "net_ring");
    port.close().unwrap();
}
