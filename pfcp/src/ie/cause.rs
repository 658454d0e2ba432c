//! Cause (§8.2.1, type 19).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;
use std::fmt;

/// A PFCP Cause value (Table 8.2.1-1). Values the table leaves spare are
/// kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Cause(pub u8);

impl Cause {
    /// 1: Request accepted (success).
    pub const REQUEST_ACCEPTED: Self = Self(1);
    /// 2: More Usage Report to send.
    pub const MORE_USAGE_REPORT_TO_SEND: Self = Self(2);
    /// 3: Request partially accepted.
    pub const REQUEST_PARTIALLY_ACCEPTED: Self = Self(3);
    /// 64: Request rejected (reason not specified).
    pub const REQUEST_REJECTED: Self = Self(64);
    /// 65: Session context not found.
    pub const SESSION_CONTEXT_NOT_FOUND: Self = Self(65);
    /// 66: Mandatory IE missing.
    pub const MANDATORY_IE_MISSING: Self = Self(66);
    /// 67: Conditional IE missing.
    pub const CONDITIONAL_IE_MISSING: Self = Self(67);
    /// 68: Invalid length.
    pub const INVALID_LENGTH: Self = Self(68);
    /// 69: Mandatory IE incorrect.
    pub const MANDATORY_IE_INCORRECT: Self = Self(69);
    /// 70: Invalid Forwarding Policy.
    pub const INVALID_FORWARDING_POLICY: Self = Self(70);
    /// 71: Invalid F-TEID allocation option.
    pub const INVALID_F_TEID_ALLOCATION_OPTION: Self = Self(71);
    /// 72: No established PFCP Association.
    pub const NO_ESTABLISHED_PFCP_ASSOCIATION: Self = Self(72);
    /// 73: Rule creation/modification Failure.
    pub const RULE_CREATION_MODIFICATION_FAILURE: Self = Self(73);
    /// 74: PFCP entity in congestion.
    pub const PFCP_ENTITY_IN_CONGESTION: Self = Self(74);
    /// 75: No resources available.
    pub const NO_RESOURCES_AVAILABLE: Self = Self(75);
    /// 76: Service not supported.
    pub const SERVICE_NOT_SUPPORTED: Self = Self(76);
    /// 77: System failure.
    pub const SYSTEM_FAILURE: Self = Self(77);
    /// 78: Redirection Requested.
    pub const REDIRECTION_REQUESTED: Self = Self(78);
    /// 79: All dynamic addresses are occupied.
    pub const ALL_DYNAMIC_ADDRESSES_ARE_OCCUPIED: Self = Self(79);
    /// 80: Unknown Pre-defined Rule.
    pub const UNKNOWN_PREDEFINED_RULE: Self = Self(80);
    /// 81: Unknown Application ID.
    pub const UNKNOWN_APPLICATION_ID: Self = Self(81);
    /// 82: L2TP tunnel Establishment failure.
    pub const L2TP_TUNNEL_ESTABLISHMENT_FAILURE: Self = Self(82);
    /// 83: L2TP session Establishment failure.
    pub const L2TP_SESSION_ESTABLISHMENT_FAILURE: Self = Self(83);
    /// 84: L2TP tunnel release.
    pub const L2TP_TUNNEL_RELEASE: Self = Self(84);
    /// 85: L2TP session release.
    pub const L2TP_SESSION_RELEASE: Self = Self(85);
    /// 86: PFCP session restoration failure due to requested resource not available.
    pub const SESSION_RESTORATION_FAILURE: Self = Self(86);
    /// 90: PFD Contents Syntax Error.
    pub const PFD_CONTENTS_SYNTAX_ERROR: Self = Self(90);
    /// 91: PFD Contents Semantics Error.
    pub const PFD_CONTENTS_SEMANTICS_ERROR: Self = Self(91);
    /// 92: PFD Application Id Unknown.
    pub const PFD_APPLICATION_ID_UNKNOWN: Self = Self(92);

    /// Whether the cause reports acceptance (values 1..=63).
    pub fn is_accepted(self) -> bool {
        (1..64).contains(&self.0)
    }

    /// The spec's name of the value, if listed here.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Request accepted",
            2 => "More Usage Report to send",
            3 => "Request partially accepted",
            64 => "Request rejected",
            65 => "Session context not found",
            66 => "Mandatory IE missing",
            67 => "Conditional IE missing",
            68 => "Invalid length",
            69 => "Mandatory IE incorrect",
            70 => "Invalid Forwarding Policy",
            71 => "Invalid F-TEID allocation option",
            72 => "No established PFCP Association",
            73 => "Rule creation/modification Failure",
            74 => "PFCP entity in congestion",
            75 => "No resources available",
            76 => "Service not supported",
            77 => "System failure",
            78 => "Redirection Requested",
            79 => "All dynamic addresses are occupied",
            80 => "Unknown Pre-defined Rule",
            81 => "Unknown Application ID",
            82 => "L2TP tunnel Establishment failure",
            83 => "L2TP session Establishment failure",
            84 => "L2TP tunnel release",
            85 => "L2TP session release",
            86 => "PFCP session restoration failure",
            90 => "PFD Contents Syntax Error",
            91 => "PFD Contents Semantics Error",
            92 => "PFD Application Id Unknown",
            _ => return None,
        })
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Cause({} {n})", self.0),
            None => write!(f, "Cause({})", self.0),
        }
    }
}

impl IeValue for Cause {
    fn value_len(&self) -> usize {
        1
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.0);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self(Reader::new(value).u8()?))
    }
}

impl Ie for Cause {
    const TYPE: u16 = types::CAUSE;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_parse_emit() {
        let bytes = [0, 19, 0, 1, 66];
        let c = Cause::decode(&bytes).unwrap();
        assert_eq!(c, Cause::MANDATORY_IE_MISSING);
        let mut out = Vec::new();
        c.encode(&mut out);
        assert_eq!(out, bytes);
        assert!(Cause::decode(&[0, 19, 0, 0]).is_err());
        assert!(Cause::REQUEST_ACCEPTED.is_accepted());
        assert!(!Cause::SYSTEM_FAILURE.is_accepted());
    }
}
