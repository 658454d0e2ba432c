//! Timers: Timer (§8.2.35), DL Buffering Duration (§8.2.29), Graceful
//! Release Period (§8.2.78); DL Buffering Suggested Packet Count (§8.2.30),
//! Time Quota Mechanism (§8.2.81), Multiplier (§8.2.84).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;

/// A GPRS-timer-like octet: unit in bits 8-6, value in bits 5-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimerValue {
    /// Unit: 0 = 2 s, 1 = 1 min, 2 = 10 min, 3 = 1 h, 4 = 10 h,
    /// 7 = infinite; other values are read as 1 min.
    pub unit: u8,
    /// Value, 0..=31.
    pub value: u8,
}

impl TimerValue {
    /// The duration in seconds; `None` for "infinite".
    pub fn seconds(&self) -> Option<u64> {
        let v = u64::from(self.value);
        Some(match self.unit {
            0 => v * 2,
            2 => v * 600,
            3 => v * 3600,
            4 => v * 36000,
            7 => return None,
            _ => v * 60,
        })
    }

    fn octet(&self) -> u8 {
        (self.unit & 7) << 5 | (self.value & 0x1f)
    }

    fn from_octet(o: u8) -> Self {
        Self {
            unit: o >> 5,
            value: o & 0x1f,
        }
    }
}

macro_rules! timer_ie {
    ($( $(#[$meta:meta])* $name:ident = $type:expr; )*) => { $(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub TimerValue);

        impl IeValue for $name {
            fn value_len(&self) -> usize {
                1
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.push(self.0.octet());
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                Ok(Self(TimerValue::from_octet(Reader::new(value).u8()?)))
            }
        }

        impl Ie for $name {
            const TYPE: u16 = $type;
        }
    )* };
}

timer_ie! {
    /// Timer (overload control period of validity).
    Timer = types::TIMER;
    /// DL Buffering Duration.
    DlBufferingDuration = types::DL_BUFFERING_DURATION;
    /// Graceful Release Period.
    GracefulReleasePeriod = types::GRACEFUL_RELEASE_PERIOD;
}

/// DL Buffering Suggested Packet Count: 1 or 2 octets; the length is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DlBufferingSuggestedPacketCount {
    /// One-octet form.
    Short(u8),
    /// Two-octet form.
    Long(u16),
}

impl Default for DlBufferingSuggestedPacketCount {
    fn default() -> Self {
        Self::Short(0)
    }
}

impl DlBufferingSuggestedPacketCount {
    /// The count.
    pub fn count(&self) -> u16 {
        match *self {
            Self::Short(v) => v.into(),
            Self::Long(v) => v,
        }
    }
}

impl IeValue for DlBufferingSuggestedPacketCount {
    fn value_len(&self) -> usize {
        match self {
            Self::Short(_) => 1,
            Self::Long(_) => 2,
        }
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        match *self {
            Self::Short(v) => buf.push(v),
            Self::Long(v) => buf.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        if value.len() >= 2 {
            Ok(Self::Long(r.u16()?))
        } else {
            Ok(Self::Short(r.u8()?))
        }
    }
}

impl Ie for DlBufferingSuggestedPacketCount {
    const TYPE: u16 = types::DL_BUFFERING_SUGGESTED_PACKET_COUNT;
}

/// Time Quota Mechanism: base time interval type (0 CTP, 1 DTP) and the
/// base time interval in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeQuotaMechanism {
    /// BTIT (2 bits).
    pub base_time_interval_type: u8,
    /// Base time interval, seconds.
    pub base_time_interval: u32,
}

impl IeValue for TimeQuotaMechanism {
    fn value_len(&self) -> usize {
        5
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.base_time_interval_type & 3);
        buf.extend_from_slice(&self.base_time_interval.to_be_bytes());
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            base_time_interval_type: r.u8()? & 3,
            base_time_interval: r.u32()?,
        })
    }
}

impl Ie for TimeQuotaMechanism {
    const TYPE: u16 = types::TIME_QUOTA_MECHANISM;
}

/// Multiplier: `value_digits * 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Multiplier {
    /// Value digits (signed 64-bit).
    pub value_digits: i64,
    /// Exponent (signed 32-bit).
    pub exponent: i32,
}

impl IeValue for Multiplier {
    fn value_len(&self) -> usize {
        12
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.value_digits.to_be_bytes());
        buf.extend_from_slice(&self.exponent.to_be_bytes());
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(Self {
            value_digits: i64::from_be_bytes(r.array()?),
            exponent: i32::from_be_bytes(r.array()?),
        })
    }
}

impl Ie for Multiplier {
    const TYPE: u16 = types::MULTIPLIER;
}
