//! The UDP driver serves every listen address it is given (here IPv4 and
//! IPv6 loopback): a request sent to either socket is answered from that
//! socket.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use pfcp::ie::{NodeId, RecoveryTimeStamp};
use pfcp::message::HeartbeatRequest;
use pfcp::node::{Node, NodeConfig};
use pfcp::server::Server;
use pfcp::Message;
use upf_core::publish::Publisher;

fn heartbeat(client: &UdpSocket, server: SocketAddr, seq: u32) -> (SocketAddr, Message) {
    let req = Message::from(HeartbeatRequest {
        recovery_time_stamp: RecoveryTimeStamp(3_900_000_000),
        ..Default::default()
    })
    .encode(seq, None)
    .unwrap();
    client.send_to(&req, server).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = client.recv_from(&mut buf).expect("a heartbeat response");
    let (_, m) = Message::decode(&buf[..n]).unwrap();
    (from, m)
}

fn node() -> Node<Publisher> {
    let (publisher, _subs) = Publisher::new(1, 64);
    let cfg = NodeConfig::new(
        NodeId::Ipv4(Ipv4Addr::LOCALHOST),
        RecoveryTimeStamp(3_900_000_000),
    );
    Node::new(cfg, publisher, Instant::now())
}

#[test]
fn every_listen_address_is_served() {
    let node = node();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let v6 = UdpSocket::bind("[::1]:0").is_ok();
    let mut addrs: Vec<SocketAddr> = vec!["127.0.0.1:0".parse().unwrap()];
    if v6 {
        addrs.push("[::1]:0".parse().unwrap());
    }
    // A second IPv4 address too, so that the family alone cannot pick the
    // socket.
    addrs.push("127.0.0.2:0".parse().unwrap());
    let (server, handles) = rt.block_on(Server::bind_all(node, &addrs)).unwrap();
    let bound = server.local_addrs().unwrap();
    assert_eq!(bound.len(), addrs.len());
    let running = rt.spawn(server.run());
    for (seq, &addr) in bound.iter().enumerate() {
        let client = UdpSocket::bind(SocketAddr::new(addr.ip(), 0)).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        for k in 0..3u32 {
            let (from, m) = heartbeat(&client, addr, seq as u32 * 10 + k + 1);
            assert_eq!(from, addr, "answered from the socket asked");
            assert_eq!(m.message_type(), 2, "Heartbeat Response");
        }
    }
    handles.shutdown.shutdown();
    rt.block_on(running).unwrap().unwrap();
}

#[test]
fn no_listen_address_is_refused() {
    let node = node();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(Server::bind_all(node, &[])).err().unwrap();
    assert!(err.0.is_none());
}
