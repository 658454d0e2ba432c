//! IEs made of flag bits (bit 1 is the least significant bit of an octet;
//! octet 0 here is octet 5 in the spec's figures).

use super::types;

/// One flag: an octet index (0 = first value octet) and a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flag {
    /// Index of the value octet (0 = octet 5 in the spec).
    pub octet: u8,
    /// Mask of the bit within the octet.
    pub mask: u8,
}

impl Flag {
    /// The flag at spec bit `bit` (1..=8; taken modulo 8) of value octet
    /// `octet`.
    pub const fn new(octet: u8, bit: u8) -> Self {
        Self {
            octet,
            mask: 1 << (bit.wrapping_sub(1) & 7),
        }
    }
}

/// Up to `N` flag octets and the number in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlagOctets<const N: usize> {
    octets: [u8; N],
    len: u8,
}

impl<const N: usize> Default for FlagOctets<N> {
    fn default() -> Self {
        Self::with_len(1)
    }
}

impl<const N: usize> FlagOctets<N> {
    /// `len` zero octets (at most `N`).
    pub fn with_len(len: usize) -> Self {
        Self {
            octets: [0; N],
            len: len.min(N) as u8,
        }
    }

    /// The first `N` octets of `value`.
    pub fn from_slice(value: &[u8]) -> Self {
        let mut s = Self::with_len(value.len());
        let n = usize::from(s.len);
        s.octets[..n].copy_from_slice(&value[..n]);
        s
    }

    /// The octets in use.
    pub fn octets(&self) -> &[u8] {
        &self.octets[..usize::from(self.len)]
    }

    /// Whether `flag` is set.
    pub fn get(&self, flag: Flag) -> bool {
        self.octets()
            .get(usize::from(flag.octet))
            .is_some_and(|o| o & flag.mask != 0)
    }

    /// Sets or clears `flag`; setting a flag beyond the current length
    /// grows it (a flag beyond `N` octets is ignored).
    pub fn set(&mut self, flag: Flag, on: bool) {
        let i = usize::from(flag.octet);
        if i >= N {
            return;
        }
        if on {
            self.len = self.len.max(flag.octet + 1);
            self.octets[i] |= flag.mask;
        } else {
            self.octets[i] &= !flag.mask;
        }
    }
}

