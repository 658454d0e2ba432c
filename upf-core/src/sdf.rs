//! SDF filters (TS 29.244 §8.2.5) and the IPFilterRule syntax of their flow
//! descriptions (RFC 6733 §4.3, as TS 29.212 §5.4.2 restricts it).
//!
//! ```text
//! permit out <proto|ip> from <src> [ports] to <dst> [ports]
//! src, dst: [!] any | assigned | <ipv4>[/len] | <ipv6>[/len]
//! ports:    port | lo-hi, comma separated
//! ```
//!
//! Flow descriptions are written in the downlink direction: `from` is the
//! remote side and `to` the UE. For a PDR detecting uplink traffic the packet's
//! source is matched against `to` and its destination against `from`
//! (TS 29.244 §5.2.1A.2A). A description with direction `in` is already
//! written for uplink and is matched the other way round.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a flow description or SDF filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdfError {
    /// The text ended where a token was expected.
    #[error("flow description ends early: expected {0}")]
    Missing(&'static str),
    /// A token is not what the grammar allows here.
    #[error("flow description: {what} {token:?} is invalid")]
    Invalid {
        /// What was expected.
        what: &'static str,
        /// The token found.
        token: String,
    },
    /// Options after the addresses (frag, ipoptions, tcpflags, ...) are not supported.
    #[error("flow description option {0:?} is not supported")]
    UnsupportedOption(String),
    /// Too many port ranges.
    #[error("too many port ranges (at most {0})")]
    TooManyPorts(usize),
    /// The flow description is not valid UTF-8 text.
    #[error("flow description is not text")]
    NotText,
}

/// Most port ranges one endpoint may list.
pub const MAX_PORT_RANGES: usize = 8;

/// Permit or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Packets matching are detected.
    Permit,
    /// Packets matching are not detected by this filter.
    Deny,
}

/// Direction the description is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `in`: written for uplink (from the UE).
    In,
    /// `out`: written for downlink (toward the UE), the form TS 29.244 uses.
    Out,
}

/// An address match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrMatch {
    /// Any address.
    Any,
    /// The UE's address (resolved from the PDI's UE IP Address at match time).
    Assigned,
    /// An IPv4 prefix.
    V4(Ipv4Addr, u8),
    /// An IPv6 prefix.
    V6(Ipv6Addr, u8),
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
}

/// One side of a flow description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `!`: the address match is inverted.
    pub negate: bool,
    /// The address.
    pub addr: AddrMatch,
    /// Ports (empty: any).
    pub ports: Vec<PortRange>,
}

/// A parsed IPFilterRule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowDescription {
    /// Permit or deny.
    pub action: Action,
    /// Written direction.
    pub direction: Direction,
    /// IP protocol number, `None` for `ip` (any).
    pub protocol: Option<u8>,
    /// `from` side.
    pub from: Endpoint,
    /// `to` side.
    pub to: Endpoint,
}

/// An SDF filter (§8.2.5): a flow description and/or other matches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct SdfFilter {
    /// Flow description.
    pub flow: Option<FlowDescription>,
    /// ToS (IPv4) / Traffic Class (IPv6) value and mask.
    pub tos_traffic_class: Option<(u8, u8)>,
    /// IPsec security parameter index.
    pub spi: Option<u32>,
    /// IPv6 flow label (20 bits).
    pub flow_label: Option<u32>,
    /// SDF filter ID.
    pub filter_id: Option<u32>,
}

/// What the matcher needs to know of a packet's inner IP header and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol (upper-layer protocol for IPv6).
    pub protocol: u8,
    /// Source port, when the protocol has ports and this is a first fragment.
    pub src_port: Option<u16>,
    /// Destination port, likewise.
    pub dst_port: Option<u16>,
    /// ToS / Traffic Class octet.
    pub tos: u8,
    /// IPv6 flow label (0 for IPv4).
    pub flow_label: u32,
    /// ESP SPI, when the protocol is ESP.
    pub spi: Option<u32>,
}

