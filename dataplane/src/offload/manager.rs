//! The offload manager: flow rules follow sessions.
//!
//! On the control side, next to rule publication: [`OffloadManager::install`]
//! when a session is created or modified (with its new compiled version),
//! [`OffloadManager::remove`] when it is deleted, and
//! [`OffloadManager::poll`] now and then for rules that waited for the
//! insertion rate.
//!
//! Per session it keeps one [`OffloadMark`] (a [`MarkTable`] slot, published
//! before any rule that sets it) and the rules [`session_rules`] derives,
//! keyed by what they are for ([`RuleKey`]). A modification diffs the old
//! rules against the new: unchanged rules stay, changed or gone ones are
//! destroyed, new ones created. Every rule that is not in the NIC runs in
//! software, which gives the same results:
//! - the port cannot do it (probe): *fallback*;
//! - the NIC refuses it: *failed* and *fallback*;
//! - the rule bound ([`OffloadConfig::max_rules`]) is reached: *fallback*;
//! - the insertion rate ([`OffloadConfig::insert_rate_per_s`], a token
//!   bucket holding one second's worth) is spent: *deferred*; installed by
//!   a later call when tokens are back.
//!
//! Counters are per port, in [`OffloadState`] (lock-free reads).
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use upf_core::compile::SessionRules;

use super::backend::{FlowBackend, Handle};
use super::mark::{MarkTable, OffloadMark};
use super::spec::{session_rules, FlowSpec, RuleKey};
pub use super::spec::{Target, TopoPort, Topology};
use super::{OffloadConfig, OffloadState, PortOffloadCounters as C};

/// Why a rule runs in software.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The port cannot match or act as the rule needs.
    Unsupported,
    /// The NIC refused it.
    Refused,
    /// The rule bound, or the mark slots, are used up.
    Bound,
}

/// Where one rule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    /// In the NIC.
    Active(Handle),
    /// Waiting for the insertion rate (software meanwhile).
    Pending,
    /// In software.
    Software(Fallback),
}

#[derive(Debug)]
struct Rule {
    port: usize,
    spec: Option<FlowSpec>,
    state: RuleState,
}

#[derive(Debug)]
struct Entry {
    mark: Option<OffloadMark>,
    rules: BTreeMap<RuleKey, Rule>,
}

/// A token bucket over nanoseconds: `rate` tokens per second, at most
/// `rate` held; rate 0 means no limit.
#[derive(Debug)]
struct Bucket {
    rate: u64,
    /// Tokens times 10^9.
    nano_tokens: u64,
    last_ns: u64,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        let rate = u64::from(rate);
        Bucket {
            rate,
            nano_tokens: rate * 1_000_000_000,
            last_ns: 0,
        }
    }

    fn take(&mut self, now_ns: u64) -> bool {
        if self.rate == 0 {
            return true;
        }
        let cap = self.rate * 1_000_000_000;
        let dt = now_ns.saturating_sub(self.last_ns);
        self.last_ns = self.last_ns.max(now_ns);
        self.nano_tokens = self
            .nano_tokens
            .saturating_add(dt.saturating_mul(self.rate))
            .min(cap);
        if self.nano_tokens >= 1_000_000_000 {
            self.nano_tokens -= 1_000_000_000;
            true
        } else {
            false
        }
    }
}

/// Flow rules for sessions, on a [`FlowBackend`].
#[derive(Debug)]
pub struct OffloadManager<B: FlowBackend> {
    backend: B,
    topo: Topology,
    max_rules: usize,
    state: Arc<OffloadState>,
    marks: Arc<MarkTable>,
    sessions: HashMap<u64, Entry>,
    /// Free slots and the generation each slot gets next.
    free: Vec<u32>,
    next_slot: u32,
    gens: Vec<u8>,
    pending: VecDeque<(u64, RuleKey)>,
    active: usize,
    bucket: Bucket,
    clock: Instant,
}

