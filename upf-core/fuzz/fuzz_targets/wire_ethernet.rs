//! Ethernet, VLAN tags and ARP: no panic on any input; whatever parses
//! re-emits and parses to the same representation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use upf_core::wire::{l2_header, ArpPacket, ArpRepr, EthernetFrame, EthernetRepr};

fn arp(data: &[u8]) {
    let Ok(p) = ArpPacket::new_checked(data) else {
        return;
    };
    let _ = (
        p.hardware_type(),
        p.protocol_type(),
        p.operation(),
        p.packet_len(),
    );
    let _ = (p.source_hardware_addr(), p.source_protocol_addr());
    let _ = (p.target_hardware_addr(), p.target_protocol_addr());
    if let Ok(repr) = ArpRepr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        let again = ArpRepr::parse(&ArpPacket::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(again, repr);
    }
}

fuzz_target!(|data: &[u8]| {
    arp(data);
    let l2 = l2_header(data);
    let Ok(frame) = EthernetFrame::new_checked(data) else {
        assert!(l2.is_err());
        return;
    };
    let _ = (
        frame.dst_addr(),
        frame.src_addr(),
        frame.ethertype(),
        frame.payload(),
    );
    if let Ok(h) = l2 {
        assert!(h.header_len <= data.len());
        arp(&data[h.header_len..]);
    }
    if let Ok(repr) = EthernetRepr::parse(&frame) {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
        let again = EthernetRepr::parse(&EthernetFrame::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(again, repr);
    }
});
