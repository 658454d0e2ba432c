//! Rule identifiers and other IEs that are one integer.

use super::types;

uint_ie! {
    /// PDR ID (§8.2.36): rule id, 2 octets.
    PdrId(u16) = types::PDR_ID;
    /// FAR ID (§8.2.74). Bit 8 of the first octet set marks a predefined FAR.
    FarId(u32) = types::FAR_ID;
    /// QER ID (§8.2.75). Bit 8 of the first octet set marks a predefined QER.
    QerId(u32) = types::QER_ID;
    /// URR ID (§8.2.54). Bit 8 of the first octet set marks a predefined URR.
    UrrId(u32) = types::URR_ID;
    /// BAR ID (§8.2.57).
    BarId(u8) = types::BAR_ID;
    /// Linked URR ID (§8.2.55).
    LinkedUrrId(u32) = types::LINKED_URR_ID;
    /// Aggregated URR ID (§8.2.85).
    AggregatedUrrId(u32) = types::AGGREGATED_URR_ID;
    /// QER Correlation ID (§8.2.10).
    QerCorrelationId(u32) = types::QER_CORRELATION_ID;
    /// Precedence (§8.2.11): lower values take precedence.
    Precedence(u32) = types::PRECEDENCE;
    /// Query URR Reference (§8.2.90).
    QueryUrrReference(u32) = types::QUERY_URR_REFERENCE;
    /// Traffic Endpoint ID (§8.2.92).
    TrafficEndpointId(u8) = types::TRAFFIC_ENDPOINT_ID;
    /// UR-SEQN (§8.2.71): usage report sequence number.
    UrSeqn(u32) = types::UR_SEQN;
    /// Sequence Number (§8.2.33), in Load/Overload Control Information.
    SequenceNumber(u32) = types::SEQUENCE_NUMBER;
    /// Metric (§8.2.34): 0..=100.
    Metric(u8) = types::METRIC;
    /// Downlink Data Notification Delay (§8.2.28), in units of 50 ms.
    DownlinkDataNotificationDelay(u8) = types::DOWNLINK_DATA_NOTIFICATION_DELAY;
    /// Suggested Buffering Packets Count (§8.2.100).
    SuggestedBufferingPacketsCount(u8) = types::SUGGESTED_BUFFERING_PACKETS_COUNT;
    /// Framed-Routing (§8.2.110), RFC 2865 values.
    FramedRouting(u32) = types::FRAMED_ROUTING;
    /// MAR ID.
    MarId(u16) = types::MAR_ID;
    /// SRR ID (§8.2.151).
    SrrId(u8) = types::SRR_ID;
    /// Number of Reports (§8.2.133).
    NumberOfReports(u16) = types::NUMBER_OF_REPORTS;
    /// Ethernet Filter ID (§8.2.98).
    EthernetFilterId(u32) = types::ETHERNET_FILTER_ID;
    /// Event Quota (§8.2.112).
    EventQuota(u32) = types::EVENT_QUOTA;
    /// Event Threshold (§8.2.113).
    EventThreshold(u32) = types::EVENT_THRESHOLD;
    /// Subsequent Event Quota (§8.2.106).
    SubsequentEventQuota(u32) = types::SUBSEQUENT_EVENT_QUOTA;
    /// Subsequent Event Threshold (§8.2.107).
    SubsequentEventThreshold(u32) = types::SUBSEQUENT_EVENT_THRESHOLD;
}
