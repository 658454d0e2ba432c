//! Declarative helpers shared by the IE and message modules.
//!
//! `ie_list!` generates a struct made of IEs (a grouped IE or a message
//! body): each field is `mandatory` (`T`), `optional` (`Option<T>`, for the
//! spec's conditional and optional IEs), `multiple` (`Vec<T>`) or
//! `mandatory_multiple` (`Vec<T>`, at least one), with the IE type number it
//! is carried under. Fields encode in declaration order (the
//! order of the spec's tables), followed by the unknown IEs in the order
//! they arrived.

macro_rules! ie_field_ty {
    (mandatory, $t:ty) => { $t };
    (optional, $t:ty) => { Option<$t> };
    (multiple, $t:ty) => { Vec<$t> };
    (mandatory_multiple, $t:ty) => { Vec<$t> };
}

macro_rules! ie_field_len {
    (mandatory, $v:expr) => {
        4 + $crate::ie::IeValue::value_len(&$v)
    };
    (optional, $v:expr) => {
        $v.as_ref()
            .map_or(0, |x| 4 + $crate::ie::IeValue::value_len(x))
    };
    (multiple, $v:expr) => {
        $v.iter()
            .map(|x| 4 + $crate::ie::IeValue::value_len(x))
            .sum::<usize>()
    };
    (mandatory_multiple, $v:expr) => {
        ie_field_len!(multiple, $v)
    };
}

macro_rules! ie_field_encode {
    (mandatory, $v:expr, $code:expr, $buf:expr) => {
        $crate::ie::encode_ie($code, &$v, $buf)
    };
    (optional, $v:expr, $code:expr, $buf:expr) => {
        if let Some(x) = &$v {
            $crate::ie::encode_ie($code, x, $buf)
        }
    };
    (multiple, $v:expr, $code:expr, $buf:expr) => {
        for x in &$v {
            $crate::ie::encode_ie($code, x, $buf)
        }
    };
    (mandatory_multiple, $v:expr, $code:expr, $buf:expr) => {
        ie_field_encode!(multiple, $v, $code, $buf)
    };
}

macro_rules! ie_field_init {
    (mandatory, $t:ty) => {
        Option::<$t>::None
    };
    (optional, $t:ty) => {
        Option::<$t>::None
    };
    (multiple, $t:ty) => {
        Vec::<$t>::new()
    };
    (mandatory_multiple, $t:ty) => {
        Vec::<$t>::new()
    };
}

// A repeated IE whose repetition the spec does not allow: the first
// occurrence is handled (§7.6.x error handling) and later ones are kept,
// undecoded, with the unknown IEs (some tables list two IEs of one type,
// e.g. the Local F-TEID for redundant transmission in Created PDR).
macro_rules! ie_field_store {
    (mandatory, $f:ident, $t:ty, $ie:expr, $unknown:expr) => {
        ie_field_store!(optional, $f, $t, $ie, $unknown)
    };
    (optional, $f:ident, $t:ty, $ie:expr, $unknown:expr) => {
        if $f.is_none() {
            $f = Some($crate::ie::decode_child::<$t>(&$ie)?);
        } else {
            $unknown.push($ie.to_owned());
        }
    };
    (multiple, $f:ident, $t:ty, $ie:expr, $unknown:expr) => {
        $f.push($crate::ie::decode_child::<$t>(&$ie)?)
    };
    (mandatory_multiple, $f:ident, $t:ty, $ie:expr, $unknown:expr) => {
        $f.push($crate::ie::decode_child::<$t>(&$ie)?)
    };
}

macro_rules! ie_field_finish {
    (mandatory, $f:ident, $code:expr) => {
        $f.ok_or($crate::error::DecodeError::missing($code))?
    };
    (optional, $f:ident, $code:expr) => {
        $f
    };
    (multiple, $f:ident, $code:expr) => {
        $f
    };
    (mandatory_multiple, $f:ident, $code:expr) => {
        if $f.is_empty() {
            return Err($crate::error::DecodeError::missing($code));
        } else {
            $f
        }
    };
}

macro_rules! ie_list {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $kind:ident $field:ident : $fty:ty = $code:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: ie_field_ty!($kind, $fty), )*
            /// IEs not understood here, in arrival order; re-encoded after
            /// the known ones.
            pub unknown: Vec<$crate::ie::RawIe>,
        }

        impl $crate::ie::IeValue for $name {
            fn value_len(&self) -> usize {
                #[allow(unused_mut)]
                let mut n = 0usize;
                $( n += ie_field_len!($kind, self.$field); )*
                n + self.unknown.iter().map($crate::ie::RawIe::encoded_len).sum::<usize>()
            }

            fn encode_value(&self, buf: &mut Vec<u8>) {
                $( ie_field_encode!($kind, self.$field, $code, buf); )*
                for u in &self.unknown {
                    u.encode(buf);
                }
            }

            #[allow(clippy::match_single_binding)]
            fn decode_value(value: &[u8]) -> $crate::error::Result<Self> {
                $( let mut $field = ie_field_init!($kind, $fty); )*
                let mut unknown = Vec::new();
                for ie in $crate::ie::IeIter::new(value) {
                    let ie = ie?;
                    match ie.ie_type {
                        $( t if t == $code => { ie_field_store!($kind, $field, $fty, ie, unknown); } )*
                        _ => unknown.push(ie.to_owned()),
                    }
                }
                Ok($name {
                    $( $field: ie_field_finish!($kind, $field, $code), )*
                    unknown,
                })
            }
        }
    };
}

