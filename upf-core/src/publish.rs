//! Publishing compiled rules from the control side to the workers.
//!
//! Each worker has a bounded lock-free queue of [`Update`]s and an
//! "applied" epoch. The control side pushes an update to every worker's
//! queue and gets its epoch back; a worker drains its queue between bursts
//! (a bounded number per poll, so an update storm cannot stall it), applies
//! each update to its own [`Tables`], and then stores the epoch it reached.
//!
//! - *One version per packet*: a worker switches a session between two
//!   packets, never during one.
//! - *Answer after apply*: [`Publisher::is_applied`] says when every worker
//!   will use the change for its next packet; the PFCP response waits for it.
//! - *Free after grace*: versions being replaced are kept by the publisher
//!   until every worker has passed the epoch that dropped them, so a worker
//!   never frees memory.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::compile::SessionRules;
use crate::tables::{Tables, Update};

/// The queue between the control side and one worker.
#[derive(Debug)]
pub struct WorkerLink {
    queue: ArrayQueue<(u64, Update)>,
    applied: AtomicU64,
    /// A worker that is not polling (stopped) does not hold publication back.
    active: AtomicBool,
}

/// Control-side end: publishes updates to all workers.
#[derive(Debug)]
pub struct Publisher {
    links: Vec<Arc<WorkerLink>>,
    next_epoch: u64,
    retired: VecDeque<(u64, Arc<SessionRules>)>,
}

/// Worker-side end.
#[derive(Debug)]
pub struct Subscriber {
    link: Arc<WorkerLink>,
}

/// The workers' queues are full: try again after they drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("update queue full")]
pub struct QueueFull;

impl Publisher {
    /// A publisher and one subscriber per worker, each queue holding up to
    /// `depth` updates.
    pub fn new(workers: usize, depth: usize) -> (Publisher, Vec<Subscriber>) {
        let links: Vec<_> = (0..workers)
            .map(|_| {
                Arc::new(WorkerLink {
                    queue: ArrayQueue::new(depth.max(1)),
                    applied: AtomicU64::new(0),
                    active: AtomicBool::new(true),
                })
            })
            .collect();
        let subs = links
            .iter()
            .map(|l| Subscriber { link: l.clone() })
            .collect();
        (
            Publisher {
                links,
                next_epoch: 1,
                retired: VecDeque::new(),
            },
            subs,
        )
    }

    /// Publishes an update to every worker. `retire` is the version this
    /// update replaces or removes: it is kept alive until every worker has
    /// applied the update. Returns the update's epoch.
    pub fn publish(
        &mut self,
        update: Update,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, QueueFull> {
        // All or nothing: check room first (only this thread pushes).
        if self.links.iter().any(|l| l.queue.is_full()) {
            return Err(QueueFull);
        }
        let epoch = self.next_epoch;
        self.next_epoch += 1;
        for l in &self.links {
            // Cannot fail: checked above and this is the only producer.
            let _ = l.queue.push((epoch, update.clone()));
        }
        if let Some(old) = retire {
            self.retired.push_back((epoch, old));
        }
        self.reclaim();
        Ok(epoch)
    }

    /// The highest epoch every active worker has applied.
    pub fn applied_epoch(&self) -> u64 {
        self.links
            .iter()
            .filter(|l| l.active.load(Ordering::Acquire))
            .map(|l| l.applied.load(Ordering::Acquire))
            .min()
            .unwrap_or(self.next_epoch - 1)
    }

    /// Whether every worker applies `epoch` (and all before it) from its next packet on.
    pub fn is_applied(&self, epoch: u64) -> bool {
        self.applied_epoch() >= epoch
    }

    /// The most recent epoch handed out.
    pub fn last_epoch(&self) -> u64 {
        self.next_epoch - 1
    }

    /// Frees retired versions every worker has moved past. Returns how many.
    pub fn reclaim(&mut self) -> usize {
        let done = self.applied_epoch();
        let mut n = 0;
        while self.retired.front().is_some_and(|(e, _)| *e <= done) {
            self.retired.pop_front();
            n += 1;
        }
        n
    }

    /// Versions waiting for the workers.
    pub fn retired_len(&self) -> usize {
        self.retired.len()
    }
}

impl Subscriber {
    /// Applies at most `max` pending updates to `tables`, then publishes the
    /// epoch reached. Returns how many were applied.
    #[inline]
    pub fn drain(&self, tables: &mut Tables, max: usize) -> usize {
        let mut n = 0;
        let mut last = None;
        while n < max {
            match self.link.queue.pop() {
                Some((epoch, update)) => {
                    tables.apply(update);
                    last = Some(epoch);
                    n += 1;
                }
                None => break,
            }
        }
        if let Some(e) = last {
            self.link.applied.store(e, Ordering::Release);
        }
        n
    }

