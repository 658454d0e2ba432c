//! The gRPC management API (`proto/upf.proto`, package `upf.v1`), served
//! from a [`UpfState`].

use std::sync::Arc;

use tonic::{Request, Response, Status};
use upf_core::counters::{DropReason, Stat};

use crate::state::{SessionSummary, UpfState};

/// Code generated from `proto/upf.proto`.
#[allow(clippy::all, missing_docs, rust_2018_idioms)]
pub mod proto {
    tonic::include_proto!("upf.v1");
}

use proto::management_server::{Management, ManagementServer};

/// The management service over a state.
#[derive(Clone)]
pub struct ManagementService {
    state: Arc<dyn UpfState>,
}

impl std::fmt::Debug for ManagementService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementService").finish_non_exhaustive()
    }
}

impl ManagementService {
    /// A service reading `state`.
    pub fn new(state: Arc<dyn UpfState>) -> Self {
        ManagementService { state }
    }
    /// The tonic server wrapper.
    pub fn into_server(self) -> ManagementServer<Self> {
        ManagementServer::new(self)
    }
}

fn summary(s: &SessionSummary) -> proto::SessionSummary {
    proto::SessionSummary {
        seid: s.seid,
        cp_seid: s.cp_seid,
        peer_node_id: s.peer_node_id.clone(),
        ue_addresses: s.ue_addresses.iter().map(ToString::to_string).collect(),
        pdrs: s.pdrs,
        fars: s.fars,
        qers: s.qers,
        urrs: s.urrs,
        ul_bytes: s.ul_bytes,
        dl_bytes: s.dl_bytes,
        created_ms: s.created_ms,
    }
}

/// ns since the epoch → ms (0 stays 0).
fn ns_to_ms(ns: u64) -> u64 {
    ns / 1_000_000
}

#[tonic::async_trait]
impl Management for ManagementService {
    async fn list_sessions(
        &self,
        _: Request<proto::ListSessionsRequest>,
    ) -> Result<Response<proto::ListSessionsResponse>, Status> {
        let sessions = self.state.sessions().iter().map(summary).collect();
        Ok(Response::new(proto::ListSessionsResponse { sessions }))
    }

    async fn get_session(
        &self,
        req: Request<proto::GetSessionRequest>,
    ) -> Result<Response<proto::GetSessionResponse>, Status> {
        let seid = req.into_inner().seid;
        let d = self
            .state
            .session(seid)
            .ok_or_else(|| Status::not_found(format!("no session with SEID {seid:#x}")))?;
        Ok(Response::new(proto::GetSessionResponse {
            summary: Some(summary(&d.summary)),
            pdrs: d
                .pdrs
                .iter()
                .map(|p| proto::Pdr {
                    id: u32::from(p.id),
                    precedence: p.precedence,
                    source_interface: p.source_interface.clone(),
                    local_fteid: p.local_fteid.clone().unwrap_or_default(),
                    ue_ip: p.ue_ip.clone().unwrap_or_default(),
                    sdf_filters: p.sdf_filters.clone(),
                    qfi: p.qfi.map_or(0, u32::from),
                    network_instance: p.network_instance.clone().unwrap_or_default(),
                    outer_header_removal: p.outer_header_removal.clone().unwrap_or_default(),
                    far_id: p.far_id.unwrap_or(0),
                    has_far: p.far_id.is_some(),
                    qer_ids: p.qer_ids.clone(),
                    urr_ids: p.urr_ids.clone(),
                })
                .collect(),
            fars: d
                .fars
                .iter()
                .map(|f| proto::Far {
                    id: f.id,
                    actions: f.actions.iter().map(|a| (*a).to_owned()).collect(),
                    destination_interface: f.destination_interface.clone().unwrap_or_default(),
                    outer_header_creation: f.outer_header_creation.clone().unwrap_or_default(),
                    network_instance: f.network_instance.clone().unwrap_or_default(),
                    bar_id: f.bar_id.map_or(0, u32::from),
                    has_bar: f.bar_id.is_some(),
                })
                .collect(),
            qers: d
                .qers
                .iter()
                .map(|q| proto::Qer {
                    id: q.id,
                    gate_ul_open: q.gate_ul_open,
                    gate_dl_open: q.gate_dl_open,
                    mbr_ul_kbps: q.mbr_ul_kbps,
                    mbr_dl_kbps: q.mbr_dl_kbps,
                    gbr_ul_kbps: q.gbr_ul_kbps,
                    gbr_dl_kbps: q.gbr_dl_kbps,
                    qfi: q.qfi.map_or(0, u32::from),
                })
                .collect(),
            urrs: d
                .urrs
                .iter()
                .map(|u| proto::Urr {
                    id: u.id,
                    methods: u.methods.iter().map(|m| (*m).to_owned()).collect(),
                    ul_bytes: u.usage.ul_bytes,
                    dl_bytes: u.usage.dl_bytes,
                    ul_packets: u.usage.ul_packets,
                    dl_packets: u.usage.dl_packets,
                    first_packet_ms: ns_to_ms(u.usage.first_ns),
                    last_packet_ms: ns_to_ms(u.usage.last_ns),
                })
                .collect(),
        }))
    }

