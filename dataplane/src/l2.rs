//! Link-layer headers on the way out: the packet path hands back IP packets,
//! and the worker puts Ethernet (and an 802.1Q tag) in front.
#![forbid(unsafe_code)]

use upf_core::buf::PacketBuf;

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// TPID of an 802.1Q tag.
pub const TPID_8021Q: u16 = 0x8100;
/// TPID of an 802.1ad (S-) tag.
pub const TPID_8021AD: u16 = 0x88a8;

/// Ethernet header length without / with one VLAN tag.
pub const ETH_LEN: usize = 14;
/// See [`ETH_LEN`].
pub const ETH_VLAN_LEN: usize = 18;

/// The EtherType for the IP packet at the front of `l3` (by its version
/// nibble), or `None` if it is not IP.
#[inline]
pub fn ethertype_of(l3: &[u8]) -> Option<u16> {
    match l3.first()? >> 4 {
        4 => Some(ETHERTYPE_IPV4),
        6 => Some(ETHERTYPE_IPV6),
        _ => None,
    }
}

/// Writes an Ethernet header (with an 802.1Q tag carrying `vlan` when
/// given) into the first 14 or 18 bytes of `out`. Returns the length
/// written, or `None` if `out` is too short.
#[inline]
pub fn write_ethernet(
    out: &mut [u8],
    dst: [u8; 6],
    src: [u8; 6],
    vlan: Option<u16>,
    ethertype: u16,
) -> Option<usize> {
    let len = if vlan.is_some() {
        ETH_VLAN_LEN
    } else {
        ETH_LEN
    };
    let h = out.get_mut(..len)?;
    h[0..6].copy_from_slice(&dst);
    h[6..12].copy_from_slice(&src);
    match vlan {
        Some(v) => {
            h[12..14].copy_from_slice(&TPID_8021Q.to_be_bytes());
            h[14..16].copy_from_slice(&(v & 0x0fff).to_be_bytes());
            h[16..18].copy_from_slice(&ethertype.to_be_bytes());
        }
        None => h[12..14].copy_from_slice(&ethertype.to_be_bytes()),
    }
    Some(len)
}

/// Prepends an Ethernet header (with an 802.1Q tag when `vlan` is given) in
/// front of the IP packet in `buf`, in its headroom. `false`, unchanged,
/// when the buffer holds no IP packet or has too little headroom.
#[inline]
pub fn push_ethernet<B: PacketBuf>(
    buf: &mut B,
    dst: [u8; 6],
    src: [u8; 6],
    vlan: Option<u16>,
) -> bool {
    let Some(ethertype) = ethertype_of(buf.data()) else {
        return false;
    };
    let len = if vlan.is_some() {
        ETH_VLAN_LEN
    } else {
        ETH_LEN
    };
    if !buf.prepend(len) {
        return false;
    }
    write_ethernet(buf.data_mut(), dst, src, vlan, ethertype).is_some()
}

/// The VLAN id of a frame's outer 802.1Q / 802.1ad tag, `None` if untagged
/// or too short to tell.
#[inline]
pub fn vlan_of(frame: &[u8]) -> Option<u16> {
    let tpid = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    if tpid != TPID_8021Q && tpid != TPID_8021AD {
        return None;
    }
    Some(u16::from_be_bytes([*frame.get(14)?, *frame.get(15)?]) & 0x0fff)
}

#[cfg(test)]
mod test {
    use super::*;
    use upf_core::buf::VecBuf;

    const DST: [u8; 6] = [0x02, 0, 0, 0, 0, 0xd];
    const SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x5];

    fn ipv4() -> Vec<u8> {
        let mut p = vec![0u8; 28];
        p[0] = 0x45;
        p
    }

    #[test]
    fn prepend_plain() {
        let mut b = VecBuf::new(&ipv4());
        assert!(push_ethernet(&mut b, DST, SRC, None));
        let d = b.data();
        assert_eq!(d.len(), 14 + 28);
        assert_eq!(&d[0..6], &DST);
        assert_eq!(&d[6..12], &SRC);
        assert_eq!(&d[12..14], &[0x08, 0x00]);
        assert_eq!(d[14], 0x45);
        assert_eq!(vlan_of(d), None);
    }

    #[test]
    fn prepend_vlan_ipv6() {
        let mut p = vec![0u8; 40];
        p[0] = 0x60;
        let mut b = VecBuf::new(&p);
        assert!(push_ethernet(&mut b, DST, SRC, Some(0x1234)));
        let d = b.data();
        assert_eq!(d.len(), 18 + 40);
        assert_eq!(&d[12..18], &[0x81, 0x00, 0x02, 0x34, 0x86, 0xdd]);
        assert_eq!(vlan_of(d), Some(0x234), "12-bit VLAN id");
        assert_eq!(d[18], 0x60);
    }

    #[test]
    fn refuses_non_ip_and_no_headroom() {
        let mut b = VecBuf::new(&[0x12; 20]);
        assert!(!push_ethernet(&mut b, DST, SRC, None));
        assert_eq!(b.len(), 20, "unchanged");
        let mut b = VecBuf::with_headroom(&ipv4(), 16);
        assert!(!push_ethernet(&mut b, DST, SRC, Some(5)));
        assert_eq!(b.len(), 28, "unchanged");
        assert!(push_ethernet(&mut b, DST, SRC, None));
        let mut e = VecBuf::new(&[]);
        assert!(!push_ethernet(&mut e, DST, SRC, None));
    }

    #[test]
    fn vlan_of_frames() {
        let mut f = vec![0u8; 18];
        f[12..16].copy_from_slice(&[0x88, 0xa8, 0x00, 0x64]);
        assert_eq!(vlan_of(&f), Some(100));
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(vlan_of(&f), None);
        assert_eq!(vlan_of(&f[..13]), None);
        assert_eq!(vlan_of(&[0x81; 15]), None, "tag cut short");
    }
}
