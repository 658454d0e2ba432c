//! Version Not Supported Response (§7.4.4.7): a header and no IEs.

ie_list! {
    /// Version Not Supported Response. Any IEs received are kept in
    /// `unknown`.
    pub struct VersionNotSupportedResponse {}
}