impl<B: FlowBackend> OffloadManager<B> {
    /// A manager for `topo` whose counters go to `state` (one port there per
    /// port of `topo`, same order).
    pub fn new(
        backend: B,
        topo: Topology,
        config: &OffloadConfig,
        state: Arc<OffloadState>,
    ) -> Self {
        assert_eq!(state.ports.len(), topo.ports.len(), "one state per port");
        let marks = Arc::new(MarkTable::new(config.max_rules.max(1)));
        let slots = marks.capacity();
        OffloadManager {
            backend,
            topo,
            max_rules: config.max_rules,
            state,
            marks,
            sessions: HashMap::new(),
            free: Vec::new(),
            next_slot: 1,
            gens: vec![0; slots + 1],
            pending: VecDeque::new(),
            active: 0,
            bucket: Bucket::new(config.insert_rate_per_s),
            clock: Instant::now(),
        }
    }

    /// The mark table the workers read.
    pub fn marks(&self) -> &Arc<MarkTable> {
        &self.marks
    }

    /// The shared state (capabilities and counters).
    pub fn state(&self) -> &Arc<OffloadState> {
        &self.state
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Rules in the NIC now.
    pub fn active_rules(&self) -> usize {
        self.active
    }

    /// Rules waiting for the insertion rate.
    pub fn pending_rules(&self) -> usize {
        self.sessions
            .values()
            .flat_map(|e| e.rules.values())
            .filter(|r| r.state == RuleState::Pending)
            .count()
    }

    /// The mark of a session, if it has one.
    pub fn mark_of_session(&self, seid: u64) -> Option<OffloadMark> {
        self.sessions.get(&seid).and_then(|e| e.mark)
    }

    /// The rules of a session and where each stands.
    pub fn session_rules(&self, seid: u64) -> Vec<(RuleKey, Option<FlowSpec>, RuleState)> {
        self.sessions.get(&seid).map_or_else(Vec::new, |e| {
            e.rules
                .iter()
                .map(|(k, r)| (*k, r.spec.clone(), r.state))
                .collect()
        })
    }

    fn now_ns(&self) -> u64 {
        self.clock.elapsed().as_nanos() as u64
    }

    fn counters(&self, port: usize) -> &C {
        &self.state.ports[port].counters
    }

    fn alloc_mark(&mut self, seid: u64) -> Option<OffloadMark> {
        let slot = match self.free.pop() {
            Some(s) => s,
            None if (self.next_slot as usize) <= self.marks.capacity() => {
                self.next_slot += 1;
                self.next_slot - 1
            }
            None => return None,
        };
        let m = OffloadMark::new(slot, self.gens[slot as usize])?;
        self.marks.publish(m, seid);
        Some(m)
    }

    fn free_mark(&mut self, m: OffloadMark) {
        self.marks.clear(m);
        let g = &mut self.gens[m.slot() as usize];
        *g = g.wrapping_add(1) & 0x0f;
        self.free.push(m.slot());
    }

    /// Installs or updates the rules of a session (a new or modified
    /// version).
    pub fn install(&mut self, rules: &SessionRules) {
        let now = self.now_ns();
        self.install_at(rules, now);
    }

    /// [`Self::install`] at `now_ns` (nanoseconds on any monotonic clock the
    /// caller keeps using).
    pub fn install_at(&mut self, rules: &SessionRules, now_ns: u64) {
        let seid = rules.seid;
        let mut entry = self.sessions.remove(&seid).unwrap_or(Entry {
            mark: None,
            rules: BTreeMap::new(),
        });
        if entry.mark.is_none() {
            entry.mark = self.alloc_mark(seid);
        }
        let mark_id = entry.mark.map_or(0, OffloadMark::encode);
        let wanted = session_rules(rules, &self.topo, mark_id);
        // Gone or changed rules first, so the bound counts what stays.
        let keep: Vec<RuleKey> = entry
            .rules
            .iter()
            .filter(|(k, r)| {
                wanted
                    .iter()
                    .any(|w| w.key == **k && w.port == r.port && w.spec == r.spec)
            })
            .map(|(k, _)| *k)
            .collect();
        let old = std::mem::take(&mut entry.rules);
        for (k, r) in old {
            if keep.contains(&k) {
                entry.rules.insert(k, r);
            } else {
                self.drop_rule(r);
            }
        }
        for w in wanted {
            if entry.rules.contains_key(&w.key) {
                continue;
            }
            let state = match (&w.spec, entry.mark) {
                (None, _) => {
                    C::add(&self.counters(w.port).fallback, 1);
                    RuleState::Software(Fallback::Unsupported)
                }
                (Some(_), None) => {
                    C::add(&self.counters(w.port).fallback, 1);
                    RuleState::Software(Fallback::Bound)
                }
                (Some(spec), Some(_)) => match self.try_create(w.port, spec, now_ns) {
                    Some(s) => s,
                    None => {
                        C::add(&self.counters(w.port).deferred, 1);
                        self.pending.push_back((seid, w.key));
                        RuleState::Pending
                    }
                },
            };
            entry.rules.insert(
                w.key,
                Rule {
                    port: w.port,
                    spec: w.spec,
                    state,
                },
            );
        }
        self.sessions.insert(seid, entry);
    }

    /// Creates a rule now if the bound and rate allow: `None` when the rate
    /// says wait.
    fn try_create(&mut self, port: usize, spec: &FlowSpec, now_ns: u64) -> Option<RuleState> {
        if self.active >= self.max_rules {
            C::add(&self.counters(port).fallback, 1);
            return Some(RuleState::Software(Fallback::Bound));
        }
        if !self.bucket.take(now_ns) {
            return None;
        }
        Some(match self.backend.create(spec) {
            Ok(h) => {
                self.active += 1;
                let c = self.counters(port);
                C::add(&c.installed, 1);
                C::add(&c.active, 1);
                RuleState::Active(h)
            }
            Err(_) => {
                let c = self.counters(port);
                C::add(&c.failed, 1);
                C::add(&c.fallback, 1);
                RuleState::Software(Fallback::Refused)
            }
        })
    }

    fn drop_rule(&mut self, r: Rule) {
        if let RuleState::Active(h) = r.state {
            // A rule the NIC no longer has (its port was reset) is gone
            // either way.
            let _ = self
                .backend
                .destroy(r.spec.as_ref().map_or(0, |s| s.port), h);
            self.active -= 1;
            let c = self.counters(r.port);
            C::add(&c.removed, 1);
            C::sub(&c.active, 1);
        }
    }

    /// Removes the rules of a deleted session and frees its mark.
    pub fn remove(&mut self, seid: u64) {
        let Some(e) = self.sessions.remove(&seid) else {
            return;
        };
        for (_, r) in e.rules {
            self.drop_rule(r);
        }
        if let Some(m) = e.mark {
            self.free_mark(m);
        }
    }

    /// Installs rules that waited for the insertion rate, as far as the
    /// rate allows now. Returns how many were tried.
    pub fn poll(&mut self) -> usize {
        let now = self.now_ns();
        self.poll_at(now)
    }

    /// [`Self::poll`] at `now_ns`.
    pub fn poll_at(&mut self, now_ns: u64) -> usize {
        let mut tried = 0;
        while let Some((seid, key)) = self.pending.pop_front() {
            let Some((port, spec)) = self
                .sessions
                .get(&seid)
                .and_then(|e| e.rules.get(&key))
                .filter(|r| r.state == RuleState::Pending)
                .and_then(|r| r.spec.clone().map(|s| (r.port, s)))
            else {
                continue; // removed or replaced meanwhile
            };
            match self.try_create(port, &spec, now_ns) {
                None => {
                    self.pending.push_front((seid, key));
                    break;
                }
                Some(state) => {
                    tried += 1;
                    if let Some(r) = self
                        .sessions
                        .get_mut(&seid)
                        .and_then(|e| e.rules.get_mut(&key))
                    {
                        r.state = state;
                    }
                }
            }
        }
        tried
    }

    /// Removes every rule (the dataplane is stopping).
    pub fn clear(&mut self) {
        let seids: Vec<u64> = self.sessions.keys().copied().collect();
        for s in seids {
            self.remove(s);
        }
        self.pending.clear();
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn bucket_refills_at_the_rate() {
        let mut b = Bucket::new(2);
        assert!(b.take(0) && b.take(0));
        assert!(!b.take(1_000));
        assert!(b.take(500_000_000));
        assert!(!b.take(500_000_001));
        // Never more than one second's worth.
        assert!(b.take(10_000_000_000) && b.take(10_000_000_000));
        assert!(!b.take(10_000_000_000));
        let mut unlimited = Bucket::new(0);
        assert!((0..1000).all(|_| unlimited.take(0)));
    }
}
