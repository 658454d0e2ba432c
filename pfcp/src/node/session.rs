//! PFCP sessions: establishment, modification and deletion (TS 29.244
//! §7.5.2, §7.5.4, §7.5.6), applied all or nothing, answered after apply.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use upf_core::compile::{compile_owned, SessionRules, TunnelKey};
use upf_core::rules::{self as m, ApplyAction, ReportingTriggers, Session};

use super::convert::{self, rule_error, Failure};
use super::report::{FinalUsage, UrrState};
use super::sessions::SessionState;
use super::{Busy, Dataplane, DeleteReason, Held, HeldBody, Node, NodeEvent, Outcome, UePoolV4};
use crate::header::Header;
use crate::ie::types as t;
use crate::ie::{self as p, FailedRuleId};
use crate::message::{self as msg};
use crate::Cause;

/// An IPv4 pool of UE addresses: one bit per address in use (a set of
/// addresses would cost 10 bytes or so a session), grown as allocation
/// reaches further into the pool.
#[derive(Debug)]
pub(super) struct UePool {
    first: u32,
    size: u32,
    next: u32,
    /// Bit `i`: address `first + i` is in use.
    used: Vec<u64>,
    in_use: u32,
}

impl UePool {
    pub(super) fn new(p: UePoolV4) -> Self {
        let len = u32::from(p.prefix_len.clamp(8, 30));
        let mask = u32::MAX << (32 - len);
        let net = u32::from(p.network) & mask;
        let size = (!mask).saturating_sub(1); // without network and broadcast
        UePool {
            first: net + 1,
            size,
            next: 0,
            used: Vec::new(),
            in_use: 0,
        }
    }

    fn allocate(&mut self) -> Option<Ipv4Addr> {
        if self.in_use >= self.size {
            return None;
        }
        for _ in 0..self.size {
            let i = self.next;
            self.next = (self.next + 1) % self.size;
            let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
            if word >= self.used.len() {
                self.used.resize(word + 1, 0);
            }
            if self.used[word] & bit == 0 {
                self.used[word] |= bit;
                self.in_use += 1;
                return Some(Ipv4Addr::from(self.first + i));
            }
        }
        None
    }

    fn release(&mut self, a: Ipv4Addr) {
        let i = u32::from(a).wrapping_sub(self.first);
        if i >= self.size {
            return;
        }
        let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        if let Some(w) = self.used.get_mut(word).filter(|w| **w & bit != 0) {
            *w &= !bit;
            self.in_use -= 1;
        }
    }
}

/// Allocations made while handling one request, committed only if the
/// request succeeds.
#[derive(Debug, Default)]
struct Alloc {
    /// F-TEIDs chosen per CHOOSE ID.
    choose: Vec<(u8, m::FTeid)>,
    /// Tunnel keys chosen in this request.
    reserved: Vec<TunnelKey>,
    /// Created PDRs to report.
    created: Vec<p::CreatedPdr>,
    /// UE address taken from the pool in this request.
    new_ue_v4: Option<Ipv4Addr>,
    /// The session's UE address from the pool (old or new).
    ue_v4: Option<Ipv4Addr>,
}

/// The Create IEs of a request.
struct Creates<'a> {
    bars: &'a [p::CreateBar],
    qers: &'a [p::CreateQer],
    urrs: &'a [p::CreateUrr],
    fars: &'a [p::CreateFar],
    pdrs: &'a [p::CreatePdr],
}

impl<'a> Creates<'a> {
    fn of_establishment(r: &'a msg::SessionEstablishmentRequest) -> Self {
        Creates {
            bars: r.create_bar.as_slice(),
            qers: &r.create_qers,
            urrs: &r.create_urrs,
            fars: &r.create_fars,
            pdrs: &r.create_pdrs,
        }
    }

    fn of_modification(r: &'a msg::SessionModificationRequest) -> Self {
        Creates {
            bars: r.create_bar.as_slice(),
            qers: &r.create_qers,
            urrs: &r.create_urrs,
            fars: &r.create_fars,
            pdrs: &r.create_pdrs,
        }
    }
}

fn keys(f: &m::FTeid) -> impl Iterator<Item = TunnelKey> + '_ {
    [f.ipv4.map(IpAddr::V4), f.ipv6.map(IpAddr::V6)]
        .into_iter()
        .flatten()
        .map(move |addr| TunnelKey { teid: f.teid, addr })
}

