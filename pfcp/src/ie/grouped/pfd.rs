//! PFD management IEs: Application ID's PFDs (Table 7.4.3.1-2), PFD
//! context (Table 7.4.3.1-3), PFD contents (§8.2.39).

use crate::ie::types as t;
use crate::ie::*;
use crate::ie::{put_lv16, Reader};

grouped_ie! {
    /// Application ID's PFDs.
    pub struct ApplicationIdsPfds = t::APPLICATION_IDS_PFDS {
        mandatory application_id: ApplicationId = t::APPLICATION_ID,
        multiple pfd_contexts: PfdContext = t::PFD_CONTEXT,
    }
}

grouped_ie! {
    /// PFD context.
    pub struct PfdContext = t::PFD_CONTEXT {
        mandatory_multiple pfd_contents: PfdContents = t::PFD_CONTENTS,
    }
}

/// PFD contents: flags FD, URL, DN, CP, DNP, AFD, AURL, ADNP (bits 1-8), a
/// spare octet, then each present field with a 2-octet length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PfdContents {
    /// Flow description.
    pub flow_description: Option<Vec<u8>>,
    /// URL.
    pub url: Option<Vec<u8>>,
    /// Domain name.
    pub domain_name: Option<Vec<u8>>,
    /// Custom PFD content.
    pub custom: Option<Vec<u8>>,
    /// Domain name protocol.
    pub domain_name_protocol: Option<Vec<u8>>,
    /// Additional flow descriptions.
    pub additional_flow_description: Option<Vec<u8>>,
    /// Additional URLs.
    pub additional_url: Option<Vec<u8>>,
    /// Additional domain names and protocols.
    pub additional_domain_name_and_protocol: Option<Vec<u8>>,
}

impl PfdContents {
    fn fields(&self) -> [&Option<Vec<u8>>; 8] {
        [
            &self.flow_description,
            &self.url,
            &self.domain_name,
            &self.custom,
            &self.domain_name_protocol,
            &self.additional_flow_description,
            &self.additional_url,
            &self.additional_domain_name_and_protocol,
        ]
    }
}

impl IeValue for PfdContents {
    fn value_len(&self) -> usize {
        2 + self
            .fields()
            .iter()
            .filter_map(|f| f.as_ref())
            .map(|v| 2 + v.len().min(65535))
            .sum::<usize>()
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        let mut flags = 0u8;
        for (i, f) in self.fields().iter().enumerate() {
            if f.is_some() {
                flags |= 1 << i;
            }
        }
        buf.extend_from_slice(&[flags, 0]);
        for v in self.fields().into_iter().flatten() {
            put_lv16(buf, v);
        }
    }
    fn decode_value(value: &[u8]) -> crate::error::Result<Self> {
        let mut r = Reader::new(value);
        let flags = r.u8()?;
        r.u8()?;
        let mut out: [Option<Vec<u8>>; 8] = Default::default();
        for (i, slot) in out.iter_mut().enumerate() {
            if flags & (1 << i) != 0 {
                *slot = Some(r.lv16()?.to_vec());
            }
        }
        let [flow_description, url, domain_name, custom, domain_name_protocol, additional_flow_description, additional_url, additional_domain_name_and_protocol] =
            out;
        Ok(Self {
            flow_description,
            url,
            domain_name,
            custom,
            domain_name_protocol,
            additional_flow_description,
            additional_url,
            additional_domain_name_and_protocol,
        })
    }
}

impl Ie for PfdContents {
    const TYPE: u16 = t::PFD_CONTENTS;
}
