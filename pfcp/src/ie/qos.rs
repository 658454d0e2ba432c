//! QoS IEs: Gate Status (§8.2.7), MBR (§8.2.8), GBR (§8.2.9), Transport
//! Level Marking (§8.2.12), Downlink Data Service Information (§8.2.27),
//! Packet Rate (§8.2.63), DL Flow Level Marking (§8.2.66), QFI (§8.2.89),
//! Paging Policy Indicator (§8.2.116).

use super::{put_u40, types, Ie, IeValue, Reader};
use crate::error::Result;

uint_ie! {
    /// Transport Level Marking: ToS/Traffic Class value (high octet) and
    /// mask (low octet) for the outer header.
    TransportLevelMarking(u16) = types::TRANSPORT_LEVEL_MARKING;
}

u8_enum! {
    /// One direction of a Gate Status.
    pub enum Gate {
        /// Traffic passes.
        Open = 0,
        /// Traffic is dropped.
        Closed = 1,
    }
}

/// Gate Status: UL gate in bits 4-3, DL gate in bits 2-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GateStatus {
    /// Uplink gate.
    pub ul: Gate,
    /// Downlink gate.
    pub dl: Gate,
}

impl IeValue for GateStatus {
    fn value_len(&self) -> usize {
        1
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push((u8::from(self.ul) & 3) << 2 | (u8::from(self.dl) & 3));
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let v = Reader::new(value).u8()?;
        Ok(Self {
            ul: Gate::from(v >> 2 & 3),
            dl: Gate::from(v & 3),
        })
    }
}

impl Ie for GateStatus {
    const TYPE: u16 = types::GATE_STATUS;
}

macro_rules! bitrate_ie {
    ($(#[$meta:meta])* $name:ident = $type:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            /// Uplink, kbit/s (40 bits).
            pub ul_kbps: u64,
            /// Downlink, kbit/s (40 bits).
            pub dl_kbps: u64,
        }

        impl IeValue for $name {
            fn value_len(&self) -> usize {
                10
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                put_u40(buf, self.ul_kbps);
                put_u40(buf, self.dl_kbps);
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                let mut r = Reader::new(value);
                Ok(Self {
                    ul_kbps: r.u40()?,
                    dl_kbps: r.u40()?,
                })
            }
        }

        impl Ie for $name {
            const TYPE: u16 = $type;
        }
    };
}

bitrate_ie!(
    /// MBR: maximum bit rates.
    Mbr = types::MBR
);
bitrate_ie!(
    /// GBR: guaranteed bit rates.
    Gbr = types::GBR
);

/// QFI: QoS flow identifier (6 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Qfi(pub u8);

impl IeValue for Qfi {
    fn value_len(&self) -> usize {
        1
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.0 & 0x3f);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self(Reader::new(value).u8()? & 0x3f))
    }
}

impl Ie for Qfi {
    const TYPE: u16 = types::QFI;
}

/// Paging Policy Indicator (3 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PagingPolicyIndicator(pub u8);

impl IeValue for PagingPolicyIndicator {
    fn value_len(&self) -> usize {
        1
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.0 & 0x07);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self(Reader::new(value).u8()? & 0x07))
    }
}

impl Ie for PagingPolicyIndicator {
    const TYPE: u16 = types::PAGING_POLICY_INDICATOR;
}

/// Downlink Data Service Information: paging policy indication and QFI of
/// the buffered downlink data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DownlinkDataServiceInformation {
    /// PPI value (6 bits), when PPI is set.
    pub ppi: Option<u8>,
    /// QFI (6 bits), when QFII is set.
    pub qfi: Option<u8>,
}