/// The UE addresses `assigned` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Assigned {
    /// UE IPv4 address.
    pub v4: Option<Ipv4Addr>,
    /// UE IPv6 prefix and its length.
    pub v6: Option<(Ipv6Addr, u8)>,
}

impl FlowDescription {
    /// Parses an IPFilterRule.
    pub fn parse(text: &str) -> Result<Self, SdfError> {
        let mut toks = text.split_ascii_whitespace().peekable();
        let action = match toks.next() {
            Some("permit") => Action::Permit,
            Some("deny") => Action::Deny,
            Some(t) => return Err(invalid("action", t)),
            None => return Err(SdfError::Missing("action")),
        };
        let direction = match toks.next() {
            Some("out") => Direction::Out,
            Some("in") => Direction::In,
            Some(t) => return Err(invalid("direction", t)),
            None => return Err(SdfError::Missing("direction")),
        };
        let protocol = match toks.next() {
            Some("ip") => None,
            Some(t) => Some(t.parse::<u8>().map_err(|_| invalid("protocol", t))?),
            None => return Err(SdfError::Missing("protocol")),
        };
        match toks.next() {
            Some("from") => {}
            Some(t) => return Err(invalid("keyword 'from'", t)),
            None => return Err(SdfError::Missing("from")),
        }
        let from = parse_endpoint(&mut toks, Some("to"))?;
        match toks.next() {
            Some("to") => {}
            Some(t) => return Err(invalid("keyword 'to'", t)),
            None => return Err(SdfError::Missing("to")),
        }
        let to = parse_endpoint(&mut toks, None)?;
        if let Some(opt) = toks.next() {
            return Err(SdfError::UnsupportedOption(opt.to_string()));
        }
        Ok(FlowDescription {
            action,
            direction,
            protocol,
            from,
            to,
        })
    }

    /// Whether a packet matches, for a PDR detecting uplink (`uplink`) or
    /// downlink traffic.
    pub fn matches(&self, key: &FlowKey, assigned: &Assigned, uplink: bool) -> bool {
        if self.action == Action::Deny {
            return false;
        }
        if let Some(p) = self.protocol {
            if p != key.protocol {
                return false;
            }
        }
        // `from` is the remote end when written `out` (downlink form).
        let swap = uplink == (self.direction == Direction::Out);
        let (remote_addr, remote_port, ue_addr, ue_port) = if swap {
            (key.dst, key.dst_port, key.src, key.src_port)
        } else {
            (key.src, key.src_port, key.dst, key.dst_port)
        };
        endpoint_matches(&self.from, remote_addr, remote_port, assigned)
            && endpoint_matches(&self.to, ue_addr, ue_port, assigned)
    }
}

impl SdfFilter {
    /// A filter with just a flow description.
    pub fn flow(text: &str) -> Result<Self, SdfError> {
        Ok(SdfFilter {
            flow: Some(FlowDescription::parse(text)?),
            ..Default::default()
        })
    }

    /// Whether the filter detects every packet sent by or to the UE, so
    /// that a PDR which already checks the UE address need not evaluate it
    /// (`permit out ip from any to assigned`, `permit out ip from any to any`).
    pub fn is_match_all(&self) -> bool {
        if self.tos_traffic_class.is_some() || self.spi.is_some() || self.flow_label.is_some() {
            return false;
        }
        let Some(f) = &self.flow else { return true };
        let open = |ep: &Endpoint, ue_side: bool| {
            !ep.negate
                && ep.ports.is_empty()
                && (ep.addr == AddrMatch::Any || (ue_side && ep.addr == AddrMatch::Assigned))
        };
        let ue_is_to = f.direction == Direction::Out;
        f.action == Action::Permit
            && f.protocol.is_none()
            && open(&f.from, !ue_is_to)
            && open(&f.to, ue_is_to)
    }

    /// Whether a packet matches every part the filter sets.
    pub fn matches(&self, key: &FlowKey, assigned: &Assigned, uplink: bool) -> bool {
        if let Some((tos, mask)) = self.tos_traffic_class {
            if key.tos & mask != tos & mask {
                return false;
            }
        }
        if let Some(spi) = self.spi {
            if key.spi != Some(spi) {
                return false;
            }
        }
        if let Some(fl) = self.flow_label {
            if key.flow_label != fl & 0x000f_ffff {
                return false;
            }
        }
        match &self.flow {
            Some(f) => f.matches(key, assigned, uplink),
            None => true,
        }
    }
}

