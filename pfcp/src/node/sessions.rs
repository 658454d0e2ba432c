//! What the node keeps per session, and the two indexes over sessions:
//! the session table (by UP SEID) and the tunnel index (by local F-TEID).
//!
//! The node chooses UP SEIDs, so the table is a slab and a SEID names its
//! slot: the slot number plus one in the low 32 bits, the slot's generation
//! in the high 32 bits. A session then costs its state and nothing more (no
//! hash map key, control byte or spare bucket, no box), and lookups hash
//! nothing. A SEID is never handed out twice: a slot whose generation would
//! wrap is retired.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use upf_core::compile::{SessionRules, TunnelKey};
use upf_core::tables::FastMap;

use super::report::UrrStates;
use super::PeerId;
use crate::ie::FqCsid;

/// What the node keeps of a session (64 bytes).
#[derive(Debug)]
pub(super) struct SessionState {
    /// The version published to the dataplane; its `seid` is the session's
    /// UP SEID. It is also the authoritative rule model:
    /// [`SessionRules::to_session`] gives back the session it was compiled
    /// from, so the node keeps the rules once.
    pub rules: Arc<SessionRules>,
    /// The SEID of the CP F-SEID (the SEID responses and reports carry).
    /// Its addresses are not kept: reports go to the association's address.
    pub cp_seid: u64,
    /// The association the session belongs to.
    pub peer: PeerId,
    /// Reporting state per URR.
    pub urrs: UrrStates,
    /// UE IPv4 address allocated from the pool.
    pub ue_v4: Option<Ipv4Addr>,
    /// Buffering episodes and FQ-CSIDs, which most sessions do not have.
    rare: Option<Box<Rare>>,
    /// Counted in [`Sessions::watched`].
    watched: bool,
}

#[derive(Debug, Default)]
struct Rare {
    /// FARs with a Downlink Data Report sent for the current buffering
    /// episode.
    dl_episodes: Vec<u32>,
    /// FQ-CSIDs given at establishment (Session Set Deletion).
    fq_csids: Box<[FqCsid]>,
}

impl SessionState {
    pub fn new(
        rules: Arc<SessionRules>,
        cp_seid: u64,
        peer: PeerId,
        urrs: UrrStates,
        ue_v4: Option<Ipv4Addr>,
        fq_csids: Vec<FqCsid>,
    ) -> Self {
        let rare = (!fq_csids.is_empty()).then(|| {
            Box::new(Rare {
                dl_episodes: Vec::new(),
                fq_csids: fq_csids.into_boxed_slice(),
            })
        });
        SessionState {
            rules,
            cp_seid,
            peer,
            urrs,
            ue_v4,
            rare,
            watched: false,
        }
    }

    /// FARs with a Downlink Data Report sent for the current buffering
    /// episode.
    pub fn dl_episodes(&self) -> &[u32] {
        self.rare.as_ref().map_or(&[], |r| &r.dl_episodes)
    }

    /// A Downlink Data Report was sent for FAR `far`.
    pub fn start_dl_episode(&mut self, far: u32) {
        self.rare.get_or_insert_default().dl_episodes.push(far);
    }

    /// Ends the buffering episodes of the FARs for which `buffering` is
    /// false.
    pub fn retain_dl_episodes(&mut self, buffering: impl FnMut(&u32) -> bool) {
        if let Some(r) = &mut self.rare {
            r.dl_episodes.retain(buffering);
            if r.dl_episodes.is_empty() && r.fq_csids.is_empty() {
                self.rare = None;
            }
        }
    }

    /// FQ-CSIDs given at establishment.
    pub fn fq_csids(&self) -> &[FqCsid] {
        self.rare.as_ref().map_or(&[], |r| &r.fq_csids)
    }

    pub fn watched(&self) -> bool {
        self.watched
    }

    fn seid(&self) -> u64 {
        self.rules.seid
    }
}

/// A slot of the table.
#[derive(Debug)]
enum Slot {
    Live(SessionState),
    /// `next`: the next free slot ([`NONE`] at the end of the list).
    Free {
        generation: u32,
        next: u32,
    },
}