impl IeValue for DownlinkDataServiceInformation {
    fn value_len(&self) -> usize {
        1 + usize::from(self.ppi.is_some()) + usize::from(self.qfi.is_some())
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(u8::from(self.ppi.is_some()) | u8::from(self.qfi.is_some()) << 1);
        if let Some(p) = self.ppi {
            buf.push(p & 0x3f);
        }
        if let Some(q) = self.qfi {
            buf.push(q & 0x3f);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let ppi = if f & 1 != 0 {
            Some(r.u8()? & 0x3f)
        } else {
            None
        };
        let qfi = if f & 2 != 0 {
            Some(r.u8()? & 0x3f)
        } else {
            None
        };
        Ok(Self { ppi, qfi })
    }
}

impl Ie for DownlinkDataServiceInformation {
    const TYPE: u16 = types::DOWNLINK_DATA_SERVICE_INFORMATION;
}

/// One direction of a Packet Rate: time unit (3 bits: 0 minute, 1 six
/// minutes, 2 hour, 3 day, 4 week) and maximum packets per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PacketRateLimit {
    /// Time unit code.
    pub time_unit: u8,
    /// Maximum packets per time unit.
    pub max_packets: u16,
}

/// Packet Rate (§8.2.63). The APRC part (additional rates) is kept raw.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PacketRate {
    /// Uplink limit (ULPR).
    pub ul: Option<PacketRateLimit>,
    /// Downlink limit (DLPR).
    pub dl: Option<PacketRateLimit>,
    /// Octets after the UL/DL limits, present with APRC.
    pub additional: Option<Vec<u8>>,
}

impl IeValue for PacketRate {
    fn value_len(&self) -> usize {
        1 + self.ul.map_or(0, |_| 3)
            + self.dl.map_or(0, |_| 3)
            + self.additional.as_ref().map_or(0, Vec::len)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(
            u8::from(self.ul.is_some())
                | u8::from(self.dl.is_some()) << 1
                | u8::from(self.additional.is_some()) << 2,
        );
        for l in [self.ul, self.dl].into_iter().flatten() {
            buf.push(l.time_unit & 7);
            buf.extend_from_slice(&l.max_packets.to_be_bytes());
        }
        if let Some(a) = &self.additional {
            buf.extend_from_slice(a);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let mut limit = |on: bool| -> Result<Option<PacketRateLimit>> {
            if !on {
                return Ok(None);
            }
            Ok(Some(PacketRateLimit {
                time_unit: r.u8()? & 7,
                max_packets: r.u16()?,
            }))
        };
        let ul = limit(f & 1 != 0)?;
        let dl = limit(f & 2 != 0)?;
        let additional = (f & 4 != 0).then(|| r.rest().to_vec());
        Ok(Self { ul, dl, additional })
    }
}

impl Ie for PacketRate {
    const TYPE: u16 = types::PACKET_RATE;
}

/// DL Flow Level Marking (§8.2.66).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DlFlowLevelMarking {
    /// ToS/Traffic Class value and mask (TTC).
    pub tos_traffic_class: Option<u16>,
    /// Service Class Indicator (SCI), 2 octets.
    pub service_class_indicator: Option<u16>,
}

impl IeValue for DlFlowLevelMarking {
    fn value_len(&self) -> usize {
        1 + self.tos_traffic_class.map_or(0, |_| 2) + self.service_class_indicator.map_or(0, |_| 2)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(
            u8::from(self.tos_traffic_class.is_some())
                | u8::from(self.service_class_indicator.is_some()) << 1,
        );
        if let Some(t) = self.tos_traffic_class {
            buf.extend_from_slice(&t.to_be_bytes());
        }
        if let Some(s) = self.service_class_indicator {
            buf.extend_from_slice(&s.to_be_bytes());
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let tos_traffic_class = if f & 1 != 0 { Some(r.u16()?) } else { None };
        let service_class_indicator = if f & 2 != 0 { Some(r.u16()?) } else { None };
        Ok(Self {
            tos_traffic_class,
            service_class_indicator,
        })
    }
}

impl Ie for DlFlowLevelMarking {
    const TYPE: u16 = types::DL_FLOW_LEVEL_MARKING;
}
