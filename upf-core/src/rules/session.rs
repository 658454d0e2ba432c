//! A session's rules as the SMF installed them, with all-or-nothing updates.

use super::{Bar, BarId, Far, FarId, Pdr, PdrId, Qer, QerId, Urr, UrrId};

/// Why a set of rules cannot be installed. Each maps to a PFCP Cause in the
/// PFCP crate (mostly "Rule creation/modification failure" with the offending
/// rule, or "Mandatory/Conditional IE missing").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A rule with this ID already exists.
    #[error("duplicate {kind} ID {id}")]
    Duplicate {
        /// "PDR", "FAR", "QER", "URR" or "BAR".
        kind: &'static str,
        /// The ID.
        id: u32,
    },
    /// An update or removal names a rule the session does not have.
    #[error("unknown {kind} ID {id}")]
    Unknown {
        /// "PDR", "FAR", "QER", "URR" or "BAR".
        kind: &'static str,
        /// The ID.
        id: u32,
    },
    /// A PDR references a rule the session does not have.
    #[error("PDR {pdr} references unknown {kind} ID {id}")]
    DanglingReference {
        /// The referencing PDR.
        pdr: PdrId,
        /// "FAR", "QER" or "URR".
        kind: &'static str,
        /// The missing ID.
        id: u32,
    },
    /// A FAR references a BAR the session does not have.
    #[error("FAR {far} references unknown BAR ID {bar}")]
    DanglingBar {
        /// The FAR.
        far: FarId,
        /// The missing BAR.
        bar: BarId,
    },
    /// A rule is inconsistent in itself.
    #[error("{kind} {id}: {reason}")]
    Invalid {
        /// Rule kind.
        kind: &'static str,
        /// Rule ID.
        id: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// The session would exceed a configured limit.
    #[error("too many {kind} rules (limit {limit})")]
    TooMany {
        /// Rule kind.
        kind: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// Per-session limits on rule counts, bounding the work one session can
/// impose on the fast path.
pub const MAX_PDRS: usize = 256;
/// Limit on FARs per session.
pub const MAX_FARS: usize = 256;
/// Limit on QERs per session.
pub const MAX_QERS: usize = 64;
/// Limit on URRs per session.
pub const MAX_URRS: usize = 64;
/// Limit on BARs per session.
pub const MAX_BARS: usize = 8;
/// Limit on QERs or URRs referenced by one PDR.
pub const MAX_REFS_PER_PDR: usize = 8;

/// The rules of one PFCP session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Session {
    /// Local (UP) SEID.
    pub seid: u64,
    /// Packet Detection Rules.
    pub pdrs: Vec<Pdr>,
    /// Forwarding Action Rules.
    pub fars: Vec<Far>,
    /// QoS Enforcement Rules.
    pub qers: Vec<Qer>,
    /// Usage Reporting Rules.
    pub urrs: Vec<Urr>,
    /// Buffering Action Rules.
    pub bars: Vec<Bar>,
}

macro_rules! rule_ops {
    ($field:ident, $ty:ty, $id:ty, $kind:literal, $create:ident, $update:ident, $remove:ident, $get:ident) => {
        /// Adds a rule; fails if its ID is taken.
        pub fn $create(&mut self, rule: $ty) -> Result<(), RuleError> {
            if self.$field.iter().any(|r| r.id == rule.id) {
                return Err(RuleError::Duplicate {
                    kind: $kind,
                    id: u32::from(rule.id),
                });
            }
            self.$field.push(rule);
            Ok(())
        }
        /// Replaces a rule with the same ID; fails if there is none.
        pub fn $update(&mut self, rule: $ty) -> Result<(), RuleError> {
            match self.$field.iter_mut().find(|r| r.id == rule.id) {
                Some(slot) => {
                    *slot = rule;
                    Ok(())
                }
                None => Err(RuleError::Unknown {
                    kind: $kind,
                    id: u32::from(rule.id),
                }),
            }
        }
        /// Removes a rule, returning it; fails if there is none.
        pub fn $remove(&mut self, id: $id) -> Result<$ty, RuleError> {
            match self.$field.iter().position(|r| r.id == id) {
                Some(i) => Ok(self.$field.remove(i)),
                None => Err(RuleError::Unknown {
                    kind: $kind,
                    id: u32::from(id),
                }),
            }
        }
        /// The rule with this ID.
        pub fn $get(&self, id: $id) -> Option<&$ty> {
            self.$field.iter().find(|r| r.id == id)
        }
    };
}

impl Session {
    /// Gives back the spare capacity rule creation left, for a session that
    /// is kept for long (a million of them are).
    pub fn shrink_to_fit(&mut self) {
        self.pdrs.shrink_to_fit();
        self.fars.shrink_to_fit();
        self.qers.shrink_to_fit();
        self.urrs.shrink_to_fit();
        self.bars.shrink_to_fit();
    }

    /// An empty session.
    pub fn new(seid: u64) -> Self {
        Session {
            seid,
            ..Default::default()
        }
    }

    rule_ops!(pdrs, Pdr, PdrId, "PDR", create_pdr, update_pdr, remove_pdr, pdr);
    rule_ops!(fars, Far, FarId, "FAR", create_far, update_far, remove_far, far);
    rule_ops!(qers, Qer, QerId, "QER", create_qer, update_qer, remove_qer, qer);
    rule_ops!(urrs, Urr, UrrId, "URR", create_urr, update_urr, remove_urr, urr);
    rule_ops!(bars, Bar, BarId, "BAR", create_bar, update_bar, remove_bar, bar);

    /// Checks that the rules form a consistent whole: every reference
    /// resolves, counts are within limits, and each rule is sane.
    pub fn validate(&self) -> Result<(), RuleError> {
        let limits = [
            ("PDR", self.pdrs.len(), MAX_PDRS),
            ("FAR", self.fars.len(), MAX_FARS),
            ("QER", self.qers.len(), MAX_QERS),
            ("URR", self.urrs.len(), MAX_URRS),
            ("BAR", self.bars.len(), MAX_BARS),
        ];
        for (kind, n, limit) in limits {
            if n > limit {
                return Err(RuleError::TooMany { kind, limit });
            }
        }
        for pdr in &self.pdrs {
            if let Some(far) = pdr.far_id {
                if self.far(far).is_none() {
                    return Err(RuleError::DanglingReference {
                        pdr: pdr.id,
                        kind: "FAR",
                        id: far,
                    });
                }
            }
            if pdr.qer_ids.len() > MAX_REFS_PER_PDR || pdr.urr_ids.len() > MAX_REFS_PER_PDR {
                return Err(RuleError::Invalid {
                    kind: "PDR",
                    id: pdr.id.into(),
                    reason: "too many QER or URR references",
                });
            }
            for &q in &pdr.qer_ids {
                if self.qer(q).is_none() {
                    return Err(RuleError::DanglingReference {
                        pdr: pdr.id,
                        kind: "QER",
                        id: q,
                    });
                }
            }
            for &u in &pdr.urr_ids {
                if self.urr(u).is_none() {
                    return Err(RuleError::DanglingReference {
                        pdr: pdr.id,
                        kind: "URR",
                        id: u,
                    });
                }
            }
            if let Some(qfi) = pdr.pdi.qfi {
                if qfi > 63 {
                    return Err(RuleError::Invalid {
                        kind: "PDR",
                        id: pdr.id.into(),
                        reason: "QFI above 63",
                    });
                }
            }
            if let Some(f) = &pdr.pdi.local_fteid {
                if f.ipv4.is_none() && f.ipv6.is_none() {
                    return Err(RuleError::Invalid {
                        kind: "PDR",
                        id: pdr.id.into(),
                        reason: "local F-TEID without an address",
                    });
                }
            }
        }
        for far in &self.fars {
            if let Some(bar) = far.bar_id {
                if self.bar(bar).is_none() {
                    return Err(RuleError::DanglingBar { far: far.id, bar });
                }
            }
            far_sane(far)?;
        }
        for qer in &self.qers {
            if qer.qfi.is_some_and(|q| q > 63) || qer.ppi.is_some_and(|p| p > 7) {
                return Err(RuleError::Invalid {
                    kind: "QER",
                    id: qer.id,
                    reason: "QFI above 63 or PPI above 7",
                });
            }
        }
        Ok(())
    }
}

fn far_sane(far: &Far) -> Result<(), RuleError> {
    use super::{ApplyAction, OuterHeaderCreationKind as K};
    let invalid = |reason| RuleError::Invalid {
        kind: "FAR",
        id: far.id,
        reason,
    };
    let a = far.apply_action;
    if a.contains(ApplyAction::DROP) && a.contains(ApplyAction::FORW) {
        return Err(invalid("DROP and FORW both set"));
    }
    if a.contains(ApplyAction::FORW) && far.forwarding.is_none() {
        return Err(invalid("FORW without Forwarding Parameters"));
    }
    if let Some(ohc) = far
        .forwarding
        .as_ref()
        .and_then(|f| f.outer_header_creation)
    {
        let ok = match ohc.kind {
            K::GtpuUdpIpv4 | K::UdpIpv4 | K::Ipv4 => ohc.ipv4.is_some(),
            K::GtpuUdpIpv6 | K::UdpIpv6 | K::Ipv6 => ohc.ipv6.is_some(),
        };
        if !ok {
            return Err(invalid(
                "Outer Header Creation without the peer address it needs",
            ));
        }
    }
    Ok(())
}
