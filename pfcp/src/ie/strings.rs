//! IEs carrying octet strings: Application ID (§8.2.6), Application
//! Instance ID (§8.2.60), Activate/Deactivate Predefined Rules (§8.2.72,
//! §8.2.73), Framed-Route (§8.2.109), Framed-IPv6-Route (§8.2.111), Data
//! Network Access Identifier (§8.2.161), NF Instance ID (§8.2.175);
//! Forwarding Policy (§8.2.23), Flow Information (§8.2.61), Redirect
//! Information (§8.2.20), Header Enrichment (§8.2.67), UE IP address Pool
//! Identity (§8.2.128).

use super::{put_lv16, put_lv8, types, Ie, IeValue, Reader};
use crate::error::Result;

bytes_ie! {
    /// Application ID.
    ApplicationId = types::APPLICATION_ID;
    /// Application Instance ID.
    ApplicationInstanceId = types::APPLICATION_INSTANCE_ID;
    /// Activate Predefined Rules: a rule name.
    ActivatePredefinedRules = types::ACTIVATE_PREDEFINED_RULES;
    /// Deactivate Predefined Rules: a rule name.
    DeactivatePredefinedRules = types::DEACTIVATE_PREDEFINED_RULES;
    /// Framed-Route (RFC 2865 text).
    FramedRoute = types::FRAMED_ROUTE;
    /// Framed-IPv6-Route (RFC 3162 text).
    FramedIpv6Route = types::FRAMED_IPV6_ROUTE;
    /// Data Network Access Identifier.
    DataNetworkAccessIdentifier = types::DATA_NETWORK_ACCESS_IDENTIFIER;
    /// NF Instance ID (a UUID, 16 octets).
    NfInstanceId = types::NF_INSTANCE_ID;
}

/// Forwarding Policy: a 1-octet length and the identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ForwardingPolicy(pub Vec<u8>);

impl IeValue for ForwardingPolicy {
    fn value_len(&self) -> usize {
        1 + self.0.len().min(255)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        put_lv8(buf, &self.0);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self(Reader::new(value).lv8()?.to_vec()))
    }
}

impl Ie for ForwardingPolicy {
    const TYPE: u16 = types::FORWARDING_POLICY;
}

/// UE IP address Pool Identity: a 2-octet length and the identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UeIpAddressPoolIdentity(pub Vec<u8>);

impl IeValue for UeIpAddressPoolIdentity {
    fn value_len(&self) -> usize {
        2 + self.0.len().min(65535)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        put_lv16(buf, &self.0);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self(Reader::new(value).lv16()?.to_vec()))
    }
}

impl Ie for UeIpAddressPoolIdentity {
    const TYPE: u16 = types::UE_IP_ADDRESS_POOL_IDENTITY;
}

/// Flow Information: direction (3 bits: 0 unspecified, 1 downlink,
/// 2 uplink, 3 bidirectional) and a flow description.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlowInformation {
    /// Flow direction.
    pub direction: u8,
    /// Flow description (IPFilterRule text).
    pub description: Vec<u8>,
}

impl IeValue for FlowInformation {
    fn value_len(&self) -> usize {
        3 + self.description.len().min(65535)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.direction & 7);
        put_lv16(buf, &self.description);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            direction: r.u8()? & 7,
            description: r.lv16()?.to_vec(),
        })
    }
}

impl Ie for FlowInformation {
    const TYPE: u16 = types::FLOW_INFORMATION;
}

/// Redirect Information: address type (4 bits: 0 IPv4, 1 IPv6, 2 URL,
/// 3 SIP URI, 4 IPv4 and IPv6), server address, and the other server
/// address when one is present.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RedirectInformation {
    /// Redirect address type.
    pub address_type: u8,
    /// Redirect server address (text).
    pub server_address: Vec<u8>,
    /// Other redirect server address (text).
    pub other_server_address: Option<Vec<u8>>,
}

impl IeValue for RedirectInformation {
    fn value_len(&self) -> usize {
        3 + self.server_address.len().min(65535)
            + self
                .other_server_address
                .as_ref()
                .map_or(0, |o| 2 + o.len().min(65535))
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.address_type & 0x0f);
        put_lv16(buf, &self.server_address);
        if let Some(o) = &self.other_server_address {
            put_lv16(buf, o);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let address_type = r.u8()? & 0x0f;
        let server_address = r.lv16()?.to_vec();
        let other_server_address = if r.remaining() >= 2 {
            Some(r.lv16()?.to_vec())
        } else {
            None
        };
        Ok(Self {
            address_type,
            server_address,
            other_server_address,
        })
    }
}

impl Ie for RedirectInformation {
    const TYPE: u16 = types::REDIRECT_INFORMATION;
}

/// Header Enrichment: header type (5 bits, 0 = HTTP), name and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HeaderEnrichment {
    /// Header type.
    pub header_type: u8,
    /// Header field name.
    pub name: Vec<u8>,
    /// Header field value.
    pub value: Vec<u8>,
}

impl IeValue for HeaderEnrichment {
    fn value_len(&self) -> usize {
        3 + self.name.len().min(255) + self.value.len().min(255)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.header_type & 0x1f);
        put_lv8(buf, &self.name);
        put_lv8(buf, &self.value);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            header_type: r.u8()? & 0x1f,
            name: r.lv8()?.to_vec(),
            value: r.lv8()?.to_vec(),
        })
    }
}

impl Ie for HeaderEnrichment {
    const TYPE: u16 = types::HEADER_ENRICHMENT;
}
