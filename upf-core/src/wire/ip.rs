//! What IPv4 and IPv6 share: the protocol / next-header numbers.

enum_with_unknown! {
    /// IP protocol number (IPv4 Protocol, IPv6 Next Header), IANA registry.
    pub enum IpProtocol(u8) {
        /// IPv6 Hop-by-Hop Options.
        Ipv6Hop = 0,
        /// ICMP for IPv4.
        Icmp = 1,
        /// TCP.
        Tcp = 6,
        /// UDP.
        Udp = 17,
        /// IPv6 Routing header.
        Ipv6Route = 43,
        /// IPv6 Fragment header.
        Ipv6Frag = 44,
        /// Generic Routing Encapsulation.
        Gre = 47,
        /// Encapsulating Security Payload.
        Esp = 50,
        /// ICMP for IPv6.
        Icmpv6 = 58,
        /// No next header (IPv6).
        Ipv6NoNxt = 59,
        /// IPv6 Destination Options.
        Ipv6Opts = 60,
    }
}

impl IpProtocol {
    /// Whether this is an IPv6 extension header that
    /// [`upper_layer`](super::ipv6::upper_layer) walks over.
    pub fn is_ipv6_extension(self) -> bool {
        matches!(
            self,
            IpProtocol::Ipv6Hop
                | IpProtocol::Ipv6Route
                | IpProtocol::Ipv6Frag
                | IpProtocol::Ipv6Opts
        )
    }
}
