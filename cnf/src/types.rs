//! Small typed values used by the configuration: CPU lists, CIDRs, MAC and
//! PCI addresses, node IDs, peer addresses. Each parses from and prints to the
//! text an operator writes, and (de)serializes as that text.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements `Serialize`/`Deserialize` through `Display`/`FromStr`.
macro_rules! serde_via_str {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

/// A set of CPU ids, kept sorted and without duplicates. Written as Linux
/// writes cpusets (`"1-3,6"`) or, in TOML, as an array of integers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuList(Vec<u32>);

/// Highest CPU id accepted (guards against `0-4000000000`).
pub const MAX_CPU: u32 = 4095;

impl CpuList {
    /// The list of these CPUs, sorted and deduplicated.
    pub fn new(mut cpus: Vec<u32>) -> Self {
        cpus.sort_unstable();
        cpus.dedup();
        CpuList(cpus)
    }
    /// The CPUs, ascending.
    pub fn cpus(&self) -> &[u32] {
        &self.0
    }
    /// Number of CPUs.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// No CPU.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Whether `cpu` is in the list.
    pub fn contains(&self, cpu: u32) -> bool {
        self.0.binary_search(&cpu).is_ok()
    }
    /// CPUs in both lists.
    pub fn intersection(&self, other: &CpuList) -> CpuList {
        CpuList(
            self.0
                .iter()
                .copied()
                .filter(|c| other.contains(*c))
                .collect(),
        )
    }
    /// CPUs of `self` not in `other`.
    pub fn difference(&self, other: &CpuList) -> CpuList {
        CpuList(
            self.0
                .iter()
                .copied()
                .filter(|c| !other.contains(*c))
                .collect(),
        )
    }
}

impl FromStr for CpuList {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut cpus = Vec::new();
        for part in s.trim().split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let num = |t: &str| -> Result<u32, String> {
                let v: u32 = t
                    .trim()
                    .parse()
                    .map_err(|_| format!("invalid CPU id {t:?} in {s:?}"))?;
                if v > MAX_CPU {
                    return Err(format!("CPU id {v} is above {MAX_CPU}"));
                }
                Ok(v)
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (num(a)?, num(b)?);
                    if a > b {
                        return Err(format!("descending CPU range {part:?}"));
                    }
                    cpus.extend(a..=b);
                }
                None => cpus.push(num(part)?),
            }
        }
        Ok(CpuList::new(cpus))
    }
}

impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

impl Serialize for CpuList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CpuList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CpuList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CPU list such as \"1-3,6\" or [1, 2, 3, 6]")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CpuList, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CpuList, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|c| *c <= MAX_CPU)
                    .map(|c| CpuList::new(vec![c]))
                    .ok_or_else(|| E::custom(format!("invalid CPU id {v}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CpuList, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<CpuList, A::Error> {
                let mut cpus = Vec::new();
                while let Some(c) = seq.next_element::<i64>()? {
                    let c = u32::try_from(c)
                        .ok()
                        .filter(|c| *c <= MAX_CPU)
                        .ok_or_else(|| de::Error::custom(format!("invalid CPU id {c}")))?;
                    cpus.push(c);
                }
                Ok(CpuList::new(cpus))
            }
        }
        d.deserialize_any(V)
    }
}

/// An IP address with a prefix length, e.g. `10.100.3.2/24` (the address
/// itself, not only the network: host bits are kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (0..=32 for IPv4, 0..=128 for IPv6).
    pub prefix: u8,
}

impl Cidr {
    /// Whether `ip` lies in this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
    /// Whether the two prefixes share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        if self.prefix <= other.prefix {
            self.contains(other.addr)
        } else {
            other.contains(self.addr)
        }
    }
    /// IPv4?
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} has no prefix length (write it as address/prefix)"))?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{a:?} is not an IP address"))?;
        let prefix: u8 = p
            .parse()
            .map_err(|_| format!("invalid prefix length {p:?}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(format!("prefix length {prefix} is above {max}"));
        }
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}
serde_via_str!(
    Cidr,
    "an address with prefix length such as \"10.0.0.2/24\""
);

/// An Ethernet MAC address, `02:00:00:00:00:01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// A unicast address other than all zeros.
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0 && self.0 != [0; 6]
    }
}