const NONE: u32 = u32::MAX;
/// Slots per page: the table grows a page at a time, never moving what it
/// holds (a vector would double and copy).
const PAGE_BITS: u32 = 10;
const PAGE: usize = 1 << PAGE_BITS;

/// Sessions by UP SEID (see the module documentation).
#[derive(Debug)]
pub(super) struct Sessions {
    pages: Vec<Box<[Slot]>>,
    /// Slots handed out so far; the others of the last page are untouched.
    used: u32,
    /// Head of the free list (most recently freed first).
    free: u32,
    len: usize,
    watched: usize,
}

fn slot_of(seid: u64) -> Option<usize> {
    (seid as u32).checked_sub(1).map(|s| s as usize)
}

fn seid_of(slot: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(slot + 1)
}

impl Sessions {
    pub fn new() -> Self {
        Sessions {
            pages: Vec::new(),
            used: 0,
            free: NONE,
            len: 0,
            watched: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Sessions with URR triggers the node evaluates.
    pub fn watched(&self) -> usize {
        self.watched
    }

    fn slot(&self, i: usize) -> Option<&Slot> {
        self.pages.get(i >> PAGE_BITS)?.get(i & (PAGE - 1))
    }

    fn slot_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.pages.get_mut(i >> PAGE_BITS)?.get_mut(i & (PAGE - 1))
    }

    /// The SEID the next [`Self::insert`] takes (`None`: no slot left).
    pub fn vacant_seid(&self) -> Option<u64> {
        if self.free != NONE {
            match self.slot(self.free as usize) {
                Some(Slot::Free { generation, .. }) => Some(seid_of(self.free, *generation)),
                _ => None,
            }
        } else {
            // Slot numbers stop one short of u32::MAX: number + 1 fits.
            (self.used < NONE - 1).then(|| seid_of(self.used, 0))
        }
    }

    /// Adds a session under its rules' SEID, which must be
    /// [`Self::vacant_seid`].
    pub fn insert(&mut self, state: SessionState) {
        assert_eq!(
            Some(state.seid()),
            self.vacant_seid(),
            "SEID not the vacant one"
        );
        let i = if self.free != NONE {
            let i = self.free;
            if let Some(Slot::Free { next, .. }) = self.slot(i as usize) {
                self.free = *next;
            }
            i
        } else {
            if self.used as usize >> PAGE_BITS == self.pages.len() {
                let page = (0..PAGE)
                    .map(|_| Slot::Free {
                        generation: 0,
                        next: NONE,
                    })
                    .collect();
                self.pages.push(page);
            }
            self.used += 1;
            self.used - 1
        };
        *self.slot_mut(i as usize).expect("slot exists") = Slot::Live(state);
        self.len += 1;
    }

    pub fn get(&self, seid: u64) -> Option<&SessionState> {
        match self.slot(slot_of(seid)?)? {
            Slot::Live(s) if s.seid() == seid => Some(s),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, seid: u64) -> Option<&mut SessionState> {
        match self.slot_mut(slot_of(seid)?)? {
            Slot::Live(s) if s.seid() == seid => Some(s),
            _ => None,
        }
    }

    /// Counts session `seid` as watched or not.
    pub fn set_watched(&mut self, seid: u64, watched: bool) {
        let Some(s) = self.get_mut(seid) else {
            return;
        };
        let was = std::mem::replace(&mut s.watched, watched);
        match (was, watched) {
            (false, true) => self.watched += 1,
            (true, false) => self.watched -= 1,
            _ => {}
        }
    }

    pub fn remove(&mut self, seid: u64) -> Option<SessionState> {
        self.get(seid)?;
        let i = slot_of(seid)?;
        let generation = (seid >> 32) as u32;
        let freed = match generation.checked_add(1) {
            Some(generation) => {
                let next = std::mem::replace(&mut self.free, i as u32);
                Slot::Free { generation, next }
            }
            // Its SEIDs are used up: the slot is retired.
            None => Slot::Free {
                generation,
                next: NONE,
            },
        };
        let Slot::Live(s) = std::mem::replace(self.slot_mut(i)?, freed) else {
            unreachable!("checked above")
        };
        self.len -= 1;
        if s.watched {
            self.watched -= 1;
        }
        Some(s)
    }

    /// Sessions and their SEIDs, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &SessionState)> {
        self.pages
            .iter()
            .flat_map(|p| p.iter())
            .take(self.used as usize)
            .filter_map(|s| match s {
                Slot::Live(s) => Some((s.seid(), s)),
                Slot::Free { .. } => None,
            })
    }

    /// The first watched session at slot `from` or later: its slot and SEID.
    pub fn next_watched(&self, from: usize) -> Option<(usize, u64)> {
        (from..self.used as usize).find_map(|i| match self.slot(i) {
            Some(Slot::Live(s)) if s.watched => Some((i, s.seid())),
            _ => None,
        })
    }

    /// The session a [`Tunnels`] owner names.
    pub fn by_owner(&self, owner: u32) -> Option<(u64, &SessionState)> {
        match self.slot(owner.checked_sub(1)? as usize)? {
            Slot::Live(s) => Some((s.seid(), s)),
            Slot::Free { .. } => None,
        }
    }
}

/// Local F-TEIDs in use, and the session holding each: IPv4 and IPv6
/// tunnels apart, each key in its smallest form, the owner as the low 32
/// bits of the session's SEID (its slot, unique among live sessions). 12
/// bytes an IPv4 tunnel where a map of [`TunnelKey`] to SEID takes 32.
#[derive(Debug, Default)]
pub(super) struct Tunnels {
    v4: FastMap<V4, u32>,
    v6: FastMap<(u32, [u8; 16]), u32>,
}

/// TEID and IPv4 address, hashed as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V4 {
    teid: u32,
    addr: u32,
}

