//! Source Interface (§8.2.2, type 20), Destination Interface (§8.2.24,
//! type 42) and 3GPP Interface Type (§8.2.118, type 160).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;

u8_enum! {
    /// Interface value of Source Interface (4 bits).
    pub enum SourceInterface {
        /// Access (N3, S1-U, ...).
        Access = 0,
        /// Core (N9, N6 towards another UPF, ...).
        Core = 1,
        /// SGi-LAN / N6-LAN.
        SgiLanN6Lan = 2,
        /// CP-function.
        CpFunction = 3,
        /// 5G VN internal.
        VnInternal5g = 4,
    }
}

u8_enum! {
    /// Interface value of Destination Interface (4 bits).
    pub enum DestinationInterface {
        /// Access.
        Access = 0,
        /// Core.
        Core = 1,
        /// SGi-LAN / N6-LAN.
        SgiLanN6Lan = 2,
        /// CP-function.
        CpFunction = 3,
        /// LI function.
        LiFunction = 4,
        /// 5G VN internal.
        VnInternal5g = 5,
    }
}

u8_enum! {
    /// 3GPP Interface Type value (6 bits).
    pub enum TgppInterfaceType {
        /// S1-U.
        S1U = 0,
        /// S5/S8-U.
        S5S8U = 1,
        /// S4-U.
        S4U = 2,
        /// S11-U.
        S11U = 3,
        /// S12-U.
        S12U = 4,
        /// Gn/Gp-U.
        GnGpU = 5,
        /// S2a-U.
        S2aU = 6,
        /// S2b-U.
        S2bU = 7,
        /// eNodeB GTP-U interface for DL data forwarding.
        EnbDlForwarding = 8,
        /// eNodeB GTP-U interface for UL data forwarding.
        EnbUlForwarding = 9,
        /// SGW/UPF GTP-U interface for DL data forwarding.
        SgwUpfDlForwarding = 10,
        /// N3 3GPP access.
        N3Access3gpp = 11,
        /// N3 trusted non-3GPP access.
        N3TrustedNon3gpp = 12,
        /// N3 untrusted non-3GPP access.
        N3UntrustedNon3gpp = 13,
        /// N3 for data forwarding.
        N3Forwarding = 14,
        /// N9 (non-roaming).
        N9 = 15,
        /// SGi.
        Sgi = 16,
        /// N6.
        N6 = 17,
        /// N19.
        N19 = 18,
    }
}

macro_rules! enum_ie {
    ($t:ty, $type:expr, $mask:literal) => {
        impl IeValue for $t {
            fn value_len(&self) -> usize {
                1
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.push(u8::from(*self) & $mask);
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                Ok(Self::from(Reader::new(value).u8()? & $mask))
            }
        }
        impl Ie for $t {
            const TYPE: u16 = $type;
        }
    };
}

enum_ie!(SourceInterface, types::SOURCE_INTERFACE, 0x0f);
enum_ie!(DestinationInterface, types::DESTINATION_INTERFACE, 0x0f);
enum_ie!(TgppInterfaceType, types::TGPP_INTERFACE_TYPE, 0x3f);