impl FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.split([':', '-']) {
            if n == 6 || part.len() != 2 {
                return Err(format!("{s:?} is not a MAC address"));
            }
            out[n] =
                u8::from_str_radix(part, 16).map_err(|_| format!("{s:?} is not a MAC address"))?;
            n += 1;
        }
        if n != 6 {
            return Err(format!("{s:?} is not a MAC address"));
        }
        Ok(MacAddr(out))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}
serde_via_str!(MacAddr, "a MAC address such as \"02:00:00:00:00:01\"");

/// A PCI address in domain:bus:device.function form, `0000:3b:02.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddr {
    /// Domain (segment).
    pub domain: u16,
    /// Bus.
    pub bus: u8,
    /// Device (0..=31).
    pub device: u8,
    /// Function (0..=7).
    pub function: u8,
}

impl FromStr for PciAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a PCI address (domain:bus:device.function)");
        let (rest, func) = s.rsplit_once('.').ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (dom, bus, dev) = match parts.as_slice() {
            [d, b, v] => (*d, *b, *v),
            [b, v] => ("0000", *b, *v),
            _ => return Err(bad()),
        };
        let hex = |t: &str, max_len| {
            if t.is_empty() || t.len() > max_len {
                return Err(bad());
            }
            u32::from_str_radix(t, 16).map_err(|_| bad())
        };
        let (domain, bus, device, function) =
            (hex(dom, 4)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?);
        if device > 31 || function > 7 {
            return Err(bad());
        }
        Ok(PciAddr {
            domain: domain as u16,
            bus: bus as u8,
            device: device as u8,
            function: function as u8,
        })
    }
}

impl fmt::Display for PciAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}
serde_via_str!(PciAddr, "a PCI address such as \"0000:3b:02.0\"");

/// Where a port's PCI address comes from: written out, or taken from the
/// SR-IOV device plugin's allocation for a resource (`env:intel.com/sriov_n3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PciSource {
    /// A fixed address.
    Address(PciAddr),
    /// The next address the device plugin allocated for this resource name.
    Resource(String),
}

impl FromStr for PciSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("env:") {
            Some(r) if valid_resource_name(r) => Ok(PciSource::Resource(r.to_owned())),
            Some(r) => Err(format!(
                "{r:?} is not a resource name (vendor.domain/name, e.g. intel.com/sriov_n3)"
            )),
            None => s.parse().map(PciSource::Address),
        }
    }
}

impl fmt::Display for PciSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PciSource::Address(a) => a.fmt(f),
            PciSource::Resource(r) => write!(f, "env:{r}"),
        }
    }
}
serde_via_str!(
    PciSource,
    "a PCI address such as \"0000:3b:02.0\" or \"env:<resource name>\""
);

/// Whether `r` looks like an extended resource name (`intel.com/sriov_n3`).
pub fn valid_resource_name(r: &str) -> bool {
    let Some((domain, name)) = r.split_once('/') else {
        return false;
    };
    let ok = |t: &str, extra: &[u8]| {
        !t.is_empty()
            && t.len() <= 253
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    ok(domain, b".-") && domain.contains('.') && ok(name, b"._-")
}

/// The PFCP Node ID (TS 29.244 §8.2.38): an address or an FQDN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeId {
    /// IPv4 address (the usual choice).
    Ipv4(Ipv4Addr),
    /// IPv6 address.
    Ipv6(Ipv6Addr),
    /// Fully qualified domain name.
    Fqdn(String),
}

impl FromStr for NodeId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(match ip {
                IpAddr::V4(a) => NodeId::Ipv4(a),
                IpAddr::V6(a) => NodeId::Ipv6(a),
            });
        }
        if valid_hostname(s) && s.bytes().any(|b| b.is_ascii_alphabetic()) {
            Ok(NodeId::Fqdn(s.trim_end_matches('.').to_owned()))
        } else {
            Err(format!("{s:?} is neither an IP address nor a valid FQDN"))
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Ipv4(a) => a.fmt(f),
            NodeId::Ipv6(a) => a.fmt(f),
            NodeId::Fqdn(n) => f.write_str(n),
        }
    }
}
serde_via_str!(NodeId, "an IPv4 or IPv6 address or an FQDN");