impl std::hash::Hash for V4 {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64((u64::from(self.teid) << 32) | u64::from(self.addr));
    }
}

/// The owner a session has in [`Tunnels`].
fn owner(seid: u64) -> u32 {
    seid as u32
}

impl Tunnels {
    /// The owner of `k`.
    fn get(&self, k: &TunnelKey) -> Option<u32> {
        match k.addr {
            IpAddr::V4(a) => self.v4.get(&V4 {
                teid: k.teid,
                addr: a.into(),
            }),
            IpAddr::V6(a) => self.v6.get(&(k.teid, a.octets())),
        }
        .copied()
    }

    pub fn contains(&self, k: &TunnelKey) -> bool {
        self.get(k).is_some()
    }

    /// Whether session `seid` holds `k`.
    pub fn held_by(&self, k: &TunnelKey, seid: u64) -> bool {
        self.get(k) == Some(owner(seid))
    }

    /// Whether a session other than `seid` holds `k`.
    pub fn held_by_other(&self, k: &TunnelKey, seid: u64) -> bool {
        self.get(k).is_some_and(|o| o != owner(seid))
    }

    pub fn insert(&mut self, k: TunnelKey, seid: u64) {
        match k.addr {
            IpAddr::V4(a) => {
                let key = V4 {
                    teid: k.teid,
                    addr: a.into(),
                };
                self.v4.insert(key, owner(seid));
            }
            IpAddr::V6(a) => {
                self.v6.insert((k.teid, a.octets()), owner(seid));
            }
        }
    }

    /// Removes `k` if session `seid` holds it.
    pub fn release(&mut self, k: &TunnelKey, seid: u64) {
        if !self.held_by(k, seid) {
            return;
        }
        match k.addr {
            IpAddr::V4(a) => {
                self.v4.remove(&V4 {
                    teid: k.teid,
                    addr: a.into(),
                });
            }
            IpAddr::V6(a) => {
                self.v6.remove(&(k.teid, a.octets()));
            }
        }
    }

