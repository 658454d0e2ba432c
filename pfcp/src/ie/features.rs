//! UP Function Features (§8.2.25, type 43) and CP Function Features
//! (§8.2.58, type 89).

use super::types;

flags_ie! {
    /// UP Function Features: what the UP function supports.
    pub struct UpFunctionFeatures = types::UP_FUNCTION_FEATURES, octets 1..=16, emit 2 {
        /// Downlink data buffering in the CP function.
        BUCP = (0, 1),
        /// Downlink data notification delay.
        DDND = (0, 2),
        /// DL buffering duration.
        DLBD = (0, 3),
        /// Traffic steering.
        TRST = (0, 4),
        /// F-TEID allocation/release in the UP function.
        FTUP = (0, 5),
        /// PFD management procedure.
        PFDM = (0, 6),
        /// Header enrichment of uplink traffic.
        HEEU = (0, 7),
        /// Traffic redirection enforcement.
        TREU = (0, 8),
        /// Sending of end marker packets.
        EMPU = (1, 1),
        /// Predefined PDRs.
        PDIU = (1, 2),
        /// Per-APN dropped DL traffic threshold.
        UDBC = (1, 3),
        /// Quota action to apply when quotas are exhausted.
        QUOAC = (1, 4),
        /// Trace.
        TRACE = (1, 5),
        /// Framed routing.
        FRRT = (1, 6),
        /// PFD contents provisioning per PFD.
        PFDE = (1, 7),
        /// Enhanced PFCP association release.
        EPFAR = (1, 8),
        /// Deferred PDR activation or deactivation.
        DPDRA = (2, 1),
        /// Activation and deactivation of pre-defined PDRs.
        ADPDP = (2, 2),
        /// UE IP address allocation in the UP function.
        UEIP = (2, 3),
        /// PFCP sessions successively controlled by SMFs of an SMF set.
        SSET = (2, 4),
        /// Measurement of number of packets.
        MNOP = (2, 5),
        /// Multiple instances of Traffic Endpoint IDs in a PDI.
        MTE = (2, 6),
        /// PFCP messages bundling.
        BUNDL = (2, 7),
        /// 5G VN group communication.
        GCOM = (2, 8),
        /// Multiple PFCP associations to SMFs in an SMF set.
        MPAS = (3, 1),
        /// Redundant transmission at transport layer.
        RTTL = (3, 2),
        /// Quota validity time.
        VTIME = (3, 3),
        /// Number of reports.
        NORP = (3, 4),
        /// IPTV service.
        IPTV = (3, 5),
        /// UE IPv6 address(es) allocation with prefix length other than 64.
        IP6PL = (3, 6),
        /// Time sensitive communication.
        TSCU = (3, 7),
        /// MPTCP proxy.
        MPTCP = (3, 8),
        /// ATSSS-LL steering.
        ATSSS_LL = (4, 1),
        /// Per QoS flow per UE QoS monitoring.
        QFQM = (4, 2),
        /// Per GTP-U path QoS monitoring.
        GPQM = (4, 3),
        /// MT-EDT.
        MT_EDT = (4, 4),
        /// CIoT.
        CIOT = (4, 5),
        /// Ethernet PDU session information for ARP/ND proxying.
        ETHAR = (4, 6),
        /// Reporting the first buffered DL packet.
        DDDS = (4, 7),
        /// Reliable data service.
        RDS = (4, 8),
        /// RTT measurements towards the UE without PMF.
        RTTWP = (5, 1),
        /// Quota action to apply when quota expired.
        QUOAF = (5, 2),
        /// Network slice specific PFCP overload control.
        NSPOC = (5, 3),
        /// L2TP.
        L2TP = (5, 4),
        /// Uplink packets buffering during EAS relocation.
        UPBER = (5, 5),
        /// Restoration of PFCP sessions associated with FQ-CSIDs.
        RESPS = (5, 6),
    }

    /// CP Function Features: what the CP function supports.
    pub struct CpFunctionFeatures = types::CP_FUNCTION_FEATURES, octets 1..=8, emit 1 {
        /// Load control.
        LOAD = (0, 1),
        /// Overload control.
        OVRL = (0, 2),
        /// Enhanced PFCP association release.
        EPFAR = (0, 3),
        /// SMF set.
        SSET = (0, 4),
        /// PFCP messages bundling.
        BUNDL = (0, 5),
        /// Multiple PFCP associations from an SMF set.
        MPAS = (0, 6),
        /// Additional usage reports in the deletion response.
        ARDR = (0, 7),
        /// UE IP address usage reporting.
        UIAUR = (0, 8),
        /// PFCP session establishment/modification with partial success.
        PSUCC = (1, 1),
    }
}

impl UpFunctionFeatures {
    /// F-TEID allocation in the UP function.
    pub fn ftup(&self) -> bool {
        self.has(Self::FTUP)
    }
    /// Downlink data buffering in the CP function.
    pub fn bucp(&self) -> bool {
        self.has(Self::BUCP)
    }
    /// Downlink data notification delay.
    pub fn ddnd(&self) -> bool {
        self.has(Self::DDND)
    }
    /// End marker sending.
    pub fn empu(&self) -> bool {
        self.has(Self::EMPU)
    }
    /// Predefined PDRs.
    pub fn pdiu(&self) -> bool {
        self.has(Self::PDIU)
    }
    /// UE IP address allocation.
    pub fn ueip(&self) -> bool {
        self.has(Self::UEIP)
    }
    /// Quota action.
    pub fn quoac(&self) -> bool {
        self.has(Self::QUOAC)
    }
    /// Packet counting.
    pub fn mnop(&self) -> bool {
        self.has(Self::MNOP)
    }
    /// Quota validity time.
    pub fn vtime(&self) -> bool {
        self.has(Self::VTIME)
    }
    /// Framed routing.
    pub fn frrt(&self) -> bool {
        self.has(Self::FRRT)
    }
}