fn invalid(what: &'static str, token: &str) -> SdfError {
    SdfError::Invalid {
        what,
        token: token.chars().take(64).collect(),
    }
}

fn parse_endpoint<'a, I: Iterator<Item = &'a str>>(
    toks: &mut core::iter::Peekable<I>,
    stop: Option<&str>,
) -> Result<Endpoint, SdfError> {
    let mut tok = toks.next().ok_or(SdfError::Missing("address"))?;
    let mut negate = false;
    if tok == "!" {
        negate = true;
        tok = toks.next().ok_or(SdfError::Missing("address"))?;
    } else if let Some(rest) = tok.strip_prefix('!') {
        negate = true;
        tok = rest;
    }
    let addr = parse_addr(tok)?;
    let mut ports = Vec::new();
    // Ports follow the address unless the next token is the keyword.
    if let Some(&next) = toks.peek() {
        if Some(next) != stop && next.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            toks.next();
            for part in next.split(',') {
                if ports.len() == MAX_PORT_RANGES {
                    return Err(SdfError::TooManyPorts(MAX_PORT_RANGES));
                }
                ports.push(parse_port_range(part)?);
            }
        }
    }
    Ok(Endpoint {
        negate,
        addr,
        ports,
    })
}

fn parse_port_range(s: &str) -> Result<PortRange, SdfError> {
    let port = |p: &str| p.parse::<u16>().map_err(|_| invalid("port", s));
    let r = match s.split_once('-') {
        Some((lo, hi)) => PortRange {
            lo: port(lo)?,
            hi: port(hi)?,
        },
        None => {
            let p = port(s)?;
            PortRange { lo: p, hi: p }
        }
    };
    if r.lo > r.hi {
        return Err(invalid("port range", s));
    }
    Ok(r)
}

fn parse_addr(tok: &str) -> Result<AddrMatch, SdfError> {
    match tok {
        "any" => return Ok(AddrMatch::Any),
        "assigned" => return Ok(AddrMatch::Assigned),
        _ => {}
    }
    let (addr, len) = match tok.split_once('/') {
        Some((a, l)) => (
            a,
            Some(l.parse::<u8>().map_err(|_| invalid("prefix length", tok))?),
        ),
        None => (tok, None),
    };
    match addr
        .parse::<IpAddr>()
        .map_err(|_| invalid("address", tok))?
    {
        IpAddr::V4(a) => {
            let len = len.unwrap_or(32);
            if len > 32 {
                return Err(invalid("prefix length", tok));
            }
            Ok(AddrMatch::V4(a, len))
        }
        IpAddr::V6(a) => {
            let len = len.unwrap_or(128);
            if len > 128 {
                return Err(invalid("prefix length", tok));
            }
            Ok(AddrMatch::V6(a, len))
        }
    }
}

/// Whether `addr` lies in `prefix/len`.
pub fn v4_in_prefix(addr: Ipv4Addr, prefix: Ipv4Addr, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    u32::from(addr) & mask == u32::from(prefix) & mask
}

/// Whether `addr` lies in `prefix/len`.
pub fn v6_in_prefix(addr: Ipv6Addr, prefix: Ipv6Addr, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    u128::from(addr) & mask == u128::from(prefix) & mask
}

fn addr_matches(m: &AddrMatch, addr: IpAddr, assigned: &Assigned) -> bool {
    match (*m, addr) {
        (AddrMatch::Any, _) => true,
        (AddrMatch::Assigned, IpAddr::V4(a)) => {
            assigned.v4.map_or(assigned.v6.is_none(), |ue| ue == a)
        }
        (AddrMatch::Assigned, IpAddr::V6(a)) => assigned
            .v6
            .map_or(assigned.v4.is_none(), |(p, l)| v6_in_prefix(a, p, l)),
        (AddrMatch::V4(p, l), IpAddr::V4(a)) => v4_in_prefix(a, p, l),
        (AddrMatch::V6(p, l), IpAddr::V6(a)) => v6_in_prefix(a, p, l),
        _ => false,
    }
}