    /// Every tunnel and its owner (see [`Sessions::by_owner`]).
    pub fn iter(&self) -> impl Iterator<Item = (TunnelKey, u32)> + '_ {
        let v4 = self.v4.iter().map(|(k, o)| {
            let addr = IpAddr::V4(k.addr.into());
            (TunnelKey { teid: k.teid, addr }, *o)
        });
        let v6 = self.v6.iter().map(|((teid, a), o)| {
            let addr = IpAddr::V6((*a).into());
            (TunnelKey { teid: *teid, addr }, *o)
        });
        v4.chain(v6)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use upf_core::compile::compile_owned;
    use upf_core::rules::Session;

    fn state(seid: u64) -> SessionState {
        let rules = compile_owned(Session::new(seid), None).unwrap();
        SessionState::new(
            Arc::new(rules),
            7,
            0,
            UrrStates::default(),
            None,
            Vec::new(),
        )
    }

    fn add(t: &mut Sessions) -> u64 {
        let seid = t.vacant_seid().unwrap();
        t.insert(state(seid));
        seid
    }

    #[test]
    fn a_session_is_64_bytes_in_the_table() {
        assert_eq!(size_of::<Slot>(), 64);
        assert_eq!(size_of::<super::super::report::UrrState>(), 32);
    }

    #[test]
    fn seids_name_slots_and_are_never_handed_out_twice() {
        let mut t = Sessions::new();
        let first: Vec<u64> = (0..3).map(|_| add(&mut t)).collect();
        assert_eq!(first, [1, 2, 3]);
        assert_eq!(t.remove(2).unwrap().cp_seid, 7);
        assert!(t.get(2).is_none() && t.remove(2).is_none());
        // The slot comes back with the next generation.
        let again = add(&mut t);
        assert_eq!(again, (1 << 32) | 2);
        assert!(t.get(2).is_none() && t.get(again).is_some());
        assert_eq!(t.by_owner(2).map(|(s, _)| s), Some(again));
        // A slot whose generations are used up is retired.
        t.remove(again);
        match &mut t.pages[0][1] {
            Slot::Free { generation, .. } => *generation = u32::MAX,
            Slot::Live(_) => unreachable!(),
        }
        let last = add(&mut t);
        assert_eq!(last, (u64::from(u32::MAX) << 32) | 2);
        t.remove(last);
        assert_eq!(add(&mut t), 4);
        // Past a page.
        for _ in 0..PAGE {
            add(&mut t);
        }
        assert_eq!(t.len(), 3 + PAGE);
        assert_eq!(t.iter().count(), t.len());
        assert!(t.get(0).is_none() && t.get(u64::MAX).is_none());
    }

    #[test]
    fn watched_sessions_are_counted_and_found_in_turn() {
        let mut t = Sessions::new();
        let seids: Vec<u64> = (0..5).map(|_| add(&mut t)).collect();
        t.set_watched(seids[1], true);
        t.set_watched(seids[3], true);
        t.set_watched(seids[3], true);
        assert_eq!(t.watched(), 2);
        assert_eq!(t.next_watched(0), Some((1, seids[1])));
        assert_eq!(t.next_watched(2), Some((3, seids[3])));
        assert_eq!(t.next_watched(4), None);
        t.remove(seids[1]);
        t.set_watched(seids[3], false);
        assert_eq!((t.watched(), t.next_watched(0)), (0, None));
    }

    #[test]
    fn tunnels_by_family_and_owner() {
        let v4 = TunnelKey {
            teid: 5,
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        };
        let v6 = TunnelKey {
            teid: 5,
            addr: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        let mut t = Tunnels::default();
        t.insert(v4, (1 << 32) | 9);
        t.insert(v6, 3);
        assert!(t.held_by(&v4, (1 << 32) | 9) && t.held_by(&v6, 3));
        assert!(t.held_by_other(&v4, 3) && !t.held_by_other(&v6, 3));
        t.release(&v4, 3);
        assert!(t.contains(&v4));
        t.release(&v4, (1 << 32) | 9);
        assert!(!t.contains(&v4));
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(v6, 3)]);
    }
}