/// A grouped IE: an `ie_list!` struct plus its IE type.
macro_rules! grouped_ie {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $type:path {
            $( $body:tt )*
        }
    ) => {
        ie_list! {
            $(#[$meta])*
            pub struct $name { $( $body )* }
        }
        impl $crate::ie::Ie for $name {
            const TYPE: u16 = $type;
        }
    };
}

/// An IE whose value is one big-endian unsigned integer.
///
/// Decoding accepts longer values and ignores the extra octets (the IEs are
/// extendable, §8.1.1).
macro_rules! uint_ie {
    ($( $(#[$meta:meta])* $name:ident($t:ty) = $type:expr; )*) => { $(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $t);

        impl $crate::ie::IeValue for $name {
            fn value_len(&self) -> usize {
                core::mem::size_of::<$t>()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0.to_be_bytes());
            }
            fn decode_value(value: &[u8]) -> $crate::error::Result<Self> {
                const N: usize = core::mem::size_of::<$t>();
                let b: [u8; N] = value
                    .get(..N)
                    .and_then(|s| s.try_into().ok())
                    .ok_or($crate::error::DecodeError::invalid_length())?;
                Ok(Self(<$t>::from_be_bytes(b)))
            }
        }

        impl $crate::ie::Ie for $name {
            const TYPE: u16 = $type;
        }

        impl From<$t> for $name {
            fn from(v: $t) -> Self {
                Self(v)
            }
        }
    )* };
}

/// An IE whose value is an opaque octet string (often text).
macro_rules! bytes_ie {
    ($( $(#[$meta:meta])* $name:ident = $type:expr; )*) => { $(
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub Vec<u8>);

        impl $name {
            /// The value as text, lossily.
            pub fn as_str_lossy(&self) -> std::borrow::Cow<'_, str> {
                String::from_utf8_lossy(&self.0)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str_lossy())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.as_bytes().to_vec())
            }
        }

        impl $crate::ie::IeValue for $name {
            fn value_len(&self) -> usize {
                self.0.len()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0);
            }
            fn decode_value(value: &[u8]) -> $crate::error::Result<Self> {
                Ok(Self(value.to_vec()))
            }
        }

        impl $crate::ie::Ie for $name {
            const TYPE: u16 = $type;
        }
    )* };
}

/// An IE made of flag octets with named bits (bit 1 is the least
/// significant, octet 5 is the first value octet, as in the spec's figures).
///
/// Decoding needs at least `min` octets and keeps the number received (up
/// to `max`), so a decoded IE re-encodes to the same length; a new value is
/// `emit` octets long and grows when a flag in a later octet is set. Octets
/// past `max` are ignored (extendable IEs).
macro_rules! flags_ie {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident = $type:expr, octets $min:literal ..= $max:literal, emit $emit:literal {
            $( $(#[$fmeta:meta])* $flag:ident = ($oct:literal, $bit:literal), )*
        }
    )*) => { $(
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $crate::ie::flags::FlagOctets<$max>);

        impl Default for $name {
            fn default() -> Self {
                Self($crate::ie::flags::FlagOctets::with_len($emit))
            }
        }

        impl $name {
            $(
                $(#[$fmeta])*
                pub const $flag: $crate::ie::flags::Flag = $crate::ie::flags::Flag::new($oct, $bit);
            )*

            /// No flag set, in the length this crate emits.
            pub fn empty() -> Self {
                Self::default()
            }

            /// The given flags set.
            pub fn from_flags(flags: &[$crate::ie::flags::Flag]) -> Self {
                let mut s = Self::default();
                for f in flags {
                    s.set(*f, true);
                }
                s
            }

            /// Whether `flag` is set.
            pub fn has(&self, flag: $crate::ie::flags::Flag) -> bool {
                self.0.get(flag)
            }

            /// Sets or clears `flag`, growing the value as needed.
            pub fn set(&mut self, flag: $crate::ie::flags::Flag, on: bool) {
                self.0.set(flag, on)
            }

            /// `self` with `flag` set.
            #[must_use]
            pub fn with(mut self, flag: $crate::ie::flags::Flag) -> Self {
                self.set(flag, true);
                self
            }

            /// The value octets as they will be encoded.
            pub fn octets(&self) -> &[u8] {
                self.0.octets()
            }

            /// The names of the flags that are set.
            pub fn names(&self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut v = Vec::new();
                $( if self.has(Self::$flag) { v.push(stringify!($flag)); } )*
                v
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({:02x?} {:?})", stringify!($name), self.octets(), self.names())
            }
        }

        impl $crate::ie::IeValue for $name {
            fn value_len(&self) -> usize {
                self.octets().len()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(self.octets());
            }
            fn decode_value(value: &[u8]) -> $crate::error::Result<Self> {
                if value.len() < $min {
                    return Err($crate::error::DecodeError::invalid_length());
                }
                Ok(Self($crate::ie::flags::FlagOctets::from_slice(value)))
            }
        }

        impl $crate::ie::Ie for $name {
            const TYPE: u16 = $type;
        }
    )* };
}

/// An enum over a one-octet (or shorter) field, with `Other` for values the
/// spec leaves spare, so an unknown value never fails decoding.
macro_rules! u8_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $val:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[default]
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not name.
            Other(u8),
        }

        impl From<u8> for $name {
            fn from(v: u8) -> Self {
                match v {
                    $( $val => Self::$variant, )*
                    other => Self::Other(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                match v {
                    $( $name::$variant => $val, )*
                    $name::Other(other) => other,
                }
            }
        }
    };
}