/// Triggers the node evaluates from the counters.
pub(super) fn watched(rules: &SessionRules) -> bool {
    let rt = ReportingTriggers::PERIO.0
        | ReportingTriggers::VOLTH.0
        | ReportingTriggers::TIMTH.0
        | ReportingTriggers::VOLQU.0
        | ReportingTriggers::TIMQU.0;
    rules
        .urrs
        .iter()
        .map(|u| &u.rule)
        .any(|u| u.reporting_triggers.0 & rt != 0 || u.time_quota.is_some())
}

impl<D: Dataplane> Node<D> {
    /// Local addresses for a PDI's tunnel: N9 toward the core side (or
    /// when the 3GPP Interface Type says N9/S5-S8), N3 otherwise.
    fn local_addrs(&self, pdi: &p::Pdi) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        use p::TgppInterfaceType as T;
        let core = match pdi.source_interface_type {
            Some(T::N9 | T::S5S8U) => true,
            Some(_) => false,
            None => pdi.source_interface == p::SourceInterface::Core,
        };
        let (n3_4, n3_6) = (self.cfg.n3_ipv4, self.cfg.n3_ipv6);
        if core && (self.cfg.n9_ipv4.is_some() || self.cfg.n9_ipv6.is_some()) {
            (self.cfg.n9_ipv4, self.cfg.n9_ipv6)
        } else {
            (n3_4, n3_6)
        }
    }

    /// A free TEID on the given addresses.
    fn alloc_teid(
        &mut self,
        ipv4: Option<Ipv4Addr>,
        ipv6: Option<Ipv6Addr>,
        reserved: &[TunnelKey],
    ) -> Option<u32> {
        let (lo, hi) = self.cfg.teid_range;
        let (lo, hi) = (lo.max(1), hi.max(lo.max(1)));
        let span = u64::from(hi - lo) + 1;
        for _ in 0..span.min(1 << 16) {
            let teid = self.next_teid.clamp(lo, hi);
            self.next_teid = if teid >= hi { lo } else { teid + 1 };
            let f = m::FTeid { teid, ipv4, ipv6 };
            if keys(&f).all(|k| !self.tunnels.contains(&k) && !reserved.contains(&k)) {
                return Some(teid);
            }
        }
        None
    }

    /// The local F-TEID of a PDI: explicit, or chosen (CHOOSE, with CHOOSE
    /// ID shared within the request). Returns it and whether it was chosen.
    fn resolve_fteid(
        &mut self,
        pdi: &p::Pdi,
        alloc: &mut Alloc,
    ) -> Result<(Option<m::FTeid>, bool), Failure> {
        match pdi.local_f_teid {
            None => Ok((None, false)),
            Some(p::FTeid::Explicit { teid, ipv4, ipv6 }) => {
                Ok((Some(m::FTeid { teid, ipv4, ipv6 }), false))
            }
            Some(p::FTeid::Choose { v4, v6, choose_id }) => {
                if let Some(id) = choose_id {
                    if let Some((_, f)) = alloc.choose.iter().find(|(c, _)| *c == id) {
                        return Ok((Some(*f), true));
                    }
                }
                if !v4 && !v6 {
                    return Err(Failure::incorrect(t::F_TEID));
                }
                let (a4, a6) = self.local_addrs(pdi);
                let ipv4 = if v4 { a4 } else { None };
                let ipv6 = if v6 { a6 } else { None };
                if ipv4.is_none() && ipv6.is_none() {
                    return Err(Failure::cause(Cause::NO_RESOURCES_AVAILABLE));
                }
                let teid = self
                    .alloc_teid(ipv4, ipv6, &alloc.reserved)
                    .ok_or(Failure::cause(Cause::NO_RESOURCES_AVAILABLE))?;
                let f = m::FTeid { teid, ipv4, ipv6 };
                alloc.reserved.extend(keys(&f));
                if let Some(id) = choose_id {
                    alloc.choose.push((id, f));
                }
                Ok((Some(f), true))
            }
        }
    }

    /// The UE address of a PDI, allocating from the pool for CHV4.
    fn resolve_ue_ip(
        &mut self,
        pdi: &p::Pdi,
        alloc: &mut Alloc,
    ) -> Result<(Option<m::UeIpAddress>, Option<p::UeIpAddress>), Failure> {
        let Some(choose) = pdi.ue_ip_addresses.iter().find(|u| u.choose_v4) else {
            return Ok((convert::ue_ip(&pdi.ue_ip_addresses), None));
        };
        let a = match alloc.ue_v4 {
            Some(a) => a,
            None => {
                let pool = self
                    .ue_pool
                    .as_mut()
                    .ok_or(Failure::incorrect(t::UE_IP_ADDRESS))?;
                let a = pool
                    .allocate()
                    .ok_or(Failure::cause(Cause::ALL_DYNAMIC_ADDRESSES_ARE_OCCUPIED))?;
                alloc.new_ue_v4 = Some(a);
                alloc.ue_v4 = Some(a);
                a
            }
        };
        let mut ies = pdi.ue_ip_addresses.clone();
        for u in &mut ies {
            if u.choose_v4 {
                u.choose_v4 = false;
                u.ipv4 = Some(a);
            }
        }
        let created = p::UeIpAddress {
            ipv4: Some(a),
            destination: choose.destination,
            ..Default::default()
        };
        Ok((convert::ue_ip(&ies), Some(created)))
    }

    /// A PDI in the model, with allocations; records a Created PDR when
    /// something was chosen.
    fn build_pdi(&mut self, pdi: &p::Pdi, pdr: u16, alloc: &mut Alloc) -> Result<m::Pdi, Failure> {
        let (fteid, chosen) = self.resolve_fteid(pdi, alloc)?;
        let (ue, ue_created) = self.resolve_ue_ip(pdi, alloc)?;
        let out = convert::pdi(pdi, pdr, fteid, ue)?;
        if chosen || ue_created.is_some() {
            alloc.created.push(p::CreatedPdr {
                pdr_id: p::PdrId(pdr),
                local_f_teid: fteid.filter(|_| chosen).map(|f| p::FTeid::Explicit {
                    teid: f.teid,
                    ipv4: f.ipv4,
                    ipv6: f.ipv6,
                }),
                ue_ip_addresses: ue_created.into_iter().collect(),
                ..Default::default()
            });
        }
        Ok(out)
    }

    fn create_rules(
        &mut self,
        model: &mut Session,
        alloc: &mut Alloc,
        c: Creates<'_>,
    ) -> Result<(), Failure> {
        let re = |e: m::RuleError| rule_error(&e);
        let Creates {
            bars,
            qers,
            urrs,
            fars,
            pdrs,
        } = c;
        // Exactly the room the request needs: a session is kept for long.
        model.bars.reserve_exact(bars.len());
        model.qers.reserve_exact(qers.len());
        model.urrs.reserve_exact(urrs.len());
        model.fars.reserve_exact(fars.len());
        model.pdrs.reserve_exact(pdrs.len());
        for b in bars {
            model.create_bar(convert::create_bar(b)).map_err(re)?;
        }
        for q in qers {
            model.create_qer(convert::create_qer(q)).map_err(re)?;
        }
        for u in urrs {
            model.create_urr(convert::create_urr(u)?).map_err(re)?;
        }
        for f in fars {
            model.create_far(convert::create_far(f)?).map_err(re)?;
        }
        for c in pdrs {
            let id = c.pdr_id.0;
            if model.pdr(id).is_some() {
                return Err(Failure::rule(FailedRuleId::Pdr(id)));
            }
            let pdi = self.build_pdi(&c.pdi, id, alloc)?;
            model.create_pdr(convert::create_pdr(c, pdi)).map_err(re)?;
        }
        Ok(())
    }

    /// Compiles `model` (moving it into the rules) and checks that its
    /// tunnels are free (or already this session's).
    fn compile_checked(
        &self,
        seid: u64,
        model: Session,
        previous: Option<&SessionRules>,
    ) -> Result<SessionRules, Failure> {
        let rules = compile_owned(model, previous).map_err(|e| rule_error(&e))?;
        for k in rules.tunnel_keys() {
            if self.tunnels.held_by_other(&k, seid) {
                // The first such PDR in the model's order.
                let pdr = rules
                    .pdrs
                    .iter()
                    .filter(|p| rules.fteid(p).is_some_and(|f| keys(&f).any(|x| x == k)))
                    .min_by_key(|p| p.order)
                    .map_or(0, |p| p.id);
                return Err(Failure::rule(FailedRuleId::Pdr(pdr)));
            }
        }
        Ok(rules)
    }

    fn undo(&mut self, alloc: &Alloc) {
        if let (Some(a), Some(pool)) = (alloc.new_ue_v4, self.ue_pool.as_mut()) {
            pool.release(a);
        }
    }

    fn establishment_failure(&self, f: Failure, cp_seid: u64) -> Outcome {
        tracing::debug!(cause = ?f.cause, offending_ie = ?f.offending_ie, failed_rule = ?f.failed_rule, "session establishment rejected");
        Outcome::Respond(
            msg::SessionEstablishmentResponse {
                node_id: self.our_node_id(),
                cause: f.cause,
                offending_ie: f.offending_ie.map(p::OffendingIe),
                failed_rule_id: f.failed_rule,
                ..Default::default()
            }
            .into(),
            Some(cp_seid),
        )
    }

    pub(super) fn on_establishment(
        &mut self,
        from: SocketAddr,
        r: msg::SessionEstablishmentRequest,
    ) -> Outcome {
        let cp_seid = r.cp_f_seid.seid;
        let Some(peer) = self.peer_id_of(from) else {
            return self.establishment_failure(
                Failure::cause(Cause::NO_ESTABLISHED_PFCP_ASSOCIATION),
                cp_seid,
            );
        };
        let peer_sessions = self.association(peer).map_or(0, |a| a.sessions);
        if self.sessions.len() >= self.cfg.max_sessions
            || peer_sessions >= self.cfg.max_sessions_per_peer
        {
            return self
                .establishment_failure(Failure::cause(Cause::NO_RESOURCES_AVAILABLE), cp_seid);
        }
        let Some(seid) = self.sessions.vacant_seid() else {
            return self
                .establishment_failure(Failure::cause(Cause::NO_RESOURCES_AVAILABLE), cp_seid);
        };
        let mut model = Session::new(seid);
        let mut alloc = Alloc::default();
        let built = self
            .create_rules(&mut model, &mut alloc, Creates::of_establishment(&r))
            .and_then(|()| self.compile_checked(seid, model, None));
        let rules = match built {
            Ok(rules) => Arc::new(rules),
            Err(f) => {
                self.undo(&alloc);
                return self.establishment_failure(f, cp_seid);
            }
        };
        let epoch = match self.dp.install(rules.clone(), None) {
            Ok(e) => e,
            Err(Busy) => {
                self.undo(&alloc);
                return Outcome::Busy;
            }
        };
        // Commit.
        for k in rules.tunnel_keys() {
            self.tunnels.insert(k, seid);
        }
        let now = self.stamp(self.now);
        let urrs = rules
            .urrs
            .iter()
            .map(|u| UrrState::new(&u.rule, now))
            .collect();
        if let Some(a) = self.association_mut(peer) {
            a.sessions += 1;
        }
        let mut created = alloc.created;
        created.shrink_to_fit();
        let is_watched = watched(&rules);
        self.sessions.insert(SessionState::new(
            rules,
            r.cp_f_seid.seid,
            peer,
            urrs,
            alloc.ue_v4,
            r.fq_csids,
        ));
        self.sessions.set_watched(seid, is_watched);
        let response = msg::SessionEstablishmentResponse {
            node_id: self.our_node_id(),
            cause: Cause::REQUEST_ACCEPTED,
            up_f_seid: Some(self.up_f_seid(seid)),
            created_pdrs: created,
            ..Default::default()
        };
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(cp_seid),
            body: HeldBody::Message(Box::new(response.into())),
            events: vec![NodeEvent::SessionCreated { seid, cp_seid }],
        })
    }

    fn modification_failure(&self, f: Failure, cp_seid: u64) -> Outcome {
        tracing::debug!(cause = ?f.cause, offending_ie = ?f.offending_ie, failed_rule = ?f.failed_rule, "session modification rejected");
        Outcome::Respond(
            msg::SessionModificationResponse {
                cause: f.cause,
                offending_ie: f.offending_ie.map(p::OffendingIe),
                failed_rule_id: f.failed_rule,
                ..Default::default()
            }
            .into(),
            Some(cp_seid),
        )
    }

    pub(super) fn on_modification(
        &mut self,
        from: SocketAddr,
        header: &Header,
        r: msg::SessionModificationRequest,
    ) -> Outcome {
        let _ = from;
        let up = header.seid.unwrap_or(0);
        let Some(state) = self.sessions.get(up) else {
            return self.modification_failure(Failure::cause(Cause::SESSION_CONTEXT_NOT_FOUND), 0);
        };
        let cp_seid = state.cp_seid;
        let old_rules = state.rules.clone();
        let mut model = state.rules.to_session();
        let mut alloc = Alloc {
            ue_v4: state.ue_v4,
            ..Default::default()
        };
        let mut end_markers = Vec::new();
        let mut removed_urrs = Vec::new();
        let applied = self.apply_modification(
            &mut model,
            &r,
            &mut alloc,
            &mut end_markers,
            &mut removed_urrs,
        );
        let built = applied.and_then(|()| self.compile_checked(up, model, Some(&old_rules)));
        let rules = match built {
            Ok(rules) => Arc::new(rules),
            Err(f) => {
                self.undo(&alloc);
                return self.modification_failure(f, cp_seid);
            }
        };
        let epoch = match self.dp.install(rules.clone(), Some(old_rules.clone())) {
            Ok(e) => e,
            Err(Busy) => {
                self.undo(&alloc);
                return Outcome::Busy;
            }
        };

        // Commit.
        for k in old_rules.tunnel_keys() {
            if !rules.tunnel_keys().any(|x| x == k) {
                self.tunnels.release(&k, up);
            }
        }
        for k in rules.tunnel_keys() {
            self.tunnels.insert(k, up);
        }
        let now = self.stamp(self.now);
        let is_watched = watched(&rules);
        let (n3_4, n3_6) = (self.cfg.n3_ipv4, self.cfg.n3_ipv6);
        let (n9_4, n9_6) = (self.cfg.n9_ipv4, self.cfg.n9_ipv6);
        let n9 = n9_4.is_some() || n9_6.is_some();
        let state = self.sessions.get_mut(up).expect("checked above");
        let mut finals: Vec<FinalUsage> = Vec::new();
        // Removed URRs: a final report with what they counted.
        for id in &removed_urrs {
            if let Some(c) = old_rules.urr_counters(*id) {
                let Some(mut st) = state.urrs.take(*id) else {
                    continue;
                };
                if let Some(u) = old_rules.urrs.iter().find(|u| u.rule.id == *id) {
                    let u = &u.rule;
                    let trigger =
                        p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::TERMR]);
                    finals.push(FinalUsage {
                        seed: st.seed(u, trigger, now),
                        counters: c.clone(),
                    });
                }
            }
        }
        // New and updated URRs.
        for u in rules.urrs.iter().map(|u| &u.rule) {
            match state.urrs.get_mut(u.id) {
                Some(st) => {
                    let c = rules.urr_counters(u.id);
                    if let Some(upd) = r.update_urrs.iter().find(|x| x.urr_id.0 == u.id) {
                        st.updated(u, upd, now, c.map(|c| c.as_ref()));
                    }
                }
                None => state.urrs.push(UrrState::new(u, now)),
            }
        }
        // Query URR (or all of them with QAURR): an immediate report.
        let qaurr = r
            .pfcpsmreq_flags
            .is_some_and(|f| f.has(p::PfcpSmReqFlags::QAURR));
        let immer = p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::IMMER]);
        for u in rules.urrs.iter().map(|u| &u.rule) {
            if !(qaurr || r.query_urrs.iter().any(|q| q.urr_id.0 == u.id)) {
                continue;
            }
            if let (Some(st), Some(c)) = (state.urrs.get_mut(u.id), rules.urr_counters(u.id)) {
                let mut seed = st.seed(u, immer, now);
                seed.query_urr_reference = r.query_urr_reference.map(|q| q.0);
                finals.push(FinalUsage {
                    seed,
                    counters: c.clone(),
                });
            }
        }
        // A buffering episode ends when its FAR stops buffering.
        state.retain_dl_episodes(|f| {
            rules
                .far(*f)
                .is_some_and(|far| far.apply_action.contains(ApplyAction::BUFF))
        });
        if let Some(cp) = r.cp_f_seid {
            state.cp_seid = cp.seid;
        }
        let new_cp_seid = state.cp_seid;
        state.rules = rules;
        state.ue_v4 = alloc.ue_v4;
        self.sessions.set_watched(up, is_watched);
        let events = end_markers
            .into_iter()
            .map(|em: convert::EndMarker| NodeEvent::SendEndMarker {
                seid: up,
                // The old tunnel's own local address: N9 toward the core
                // side when there is one, N3 otherwise.
                local: match (em.peer, n9 && em.destination == m::Interface::Core) {
                    (IpAddr::V4(_), false) => n3_4.map(IpAddr::V4),
                    (IpAddr::V6(_), false) => n3_6.map(IpAddr::V6),
                    (IpAddr::V4(_), true) => n9_4.map(IpAddr::V4),
                    (IpAddr::V6(_), true) => n9_6.map(IpAddr::V6),
                },
                peer: em.peer,
                teid: em.teid,
            })
            .collect();
        let response = msg::SessionModificationResponse {
            cause: Cause::REQUEST_ACCEPTED,
            created_pdrs: alloc.created,
            ..Default::default()
        };
        let _ = cp_seid;
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(new_cp_seid),
            body: HeldBody::Modification(response, finals),
            events,
        })
    }

    /// Applies a modification to a copy of the model: removals, then
    /// creations, then updates (a rule may be removed and created again
    /// with the same ID in one request).
    fn apply_modification(
        &mut self,
        model: &mut Session,
        r: &msg::SessionModificationRequest,
        alloc: &mut Alloc,
        end_markers: &mut Vec<convert::EndMarker>,
        removed_urrs: &mut Vec<u32>,
    ) -> Result<(), Failure> {
        let re = |e: m::RuleError| rule_error(&e);
        for x in &r.remove_pdrs {
            model.remove_pdr(x.pdr_id.0).map_err(re)?;
        }
        for x in &r.remove_fars {
            model.remove_far(x.far_id.0).map_err(re)?;
        }
        for x in &r.remove_urrs {
            model.remove_urr(x.urr_id.0).map_err(re)?;
            removed_urrs.push(x.urr_id.0);
        }
        for x in &r.remove_qers {
            model.remove_qer(x.qer_id.0).map_err(re)?;
        }
        if let Some(x) = &r.remove_bar {
            model.remove_bar(x.bar_id.0).map_err(re)?;
            // FARs that pointed at it no longer do.
            for f in &mut model.fars {
                if f.bar_id == Some(x.bar_id.0) {
                    f.bar_id = None;
                }
            }
        }
        self.create_rules(model, alloc, Creates::of_modification(r))?;
        if let Some(u) = &r.update_bar {
            let old = model
                .bar(u.bar_id.0)
                .ok_or(Failure::rule(FailedRuleId::Bar(u.bar_id.0)))?;
            let n = convert::update_bar(old, u);
            model.update_bar(n).map_err(re)?;
        }
        for u in &r.update_qers {
            let old = model
                .qer(u.qer_id.0)
                .ok_or(Failure::rule(FailedRuleId::Qer(u.qer_id.0)))?;
            let n = convert::update_qer(old, u);
            model.update_qer(n).map_err(re)?;
        }
        for u in &r.update_urrs {
            let old = model
                .urr(u.urr_id.0)
                .ok_or(Failure::rule(FailedRuleId::Urr(u.urr_id.0)))?;
            let n = convert::update_urr(old, u)?;
            model.update_urr(n).map_err(re)?;
        }
        for u in &r.update_fars {
            let old = model
                .far(u.far_id.0)
                .ok_or(Failure::rule(FailedRuleId::Far(u.far_id.0)))?;
            let (n, em) = convert::update_far(old, u)?;
            end_markers.extend(em);
            model.update_far(n).map_err(re)?;
        }
        for u in &r.update_pdrs {
            let id = u.pdr_id.0;
            let old = model
                .pdr(id)
                .cloned()
                .ok_or(Failure::rule(FailedRuleId::Pdr(id)))?;
            let pdi = match &u.pdi {
                Some(pdi) => Some(self.build_pdi(pdi, id, alloc)?),
                None => None,
            };
            model
                .update_pdr(convert::update_pdr(&old, u, pdi))
                .map_err(re)?;
        }
        for q in &r.query_urrs {
            if model.urr(q.urr_id.0).is_none() {
                return Err(Failure::rule(FailedRuleId::Urr(q.urr_id.0)));
            }
        }
        Ok(())
    }

    pub(super) fn on_deletion(
        &mut self,
        from: SocketAddr,
        header: &Header,
        _r: msg::SessionDeletionRequest,
    ) -> Outcome {
        let up = header.seid.unwrap_or(0);
        let Some(state) = self.sessions.get(up) else {
            return Outcome::Respond(
                msg::SessionDeletionResponse {
                    cause: Cause::SESSION_CONTEXT_NOT_FOUND,
                    ..Default::default()
                }
                .into(),
                Some(0),
            );
        };
        let epoch = match self.dp.remove(up, Some(state.rules.clone())) {
            Ok(e) => e,
            Err(Busy) => return Outcome::Busy,
        };
        let mut state = self.forget_session(up).expect("checked above");
        let now = self.stamp(self.now);
        let termr = p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::TERMR]);
        let mut finals = Vec::new();
        for u in state.rules.urrs.iter().map(|u| &u.rule) {
            if let (Some(st), Some(c)) = (state.urrs.get_mut(u.id), state.rules.urr_counters(u.id))
            {
                finals.push(FinalUsage {
                    seed: st.seed(u, termr, now),
                    counters: c.clone(),
                });
            }
        }
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(state.cp_seid),
            body: HeldBody::Deletion(
                msg::SessionDeletionResponse {
                    cause: Cause::REQUEST_ACCEPTED,
                    ..Default::default()
                },
                finals,
            ),
            events: vec![NodeEvent::SessionDeleted {
                seid: up,
                reason: DeleteReason::Requested,
            }],
        })
    }

    pub(super) fn on_session_set_deletion(
        &mut self,
        from: SocketAddr,
        r: msg::SessionSetDeletionRequest,
    ) -> Outcome {
        if let Some(peer) = self.peer_id_of(from) {
            let doomed: Vec<u64> = self
                .sessions
                .iter()
                .filter(|(_, s)| {
                    s.peer == peer
                        && s.fq_csids().iter().any(|mine| {
                            r.fq_csids.iter().any(|x| {
                                x.node_id == mine.node_id
                                    && x.csids.iter().any(|c| mine.csids.contains(c))
                            })
                        })
                })
                .map(|(k, _)| k)
                .collect();
            for seid in doomed {
                self.release_session(seid, DeleteReason::SetDeletion);
            }
        }
        Outcome::Respond(
            msg::SessionSetDeletionResponse {
                node_id: self.our_node_id(),
                cause: Cause::REQUEST_ACCEPTED,
                ..Default::default()
            }
            .into(),
            None,
        )
    }

    /// Takes a session out of the node's state, releasing its tunnels and
    /// addresses (the dataplane removal is the caller's).
    fn forget_session(&mut self, seid: u64) -> Option<SessionState> {
        let state = self.sessions.remove(seid)?;
        for k in state.rules.tunnel_keys() {
            self.tunnels.release(&k, seid);
        }
        if let (Some(a), Some(pool)) = (state.ue_v4, self.ue_pool.as_mut()) {
            pool.release(a);
        }
        if let Some(a) = self.association_mut(state.peer) {
            a.sessions = a.sessions.saturating_sub(1);
        }
        Some(state)
    }

    /// Removes a session without a request to answer (peer restart,
    /// association release, ...).
    pub(super) fn release_session(&mut self, seid: u64, reason: DeleteReason) {
        let Some(state) = self.forget_session(seid) else {
            return;
        };
        self.removals.push_back((seid, state.rules.clone()));
        self.flush_removals();
        self.push_event(NodeEvent::SessionDeleted { seid, reason });
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ue_pool_allocates_in_turn_and_takes_addresses_back() {
        let mut pool = UePool::new(UePoolV4 {
            network: Ipv4Addr::new(10, 0, 0, 0),
            prefix_len: 25,
        });
        let all: Vec<Ipv4Addr> = std::iter::from_fn(|| pool.allocate()).collect();
        assert_eq!(all.len(), 126);
        assert_eq!(all[0], Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(all[125], Ipv4Addr::new(10, 0, 0, 126));
        pool.release(Ipv4Addr::new(10, 0, 0, 70));
        pool.release(Ipv4Addr::new(10, 0, 0, 70));
        pool.release(Ipv4Addr::new(10, 0, 1, 70));
        pool.release(Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(10, 0, 0, 70)));
        assert_eq!(pool.allocate(), None);
        pool.release(Ipv4Addr::new(10, 0, 0, 3));
        pool.release(Ipv4Addr::new(10, 0, 0, 100));
        // Next fit: on from the last address given, not the lowest free.
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(10, 0, 0, 100)));
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(10, 0, 0, 3)));
    }
}