/// DNS name syntax (RFC 1123 labels).
pub fn valid_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A PFCP peer: host name or address, and port (8805 when not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAddr {
    /// Host name or IP address.
    pub host: String,
    /// UDP port.
    pub port: u16,
}

/// The PFCP port (TS 29.244 §4.2.2).
pub const PFCP_PORT: u16 = 8805;

impl FromStr for PeerAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
            return Ok(PeerAddr {
                host: sa.ip().to_string(),
                port: sa.port(),
            });
        }
        if let Ok(ip) = s
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(PeerAddr {
                host: ip.to_string(),
                port: PFCP_PORT,
            });
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("invalid port {p:?} in {s:?}"))?,
            ),
            None => (s, PFCP_PORT),
        };
        if !valid_hostname(host) || port == 0 {
            return Err(format!("{s:?} is not host[:port] or ip[:port]"));
        }
        Ok(PeerAddr {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}
serde_via_str!(
    PeerAddr,
    "a PFCP peer such as \"10.0.0.10\" or \"smf.core:8805\""
);

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn cpu_lists() {
        let c: CpuList = "3,1-2, 8-9,2".parse().unwrap();
        assert_eq!(c.cpus(), &[1, 2, 3, 8, 9]);
        assert_eq!(c.to_string(), "1-3,8-9");
        assert_eq!("".parse::<CpuList>().unwrap().len(), 0);
        assert!("3-1".parse::<CpuList>().is_err());
        assert!("x".parse::<CpuList>().is_err());
        assert!("0-99999".parse::<CpuList>().is_err());
        assert_eq!("0\n".parse::<CpuList>().unwrap().to_string(), "0");
    }

    #[test]
    fn cidrs() {
        let c: Cidr = "10.1.2.3/24".parse().unwrap();
        assert!(c.contains("10.1.2.200".parse().unwrap()));
        assert!(!c.contains("10.1.3.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let z: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(z.contains("1.2.3.4".parse().unwrap()));
        let v6: Cidr = "2001:db8::1/64".parse().unwrap();
        assert!(v6.contains("2001:db8::ffff".parse().unwrap()));
        assert!(v6.overlaps(&"2001:db8::/32".parse().unwrap()));
        assert!("10.0.0.1".parse::<Cidr>().is_err());
        assert!("10.0.0.1/33".parse::<Cidr>().is_err());
        assert_eq!(v6.to_string(), "2001:db8::1/64");
    }

    #[test]
    fn mac_pci_node() {
        let m: MacAddr = "02:00:0A:00:00:01".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:0a:00:00:01");
        assert!(m.is_unicast());
        assert!(!"01:00:5e:00:00:01".parse::<MacAddr>().unwrap().is_unicast());
        assert!("02:00:00:00:00".parse::<MacAddr>().is_err());
        assert!("02:00:00:00:00:00:00".parse::<MacAddr>().is_err());

        let p: PciAddr = "0000:3B:02.1".parse().unwrap();
        assert_eq!(p.to_string(), "0000:3b:02.1");
        assert_eq!(
            "af:00.0".parse::<PciAddr>().unwrap().to_string(),
            "0000:af:00.0"
        );
        assert!("0000:3b:20.8".parse::<PciAddr>().is_err());
        assert!("0000:3b:02".parse::<PciAddr>().is_err());

        assert_eq!(
            "env:intel.com/sriov_n3".parse::<PciSource>().unwrap(),
            PciSource::Resource("intel.com/sriov_n3".into())
        );
        assert!("env:sriov".parse::<PciSource>().is_err());

        assert_eq!(
            "10.0.0.1".parse::<NodeId>().unwrap(),
            NodeId::Ipv4([10, 0, 0, 1].into())
        );
        assert_eq!(
            "upf.example.org.".parse::<NodeId>().unwrap(),
            NodeId::Fqdn("upf.example.org".into())
        );
        assert!("10.0.0.300".parse::<NodeId>().is_err());
        assert!("bad_name".parse::<NodeId>().is_err());
    }

    #[test]
    fn peers() {
        let p: PeerAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(p.to_string(), "10.0.0.1:8805");
        let p: PeerAddr = "smf.core.svc:9999".parse().unwrap();
        assert_eq!((p.host.as_str(), p.port), ("smf.core.svc", 9999));
        let p: PeerAddr = "[2001:db8::1]:8805".parse().unwrap();
        assert_eq!(p.to_string(), "[2001:db8::1]:8805");
        assert!("smf:x".parse::<PeerAddr>().is_err());
    }
}