fn endpoint_matches(ep: &Endpoint, addr: IpAddr, port: Option<u16>, assigned: &Assigned) -> bool {
    if addr_matches(&ep.addr, addr, assigned) == ep.negate {
        return false;
    }
    if ep.ports.is_empty() {
        return true;
    }
    match port {
        Some(p) => ep.ports.iter().any(|r| r.lo <= p && p <= r.hi),
        None => false,
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negate {
            f.write_str("!")?;
        }
        match self.addr {
            AddrMatch::Any => f.write_str("any")?,
            AddrMatch::Assigned => f.write_str("assigned")?,
            AddrMatch::V4(a, 32) => write!(f, "{a}")?,
            AddrMatch::V4(a, l) => write!(f, "{a}/{l}")?,
            AddrMatch::V6(a, 128) => write!(f, "{a}")?,
            AddrMatch::V6(a, l) => write!(f, "{a}/{l}")?,
        }
        for (i, r) in self.ports.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { "," })?;
            if r.lo == r.hi {
                write!(f, "{}", r.lo)?;
            } else {
                write!(f, "{}-{}", r.lo, r.hi)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for FlowDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action == Action::Permit {
            "permit"
        } else {
            "deny"
        };
        let dir = if self.direction == Direction::Out {
            "out"
        } else {
            "in"
        };
        write!(f, "{action} {dir} ")?;
        match self.protocol {
            Some(p) => write!(f, "{p}")?,
            None => f.write_str("ip")?,
        }
        write!(f, " from {} to {}", self.from, self.to)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn key(src: &str, sp: u16, dst: &str, dp: u16, proto: u8) -> FlowKey {
        FlowKey {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            protocol: proto,
            src_port: Some(sp),
            dst_port: Some(dp),
            tos: 0,
            flow_label: 0,
            spi: None,
        }
    }

    const UE: Assigned = Assigned {
        v4: Some(Ipv4Addr::new(10, 45, 0, 2)),
        v6: None,
    };

    #[test]
    fn parse_forms_real_smfs_send() {
        for text in [
            "permit out ip from any to assigned",
            "permit out 58 from ff02::2/128 to assigned",
            "permit out 17 from 192.0.2.0/24 80-90,443 to assigned 5000",
            "permit out 6 from !198.51.100.1 to 10.45.0.2/32",
            "permit in ip from assigned to any",
            "permit out ip from any to any",
        ] {
            let f = FlowDescription::parse(text).unwrap();
            assert_eq!(FlowDescription::parse(&f.to_string()).unwrap(), f, "{text}");
        }
    }

    #[test]
    fn bad_filters_are_typed_errors() {
        assert!(matches!(
            FlowDescription::parse(""),
            Err(SdfError::Missing(_))
        ));
        assert!(matches!(
            FlowDescription::parse("allow out ip from any to any"),
            Err(SdfError::Invalid { .. })
        ));
        assert!(matches!(
            FlowDescription::parse("permit out 300 from any to any"),
            Err(SdfError::Invalid { .. })
        ));
        assert!(matches!(
            FlowDescription::parse("permit out ip from 1.2.3.4/33 to any"),
            Err(SdfError::Invalid { .. })
        ));
        assert!(matches!(
            FlowDescription::parse("permit out ip from any 90-80 to any"),
            Err(SdfError::Invalid { .. })
        ));
        assert!(matches!(
            FlowDescription::parse("permit out ip from any to any frag"),
            Err(SdfError::UnsupportedOption(_))
        ));
        assert!(matches!(
            FlowDescription::parse("permit out ip from any"),
            Err(SdfError::Missing(_))
        ));
        assert!(matches!(
            FlowDescription::parse("permit out ip from any 1,2,3,4,5,6,7,8,9 to any"),
            Err(SdfError::TooManyPorts(_))
        ));
    }

    #[test]
    fn uplink_swaps_source_and_destination() {
        let f = FlowDescription::parse("permit out 17 from 192.0.2.10 53 to assigned").unwrap();
        // Uplink: UE 10.45.0.2:40000 -> 192.0.2.10:53
        assert!(f.matches(&key("10.45.0.2", 40000, "192.0.2.10", 53, 17), &UE, true));
        assert!(!f.matches(&key("10.45.0.2", 40000, "192.0.2.10", 53, 17), &UE, false));
        // Downlink: 192.0.2.10:53 -> UE
        assert!(f.matches(&key("192.0.2.10", 53, "10.45.0.2", 40000, 17), &UE, false));
        assert!(!f.matches(&key("192.0.2.10", 54, "10.45.0.2", 40000, 17), &UE, false));
        assert!(!f.matches(&key("192.0.2.10", 53, "10.45.0.2", 40000, 6), &UE, false));
    }

    #[test]
    fn open5gs_router_solicitation_filter() {
        let f = FlowDescription::parse("permit out 58 from ff02::2/128 to assigned").unwrap();
        let ue = Assigned {
            v4: None,
            v6: Some(("2001:db8:1:2::".parse().unwrap(), 64)),
        };
        let mut k = key("2001:db8:1:2::1", 0, "ff02::2", 0, 58);
        k.src_port = None;
        k.dst_port = None;
        assert!(f.matches(&k, &ue, true));
        k.src = "2001:db8:9::1".parse().unwrap();
        assert!(!f.matches(&k, &ue, true));
    }

    #[test]
    fn negation_ports_and_extras() {
        let f = SdfFilter {
            flow: Some(
                FlowDescription::parse("permit out 6 from !192.0.2.0/24 to assigned 80,8000-8080")
                    .unwrap(),
            ),
            tos_traffic_class: Some((0xb8, 0xfc)),
            ..Default::default()
        };
        let mut k = key("198.51.100.7", 1234, "10.45.0.2", 8010, 6);
        k.tos = 0xb8;
        assert!(f.matches(&k, &UE, false));
        k.tos = 0;
        assert!(!f.matches(&k, &UE, false));
        k.tos = 0xb9;
        assert!(f.matches(&k, &UE, false), "mask ignores ECN bits");
        k.src = "192.0.2.5".parse().unwrap();
        assert!(!f.matches(&k, &UE, false), "negated prefix");
        let spi = SdfFilter {
            spi: Some(7),
            ..Default::default()
        };
        assert!(!spi.matches(&k, &UE, false));
        k.spi = Some(7);
        assert!(spi.matches(&k, &UE, false));
    }

    #[test]
    fn match_all_filters() {
        for (text, all) in [
            ("permit out ip from any to assigned", true),
            ("permit out ip from any to any", true),
            ("permit in ip from assigned to any", true),
            ("permit out ip from assigned to any", false),
            ("permit out 17 from any to assigned", false),
            ("permit out ip from any 53 to assigned", false),
            ("permit out ip from 10.0.0.0/8 to assigned", false),
            ("deny out ip from any to assigned", false),
        ] {
            assert_eq!(SdfFilter::flow(text).unwrap().is_match_all(), all, "{text}");
        }
        let tos = SdfFilter {
            tos_traffic_class: Some((0, 0)),
            ..Default::default()
        };
        assert!(!tos.is_match_all());
    }

    #[test]
    fn prefixes() {
        assert!(v4_in_prefix(
            Ipv4Addr::new(10, 1, 2, 3),
            Ipv4Addr::new(10, 0, 0, 0),
            8
        ));
        assert!(!v4_in_prefix(
            Ipv4Addr::new(11, 1, 2, 3),
            Ipv4Addr::new(10, 0, 0, 0),
            8
        ));
        assert!(v4_in_prefix(
            Ipv4Addr::new(11, 1, 2, 3),
            Ipv4Addr::new(10, 0, 0, 0),
            0
        ));
        assert!(v6_in_prefix(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
        assert!(!v6_in_prefix(
            "2001:db9::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
    }
}