    async fn list_associations(
        &self,
        _: Request<proto::ListAssociationsRequest>,
    ) -> Result<Response<proto::ListAssociationsResponse>, Status> {
        let associations = self
            .state
            .associations()
            .into_iter()
            .map(|a| proto::Association {
                peer_node_id: a.peer_node_id,
                address: a.address.to_string(),
                state: a.state.name().to_owned(),
                recovery_timestamp_s: a.recovery_timestamp_s,
                last_heartbeat_ms: a.last_heartbeat_ms,
                upf_initiated: a.upf_initiated,
                sessions: a.sessions,
            })
            .collect();
        Ok(Response::new(proto::ListAssociationsResponse {
            associations,
        }))
    }

    async fn get_statistics(
        &self,
        _: Request<proto::GetStatisticsRequest>,
    ) -> Result<Response<proto::GetStatisticsResponse>, Status> {
        let s = self.state.statistics();
        Ok(Response::new(proto::GetStatisticsResponse {
            ports: s
                .ports
                .iter()
                .map(|p| proto::PortStats {
                    name: p.name.clone(),
                    roles: p.roles.clone(),
                    link_up: p.link_up,
                    rx_packets: p.rx_packets,
                    rx_bytes: p.rx_bytes,
                    rx_errors: p.rx_errors,
                    rx_missed: p.rx_missed,
                    tx_packets: p.tx_packets,
                    tx_bytes: p.tx_bytes,
                    tx_errors: p.tx_errors,
                })
                .collect(),
            workers: s
                .workers
                .iter()
                .map(|w| proto::WorkerStats {
                    worker: w.worker,
                    core: w.core,
                    packets: w.packets,
                    busy_ratio: w.busy_ratio,
                })
                .collect(),
            drops: DropReason::ALL
                .iter()
                .map(|r| proto::NamedCounter {
                    name: r.name().to_owned(),
                    value: s.drops[*r as usize],
                    help: r.help().to_owned(),
                })
                .collect(),
            stages: Stat::ALL
                .iter()
                .map(|r| proto::NamedCounter {
                    name: r.name().to_owned(),
                    value: s.stages[*r as usize],
                    help: r.help().to_owned(),
                })
                .collect(),
            sessions: s.sessions,
            uptime_ms: s.uptime_ms,
            buffered_packets: s.buffered_packets,
        }))
    }

    async fn get_offload_state(
        &self,
        _: Request<proto::GetOffloadStateRequest>,
    ) -> Result<Response<proto::GetOffloadStateResponse>, Status> {
        let o = self.state.offload();
        Ok(Response::new(proto::GetOffloadStateResponse {
            mode: o.mode.name().to_owned(),
            active: o.active,
            ports: o
                .ports
                .iter()
                .map(|p| proto::PortOffload {
                    port: p.port.clone(),
                    rte_flow: p.rte_flow,
                    gtp_match: p.gtp_match,
                    gtp_psc_match: p.gtp_psc_match,
                    decap: p.decap,
                    mark: p.mark,
                    rss_inner: p.rss_inner,
                })
                .collect(),
            rules_installed: o.rules_installed,
            rules_failed: o.rules_failed,
            last_error: o.last_error.unwrap_or_default(),
        }))
    }
}