    /// Marks this worker as stopped (or started again): a stopped worker
    /// does not hold publication back.
    pub fn set_active(&self, active: bool) {
        self.link.active.store(active, Ordering::Release);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::compile::compile;
    use crate::rules::{FTeid, Interface, Pdi, Pdr, Session};
    use core::net::{IpAddr, Ipv4Addr};

    fn session(seid: u64, teid: u32) -> Arc<SessionRules> {
        let mut s = Session::new(seid);
        let mut pdi = Pdi::new(Interface::Access);
        pdi.local_fteid = Some(FTeid {
            teid,
            ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            ipv6: None,
        });
        s.create_pdr(Pdr {
            id: 1,
            precedence: 10,
            pdi,
            outer_header_removal: None,
            far_id: None,
            qer_ids: vec![],
            urr_ids: vec![],
        })
        .unwrap();
        Arc::new(compile(&s, None).unwrap())
    }

    #[test]
    fn publish_apply_retire() {
        let (mut p, subs) = Publisher::new(2, 4);
        let mut t0 = Tables::with_capacity(16);
        let mut t1 = Tables::with_capacity(16);
        let v1 = session(7, 100);
        let e1 = p.publish(Update::Install(v1.clone()), None).unwrap();
        assert!(!p.is_applied(e1));
        subs[0].drain(&mut t0, 8);
        assert!(!p.is_applied(e1), "one worker has not applied yet");
        subs[1].drain(&mut t1, 8);
        assert!(p.is_applied(e1));
        let addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert!(t0.lookup_tunnel(100, addr).is_some());

        // Replace with a new TEID: the old key disappears, the new appears.
        let v2 = session(7, 200);
        let e2 = p
            .publish(Update::Install(v2.clone()), Some(v1.clone()))
            .unwrap();
        assert_eq!(p.retired_len(), 1);
        subs[0].drain(&mut t0, 8);
        subs[1].drain(&mut t1, 8);
        assert!(p.is_applied(e2));
        assert!(t1.lookup_tunnel(100, addr).is_none());
        assert_eq!(t1.lookup_tunnel(200, addr).unwrap().seid, 7);
        p.reclaim();
        assert_eq!(p.retired_len(), 0);
        // Only the test's own reference to v1 remains: the tables and the
        // publisher let go of it.
        assert_eq!(Arc::strong_count(&v1), 1);

        let e3 = p.publish(Update::Remove(7), Some(v2)).unwrap();
        subs[0].drain(&mut t0, 8);
        subs[1].set_active(false);
        assert!(p.is_applied(e3), "stopped worker does not hold back");
        assert!(t0.is_empty());
    }

    #[test]
    fn full_queue_is_all_or_nothing() {
        let (mut p, subs) = Publisher::new(2, 1);
        let mut t = Tables::with_capacity(4);
        p.publish(Update::Remove(1), None).unwrap();
        subs[0].drain(&mut t, 8);
        assert_eq!(p.publish(Update::Remove(2), None), Err(QueueFull));
        subs[1].drain(&mut t, 8);
        assert!(p.publish(Update::Remove(2), None).is_ok());
    }
}
