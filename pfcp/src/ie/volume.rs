//! Volumes: Volume Threshold (§8.2.13), Subsequent Volume Threshold
//! (§8.2.16), Volume Quota (§8.2.50), Subsequent Volume Quota (§8.2.86),
//! Volume Measurement (§8.2.44), Dropped DL Traffic Threshold (§8.2.49).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;

fn opt(r: &mut Reader<'_>, on: bool) -> Result<Option<u64>> {
    if on {
        r.u64().map(Some)
    } else {
        Ok(None)
    }
}

macro_rules! volume_ie {
    ($( $(#[$meta:meta])* $name:ident = $type:expr; )*) => { $(
        $(#[$meta])*
        ///
        /// Flags TOVOL (bit 1), ULVOL (bit 2), DLVOL (bit 3), then the
        /// present volumes in octets, 8 octets each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            /// Total volume (TOVOL).
            pub total: Option<u64>,
            /// Uplink volume (ULVOL).
            pub uplink: Option<u64>,
            /// Downlink volume (DLVOL).
            pub downlink: Option<u64>,
        }

        impl IeValue for $name {
            fn value_len(&self) -> usize {
                1 + 8 * [self.total, self.uplink, self.downlink].iter().flatten().count()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.push(
                    u8::from(self.total.is_some())
                        | u8::from(self.uplink.is_some()) << 1
                        | u8::from(self.downlink.is_some()) << 2,
                );
                for v in [self.total, self.uplink, self.downlink].into_iter().flatten() {
                    buf.extend_from_slice(&v.to_be_bytes());
                }
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                let mut r = Reader::new(value);
                let f = r.u8()?;
                Ok(Self {
                    total: opt(&mut r, f & 1 != 0)?,
                    uplink: opt(&mut r, f & 2 != 0)?,
                    downlink: opt(&mut r, f & 4 != 0)?,
                })
            }
        }

        impl Ie for $name {
            const TYPE: u16 = $type;
        }
    )* };
}

volume_ie! {
    /// Volume Threshold.
    VolumeThreshold = types::VOLUME_THRESHOLD;
    /// Subsequent Volume Threshold.
    SubsequentVolumeThreshold = types::SUBSEQUENT_VOLUME_THRESHOLD;
    /// Volume Quota.
    VolumeQuota = types::VOLUME_QUOTA;
    /// Subsequent Volume Quota.
    SubsequentVolumeQuota = types::SUBSEQUENT_VOLUME_QUOTA;
}

/// Volume Measurement: octets and packets per direction.
///
/// Flags TOVOL, ULVOL, DLVOL, TONOP, ULNOP, DLNOP (bits 1-6), then the
/// present counters in that order, 8 octets each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VolumeMeasurement {
    /// Total octets (TOVOL).
    pub total_volume: Option<u64>,
    /// Uplink octets (ULVOL).
    pub uplink_volume: Option<u64>,
    /// Downlink octets (DLVOL).
    pub downlink_volume: Option<u64>,
    /// Total packets (TONOP).
    pub total_packets: Option<u64>,
    /// Uplink packets (ULNOP).
    pub uplink_packets: Option<u64>,
    /// Downlink packets (DLNOP).
    pub downlink_packets: Option<u64>,
}

impl VolumeMeasurement {
    fn fields(&self) -> [Option<u64>; 6] {
        [
            self.total_volume,
            self.uplink_volume,
            self.downlink_volume,
            self.total_packets,
            self.uplink_packets,
            self.downlink_packets,
        ]
    }
}

impl IeValue for VolumeMeasurement {
    fn value_len(&self) -> usize {
        1 + 8 * self.fields().iter().flatten().count()
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        let mut f = 0u8;
        for (i, v) in self.fields().iter().enumerate() {
            if v.is_some() {
                f |= 1 << i;
            }
        }
        buf.push(f);
        for v in self.fields().into_iter().flatten() {
            buf.extend_from_slice(&v.to_be_bytes());
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        Ok(Self {
            total_volume: opt(&mut r, f & 0x01 != 0)?,
            uplink_volume: opt(&mut r, f & 0x02 != 0)?,
            downlink_volume: opt(&mut r, f & 0x04 != 0)?,
            total_packets: opt(&mut r, f & 0x08 != 0)?,
            uplink_packets: opt(&mut r, f & 0x10 != 0)?,
            downlink_packets: opt(&mut r, f & 0x20 != 0)?,
        })
    }
}

impl Ie for VolumeMeasurement {
    const TYPE: u16 = types::VOLUME_MEASUREMENT;
}

/// Dropped DL Traffic Threshold: DLPA (bit 1) packets, DLBY (bit 2) octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DroppedDlTrafficThreshold {
    /// Downlink packets.
    pub packets: Option<u64>,
    /// Downlink octets.
    pub bytes: Option<u64>,
}

impl IeValue for DroppedDlTrafficThreshold {
    fn value_len(&self) -> usize {
        1 + self.packets.map_or(0, |_| 8) + self.bytes.map_or(0, |_| 8)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(u8::from(self.packets.is_some()) | u8::from(self.bytes.is_some()) << 1);
        for v in [self.packets, self.bytes].into_iter().flatten() {
            buf.extend_from_slice(&v.to_be_bytes());
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        Ok(Self {
            packets: opt(&mut r, f & 1 != 0)?,
            bytes: opt(&mut r, f & 2 != 0)?,
        })
    }
}

impl Ie for DroppedDlTrafficThreshold {
    const TYPE: u16 = types::DROPPED_DL_TRAFFIC_THRESHOLD;
}