flags_ie! {
    /// Apply Action (§8.2.26).
    pub struct ApplyAction = types::APPLY_ACTION, octets 1..=4, emit 1 {
        /// Drop.
        DROP = (0, 1),
        /// Forward.
        FORW = (0, 2),
        /// Buffer.
        BUFF = (0, 3),
        /// Notify the CP function.
        NOCP = (0, 4),
        /// Duplicate.
        DUPL = (0, 5),
        /// IP multicast accept.
        IPMA = (0, 6),
        /// IP multicast deny.
        IPMD = (0, 7),
        /// Duplicate for redundant transmission.
        DFRT = (0, 8),
        /// Eliminate duplicate packets for redundant transmission.
        EDRT = (1, 1),
        /// Buffered downlink packet notification.
        BDPN = (1, 2),
        /// Discarded downlink packet notification.
        DDPN = (1, 3),
        /// Forward and replicate MBS data using Local Ingress Tunnel.
        FSSM = (1, 4),
        /// Forward MBS session data towards UEs with unicast.
        MBSU = (1, 5),
    }

    /// Reporting Triggers (§8.2.19).
    pub struct ReportingTriggers = types::REPORTING_TRIGGERS, octets 2..=4, emit 3 {
        /// Periodic reporting.
        PERIO = (0, 1),
        /// Volume threshold.
        VOLTH = (0, 2),
        /// Time threshold.
        TIMTH = (0, 3),
        /// Quota holding time.
        QUHTI = (0, 4),
        /// Start of traffic.
        START = (0, 5),
        /// Stop of traffic.
        STOPT = (0, 6),
        /// Dropped DL traffic threshold.
        DROTH = (0, 7),
        /// Linked usage reporting.
        LIUSA = (0, 8),
        /// Volume quota.
        VOLQU = (1, 1),
        /// Time quota.
        TIMQU = (1, 2),
        /// Envelope closure.
        ENVCL = (1, 3),
        /// MAC addresses reporting.
        MACAR = (1, 4),
        /// Event threshold.
        EVETH = (1, 5),
        /// Event quota.
        EVEQU = (1, 6),
        /// IP multicast join/leave.
        IPMJL = (1, 7),
        /// Quota validity time.
        QUVTI = (1, 8),
        /// Report the end marker reception.
        REEMR = (2, 1),
        /// User plane inactivity timer.
        UPINT = (2, 2),
    }

    /// Usage Report Trigger (§8.2.41).
    pub struct UsageReportTrigger = types::USAGE_REPORT_TRIGGER, octets 2..=4, emit 3 {
        /// Periodic reporting.
        PERIO = (0, 1),
        /// Volume threshold.
        VOLTH = (0, 2),
        /// Time threshold.
        TIMTH = (0, 3),
        /// Quota holding time.
        QUHTI = (0, 4),
        /// Start of traffic.
        START = (0, 5),
        /// Stop of traffic.
        STOPT = (0, 6),
        /// Dropped DL traffic threshold.
        DROTH = (0, 7),
        /// Immediate report.
        IMMER = (0, 8),
        /// Volume quota.
        VOLQU = (1, 1),
        /// Time quota.
        TIMQU = (1, 2),
        /// Linked usage reporting.
        LIUSA = (1, 3),
        /// Termination report.
        TERMR = (1, 4),
        /// Monitoring time.
        MONIT = (1, 5),
        /// Envelope closure.
        ENVCL = (1, 6),
        /// MAC addresses reporting.
        MACAR = (1, 7),
        /// Event threshold.
        EVETH = (1, 8),
        /// Event quota.
        EVEQU = (2, 1),
        /// Termination by UP function report.
        TEBUR = (2, 2),
        /// IP multicast join/leave.
        IPMJL = (2, 3),
        /// Quota validity time.
        QUVTI = (2, 4),
        /// End marker reception report.
        EMRRE = (2, 5),
        /// User plane inactivity timer.
        UPINT = (2, 6),
    }

    /// Measurement Method (§8.2.40).
    pub struct MeasurementMethod = types::MEASUREMENT_METHOD, octets 1..=1, emit 1 {
        /// Duration.
        DURAT = (0, 1),
        /// Volume.
        VOLUM = (0, 2),
        /// Event.
        EVENT = (0, 3),
    }

    /// Report Type (§8.2.21).
    pub struct ReportType = types::REPORT_TYPE, octets 1..=1, emit 1 {
        /// Downlink data report.
        DLDR = (0, 1),
        /// Usage report.
        USAR = (0, 2),
        /// Error indication report.
        ERIR = (0, 3),
        /// User plane inactivity report.
        UPIR = (0, 4),
        /// TSC management information report.
        TMIR = (0, 5),
        /// Session report.
        SESR = (0, 6),
        /// UP initiated session request.
        UISR = (0, 7),
    }

    /// PFCPSMReq-Flags (§8.2.31).
    pub struct PfcpSmReqFlags = types::PFCPSMREQ_FLAGS, octets 1..=1, emit 1 {
        /// Drop buffered packets.
        DROBU = (0, 1),
        /// Send end marker packets.
        SNDEM = (0, 2),
        /// Query all URRs.
        QAURR = (0, 3),
        /// Stop of usage measurement to pause charging.
        SUMPC = (0, 4),
        /// Resume of usage measurement to resume charging.
        RUMUC = (0, 5),
        /// Delete all DL N3mb and/or N19mb F-TEIDs.
        DETEID = (0, 6),
        /// HR-SBO mode.
        HRSBOM = (0, 7),
    }

    /// PFCPSRRsp-Flags (§8.2.32).
    pub struct PfcpSrRspFlags = types::PFCPSRRSP_FLAGS, octets 1..=1, emit 1 {
        /// Drop buffered packets.
        DROBU = (0, 1),
    }

    /// Node Report Type (§8.2.69).
    pub struct NodeReportType = types::NODE_REPORT_TYPE, octets 1..=1, emit 1 {
        /// User plane path failure report.
        UPFR = (0, 1),
        /// User plane path recovery report.
        UPRR = (0, 2),
        /// Clock drift report.
        CKDR = (0, 3),
        /// GTP-U path QoS report.
        GPQR = (0, 4),
        /// Peer UP restart report.
        PURR = (0, 5),
        /// Vendor-specific report.
        VSR = (0, 6),
    }

    /// OCI Flags (§8.2.76).
    pub struct OciFlags = types::OCI_FLAGS, octets 1..=1, emit 1 {
        /// Associate OCI with node ID.
        AOCI = (0, 1),
    }

    /// PFCP Association Release Request (§8.2.77).
    pub struct PfcpAssociationReleaseRequest = types::PFCP_ASSOCIATION_RELEASE_REQUEST, octets 1..=1, emit 1 {
        /// PFCP association release request.
        SARR = (0, 1),
        /// Non-zero usage reports for the released sessions.
        URSS = (0, 2),
    }

    /// Usage Information (§8.2.59).
    pub struct UsageInformation = types::USAGE_INFORMATION, octets 1..=1, emit 1 {
        /// Before: usage before a monitoring time.
        BEF = (0, 1),
        /// After: usage after a monitoring time.
        AFT = (0, 2),
        /// Usage after QoS enforcement.
        UAE = (0, 3),
        /// Usage before QoS enforcement.
        UBE = (0, 4),
    }

    /// Measurement Information (§8.2.68).
    pub struct MeasurementInformation = types::MEASUREMENT_INFORMATION, octets 1..=2, emit 1 {
        /// Measurement before QoS enforcement.
        MBQE = (0, 1),
        /// Inactive measurement.
        INAM = (0, 2),
        /// Reduced application detection information.
        RADI = (0, 3),
        /// Immediate start time metering.
        ISTM = (0, 4),
        /// Measurement of number of packets.
        MNOP = (0, 5),
        /// Send start pause of charging.
        SSPOC = (0, 6),
        /// Applicable for start pause of charging.
        ASPOC = (0, 7),
        /// Control of inactive measurement.
        CIAM = (0, 8),
    }

    /// RQI (§8.2.88).
    pub struct Rqi = types::RQI, octets 1..=1, emit 1 {
        /// Reflective QoS indication.
        RQI = (0, 1),
    }

    /// PFCPSRReq-Flags (§8.2.119).
    pub struct PfcpSrReqFlags = types::PFCPSRREQ_FLAGS, octets 1..=1, emit 1 {
        /// PFCP session deleted by the UP function.
        PSDBU = (0, 1),
    }

    /// PFCPAUReq-Flags (§8.2.120).
    pub struct PfcpAuReqFlags = types::PFCPAUREQ_FLAGS, octets 1..=1, emit 1 {
        /// PFCP association to be released with sessions kept.
        PARPS = (0, 1),
    }

    /// PFCPASRsp-Flags (§8.2.134).
    pub struct PfcpAsRspFlags = types::PFCPASRSP_FLAGS, octets 1..=1, emit 1 {
        /// PFCP session retained or PFCP sessions re-established.
        PSREI = (0, 1),
        /// UPF configured for IPUPS.
        UUPSI = (0, 2),
    }

    /// PFCPSEReq-Flags (§8.2.136).
    pub struct PfcpSeReqFlags = types::PFCPSEREQ_FLAGS, octets 1..=1, emit 1 {
        /// Restoration indication.
        RESTI = (0, 1),
        /// Stop of usage measurement to pause charging.
        SUMPC = (0, 2),
    }

    /// PFCPASReq-Flags (§8.2.178).
    pub struct PfcpAsReqFlags = types::PFCPASREQ_FLAGS, octets 1..=1, emit 1 {
        /// UPF configured for IPUPS.
        UUPSI = (0, 1),
    }

    /// Proxying (§8.2.97).
    pub struct Proxying = types::PROXYING, octets 1..=1, emit 1 {
        /// ARP proxying.
        ARP = (0, 1),
        /// IPv6 neighbour solicitation proxying.
        INS = (0, 2),
    }

    /// Data Status (§8.2.179).
    pub struct DataStatus = types::DATA_STATUS, octets 1..=1, emit 1 {
        /// Packets dropped.
        DROP = (0, 1),
        /// Packets buffered.
        BUFF = (0, 2),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::ie::Ie;

    #[test]
    fn apply_action() {
        let aa = ApplyAction::from_flags(&[ApplyAction::BUFF, ApplyAction::NOCP]);
        assert_eq!(aa.octets(), [0x0c]);
        let mut out = Vec::new();
        aa.encode(&mut out);
        assert_eq!(out, [0, 44, 0, 1, 0x0c]);
        let two = ApplyAction::decode(&[0, 44, 0, 2, 0x02, 0x00]).unwrap();
        assert!(two.has(ApplyAction::FORW));
        assert_eq!(two.octets().len(), 2);
        assert_eq!(
            ApplyAction::empty().with(ApplyAction::BDPN).octets(),
            [0, 2]
        );
    }

    #[test]
    fn triggers() {
        let t = UsageReportTrigger::empty().with(UsageReportTrigger::TERMR);
        assert_eq!(t.octets(), [0, 0x08, 0]);
        assert!(ReportingTriggers::decode(&[0, 37, 0, 1, 1]).is_err());
        assert_eq!(t.names(), ["TERMR"]);
    }
}
