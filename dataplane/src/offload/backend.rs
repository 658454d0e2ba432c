//! Where flow rules go: the [`FlowBackend`] trait, and [`FakeBackend`] for
//! tests (the real one is [`super::rte::RteFlowBackend`]).
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use super::spec::{FlowSpec, ItemKind};

/// An installed rule, as the backend knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle(pub u64);

/// Why the backend refused a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (errno {errno})")]
pub struct Refusal {
    /// The (positive) errno the driver returned.
    pub errno: i32,
    /// The driver's `rte_flow_error` message.
    pub message: String,
}

/// Validates, creates and destroys flow rules.
pub trait FlowBackend: std::fmt::Debug {
    /// Whether the port would accept `spec` (`rte_flow_validate`).
    fn validate(&mut self, spec: &FlowSpec) -> Result<(), Refusal>;
    /// Installs `spec` (`rte_flow_create`).
    fn create(&mut self, spec: &FlowSpec) -> Result<Handle, Refusal>;
    /// Removes a rule (`rte_flow_destroy`) on `port`.
    fn destroy(&mut self, port: u16, handle: Handle) -> Result<(), Refusal>;
}

/// A call the fake saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeCall {
    /// `validate(spec)`.
    Validate(FlowSpec),
    /// `create(spec)` and what it returned.
    Create(FlowSpec, Result<Handle, Refusal>),
    /// `destroy(port, handle)`.
    Destroy(u16, Handle),
}

/// What the fake accepts.
#[derive(Debug, Clone, Default)]
pub struct FakeConfig {
    /// Refuse every rule with an item of one of these kinds.
    pub refuse_items: Vec<ItemKind>,
    /// Refuse rules whose first MARK action has one of these values.
    pub refuse_marks: Vec<u32>,
    /// Refuse every `create` after this many succeeded.
    pub fail_after: Option<usize>,
}

#[derive(Debug, Default)]
struct FakeInner {
    config: FakeConfig,
    calls: Vec<FakeCall>,
    live: HashSet<(u16, Handle)>,
    created: usize,
    next: u64,
}

/// A backend that records calls and accepts or refuses by configuration.
/// Clones share state, so a test keeps one to look at what the manager did.
#[derive(Debug, Clone, Default)]
pub struct FakeBackend(Arc<Mutex<FakeInner>>);

impl FakeBackend {
    /// Accepts everything.
    pub fn accept_all() -> Self {
        Self::default()
    }

    /// Accepts by `config`.
    pub fn with(config: FakeConfig) -> Self {
        let f = Self::default();
        f.lock().config = config;
        f
    }

    fn lock(&self) -> MutexGuard<'_, FakeInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes what it accepts from now on.
    pub fn set_config(&self, config: FakeConfig) {
        self.lock().config = config;
    }

    /// The calls so far.
    pub fn calls(&self) -> Vec<FakeCall> {
        self.lock().calls.clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Specs of the rules installed now, in no particular order.
    pub fn live_specs(&self) -> Vec<FlowSpec> {
        let g = self.lock();
        let mut specs = Vec::new();
        for c in &g.calls {
            if let FakeCall::Create(s, Ok(h)) = c {
                if g.live.contains(&(s.port, *h)) {
                    specs.push(s.clone());
                }
            }
        }
        specs
    }

    /// Number of rules installed now.
    pub fn live(&self) -> usize {
        self.lock().live.len()
    }

    fn check(inner: &FakeInner, spec: &FlowSpec) -> Result<(), Refusal> {
        if let Some(i) = spec
            .pattern
            .iter()
            .find(|i| inner.config.refuse_items.contains(&i.kind()))
        {
            return Err(Refusal {
                errno: libc::ENOTSUP,
                message: format!("fake: item {:?} not supported", i.kind()),
            });
        }
        let mark = spec.actions.iter().find_map(|a| match a {
            super::spec::Action::Mark(m) => Some(*m),
            _ => None,
        });
        if mark.is_some_and(|m| inner.config.refuse_marks.contains(&m)) {
            return Err(Refusal {
                errno: libc::EINVAL,
                message: "fake: mark refused".into(),
            });
        }
        Ok(())
    }
}

impl FlowBackend for FakeBackend {
    fn validate(&mut self, spec: &FlowSpec) -> Result<(), Refusal> {
        let mut g = self.lock();
        g.calls.push(FakeCall::Validate(spec.clone()));
        Self::check(&g, spec)
    }

    fn create(&mut self, spec: &FlowSpec) -> Result<Handle, Refusal> {
        let mut g = self.lock();
        let r = Self::check(&g, spec).and_then(|()| {
            if g.config.fail_after.is_some_and(|n| g.created >= n) {
                Err(Refusal {
                    errno: libc::ENOSPC,
                    message: "fake: table full".into(),
                })
            } else {
                Ok(())
            }
        });
        let r = r.map(|()| {
            g.created += 1;
            g.next += 1;
            let h = Handle(g.next);
            g.live.insert((spec.port, h));
            h
        });
        g.calls.push(FakeCall::Create(spec.clone(), r.clone()));
        r
    }

    fn destroy(&mut self, port: u16, handle: Handle) -> Result<(), Refusal> {
        let mut g = self.lock();
        g.calls.push(FakeCall::Destroy(port, handle));
        if g.live.remove(&(port, handle)) {
            Ok(())
        } else {
            Err(Refusal {
                errno: libc::ENOENT,
                message: "fake: no such rule".into(),
            })
        }
    }
}
