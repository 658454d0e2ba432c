//! Decode and encode errors, and their mapping to a PFCP Cause.

use crate::ie::cause::Cause;
use std::fmt;

/// What went wrong while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The PFCP version in the header is not 1. The node answers with a
    /// Version Not Supported Response (§7.4.4.7) instead of a Cause.
    UnsupportedVersion(u8),
    /// A header, IE or field is shorter than its length field or its type
    /// requires, or a length field points beyond the enclosing octets.
    InvalidLength,
    /// A mandatory IE is absent.
    MissingMandatory,
    /// A conditional IE is absent while its condition holds. The codec
    /// cannot evaluate most conditions; the node raises this kind.
    MissingConditional,
    /// A field holds a value the spec does not allow.
    InvalidValue,
    /// The message type does not match the structure asked for.
    UnexpectedMessageType(u8),
}

/// A decode error, with the IE in question.
///
/// `ie_type` is the innermost IE that failed (the Offending IE), and
/// `grouped_in` the outermost grouped IE that contained it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// The IE in question; `None` for header errors.
    pub ie_type: Option<u16>,
    /// The outermost grouped IE that contained `ie_type`, for diagnostics.
    pub grouped_in: Option<u16>,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl DecodeError {
    /// An error of `kind` not yet attributed to an IE.
    pub const fn new(kind: ErrorKind) -> Self {
        Self {
            ie_type: None,
            grouped_in: None,
            kind,
        }
    }

    /// An error of `kind` in the IE `ie_type`.
    pub const fn in_type(ie_type: u16, kind: ErrorKind) -> Self {
        Self {
            ie_type: Some(ie_type),
            grouped_in: None,
            kind,
        }
    }

    /// Too short, or a length field that lies.
    pub const fn invalid_length() -> Self {
        Self::new(ErrorKind::InvalidLength)
    }

    /// A value out of the range the spec allows.
    pub const fn invalid_value() -> Self {
        Self::new(ErrorKind::InvalidValue)
    }

    /// The mandatory IE `ie_type` is missing.
    pub const fn missing(ie_type: u16) -> Self {
        Self::in_type(ie_type, ErrorKind::MissingMandatory)
    }

    /// The conditional IE `ie_type` is missing while its condition holds.
    pub const fn missing_conditional(ie_type: u16) -> Self {
        Self::in_type(ie_type, ErrorKind::MissingConditional)
    }

    /// Attributes the error to IE `ie_type`: as the offending IE when none
    /// is known yet, otherwise as the enclosing grouped IE.
    #[must_use]
    pub fn within(mut self, ie_type: u16) -> Self {
        if self.ie_type.is_none() {
            self.ie_type = Some(ie_type);
        } else {
            self.grouped_in = Some(ie_type);
        }
        self
    }

    /// True when the node must answer with a Version Not Supported Response.
    pub fn is_version_not_supported(&self) -> bool {
        matches!(self.kind, ErrorKind::UnsupportedVersion(_))
    }

    /// The Cause a response to the failed request carries, and the type of
    /// the Offending IE to include with it (TS 29.244 §7.6).
    ///
    /// | kind | Cause |
    /// |------|-------|
    /// | `MissingMandatory` | 66 Mandatory IE missing |
    /// | `MissingConditional` | 67 Conditional IE missing |
    /// | `InvalidLength` | 68 Invalid length |
    /// | `InvalidValue` | 69 Mandatory IE incorrect |
    /// | `UnexpectedMessageType` | 64 Request rejected |
    /// | `UnsupportedVersion` | 64 Request rejected (the node sends Version Not Supported Response instead) |
    pub fn cause(&self) -> (Cause, Option<u16>) {
        let cause = match self.kind {
            ErrorKind::MissingMandatory => Cause::MANDATORY_IE_MISSING,
            ErrorKind::MissingConditional => Cause::CONDITIONAL_IE_MISSING,
            ErrorKind::InvalidLength => Cause::INVALID_LENGTH,
            ErrorKind::InvalidValue => Cause::MANDATORY_IE_INCORRECT,
            ErrorKind::UnexpectedMessageType(_) | ErrorKind::UnsupportedVersion(_) => {
                Cause::REQUEST_REJECTED
            }
        };
        // The Offending IE is the innermost IE at fault: for a child missing
        // from a grouped IE, the child's type.
        (cause, self.ie_type)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::UnsupportedVersion(v) => write!(f, "unsupported PFCP version {v}")?,
            ErrorKind::InvalidLength => f.write_str("invalid length")?,
            ErrorKind::MissingMandatory => f.write_str("mandatory IE missing")?,
            ErrorKind::MissingConditional => f.write_str("conditional IE missing")?,
            ErrorKind::InvalidValue => f.write_str("invalid value")?,
            ErrorKind::UnexpectedMessageType(t) => write!(f, "unexpected message type {t}")?,
        }
        if let Some(t) = self.ie_type {
            write!(f, " (IE type {t}")?;
            if let Some(g) = self.grouped_in {
                write!(f, " in grouped IE type {g}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// An encode error: the result does not fit PFCP's 16-bit length fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The message body (or an IE inside it) exceeds 65535 octets.
    #[error("PFCP message too long: {0} octets")]
    TooLong(usize),
}

pub(crate) type Result<T> = std::result::Result<T, DecodeError>;
