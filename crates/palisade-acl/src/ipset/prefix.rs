//! One IP set entry: a CIDR prefix in canonical form, its parser and its errors.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The address family of a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpFamily {
    /// IPv4: 32-bit addresses.
    V4,
    /// IPv6: 128-bit addresses.
    V6,
}

impl IpFamily {
    /// The longest prefix length of the family: 32 for IPv4, 128 for IPv6.
    pub const fn max_len(self) -> u8 {
        match self {
            Self::V4 => 32,
            Self::V6 => 128,
        }
    }
}

impl fmt::Display for IpFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V4 => "IPv4",
            Self::V6 => "IPv6",
        })
    }
}

/// A CIDR prefix in canonical form: the prefix length fits the family, no host bit is set,
/// and it is never an IPv4-mapped IPv6 prefix (`::ffff:0:0/96` or longer), which is written
/// in its IPv4 form instead. A single address is the prefix of full length (/32 or /128).
///
/// `Display` prints `address/length`, the canonical text, which parses back to the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

impl IpPrefix {
    /// The prefix `addr/len`, or the error the text `addr/len` would get from the parser
    /// (length too long, host bits set, IPv4-mapped).
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, IpSetError> {
        let entry = || format!("{addr}/{len}");
        let family = family_of(addr);
        if len > family.max_len() {
            return Err(IpSetError::PrefixTooLong {
                length: len.to_string(),
                family,
            });
        }
        if let IpAddr::V6(a6) = addr
            && len >= 96
            && let Some(v4) = a6.to_ipv4_mapped()
        {
            return Err(IpSetError::Ipv4Mapped {
                entry: entry(),
                ipv4: mapped_suggestion(v4, len - 96),
            });
        }
        let network = mask(addr, len);
        if network != addr {
            return Err(IpSetError::HostBitsSet {
                entry: entry(),
                network: Self { addr: network, len },
                address: addr,
            });
        }
        Ok(Self { addr, len })
    }

    /// The single address `addr` (/32 or /128); an IPv4-mapped IPv6 address becomes the
    /// IPv4 address it maps.
    pub fn host(addr: IpAddr) -> Self {
        let addr = canonical_addr(addr);
        Self {
            addr,
            len: family_of(addr).max_len(),
        }
    }

    /// The network address (host bits all zero).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length, from 0 to [`IpFamily::max_len`].
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// The address family.
    pub fn family(&self) -> IpFamily {
        family_of(self.addr)
    }

    /// Whether `ip` is inside the prefix, with the same rule as [`crate::IpSet::contains`]: an
    /// IPv4-mapped IPv6 address is its IPv4 address, and IPv6 prefixes never match IPv4
    /// clients. A linear check: use an [`crate::IpSet`] for more than a few prefixes.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_addr(ip)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => u32::from(a) & v4_mask(self.len) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & v6_mask(self.len) == u128::from(net)
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for IpPrefix {
    type Err = IpSetError;

    /// Parses one entry without comments or surrounding whitespace: `10.0.0.0/8`,
    /// `2001:db8::/32`, or a single address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_entry(s).map_err(|fault| fault.error)
    }
}

/// Why an entry, a line or a whole source was rejected. `Display` is the message shown to
/// the user, in one sentence, with the canonical form to write where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpSetError {
    /// The text is neither an IPv4 nor an IPv6 address; `hint` names the likely mistake
    /// (brackets, a port, a range, a host name, leading zeros, ...).
    #[error("`{text}` is not an IP address or CIDR prefix{}", hint_suffix(*.hint))]
    InvalidAddress {
        /// The address part of the entry (before any `/`).
        text: String,
        /// What the text looks like it was meant to be, when that is recognisable.
        hint: Option<&'static str>,
    },
    /// A `/` with no prefix length after it.
    #[error("missing prefix length after `/` in `{entry}`")]
    MissingPrefixLength {
        /// The whole entry.
        entry: String,
    },
    /// The prefix length is not a decimal number.
    #[error("prefix length `{length}` is not a decimal number")]
    InvalidPrefixLength {
        /// The text after `/`.
        length: String,
    },
    /// The prefix length is longer than the family allows (32 for IPv4, 128 for IPv6).
    #[error("prefix length {length} is too long for {family} (at most {})", .family.max_len())]
    PrefixTooLong {
        /// The prefix length as written.
        length: String,
        /// The family of the address.
        family: IpFamily,
    },
    /// Bits below the prefix length are set (`10.0.0.1/8`). Like AWS WAF, non-canonical
    /// prefixes are rejected rather than silently truncated: the author may have meant the
    /// network or the single address, and the message offers both.
    #[error(
        "host bits set in `{entry}`: write `{network}` for the network, or `{address}` alone for the single address"
    )]
    HostBitsSet {
        /// The entry as written.
        entry: String,
        /// The network the prefix length selects.
        network: IpPrefix,
        /// The address as written.
        address: IpAddr,
    },
    /// An IPv4-mapped IPv6 prefix (`::ffff:10.0.0.0/104`). IPv4-mapped clients are matched
    /// by IPv4 entries, so the entry must be written in its IPv4 form.
    #[error(
        "`{entry}` is an IPv4-mapped IPv6 prefix: write `{ipv4}` (IPv4-mapped clients are matched by IPv4 entries)"
    )]
    Ipv4Mapped {
        /// The entry as written.
        entry: String,
        /// The IPv4 form to write instead.
        ipv4: String,
    },
    /// More text after the entry on the same line.
    #[error(
        "unexpected `{text}` after the entry: write one entry per line; comments start with `#`"
    )]
    TrailingText {
        /// The extra text.
        text: String,
    },
    /// An inline list entry with no prefix in it (empty, blank or only a comment).
    #[error("empty entry: write an IP address or CIDR prefix")]
    EmptyEntry,
    /// A line longer than [`super::MAX_LINE_BYTES`].
    #[error("line is {length} bytes long, more than the limit of {limit} bytes")]
    LineTooLong {
        /// The length of the line in bytes.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
    /// More entries than [`super::MAX_ENTRIES`]; reported once, at the first entry over.
    #[error("more than {limit} entries in one IP set")]
    TooManyEntries {
        /// The limit in force.
        limit: usize,
    },
    /// A source text larger than [`super::MAX_SOURCE_BYTES`].
    #[error("IP set source is {length} bytes, more than the limit of {limit} bytes")]
    SourceTooLarge {
        /// The size of the source in bytes.
        length: usize,
        /// The limit in force.
        limit: usize,
    },
}

fn hint_suffix(hint: Option<&'static str>) -> String {
    hint.map(|h| format!(": {h}")).unwrap_or_default()
}

/// A rejected entry: the error and the byte range of the entry text it is about.
#[derive(Debug)]
pub(crate) struct Fault {
    pub(crate) error: IpSetError,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Fault {
    pub(crate) fn new(error: IpSetError, start: usize, end: usize) -> Self {
        Self { error, start, end }
    }

    /// The same fault with its range moved right by `offset` bytes.
    pub(crate) fn shifted(self, offset: usize) -> Self {
        Self {
            start: self.start + offset,
            end: self.end + offset,
            ..self
        }
    }
}

/// Parses one entry: `address` or `address/length`, with nothing around it.
pub(crate) fn parse_entry(entry: &str) -> Result<IpPrefix, Fault> {
    let whole = |error| Fault::new(error, 0, entry.len());
    if let Some(i) = entry.find([',', ';']) {
        return Err(Fault::new(
            IpSetError::InvalidAddress {
                text: entry.to_owned(),
                hint: Some("write one entry per line, without `,` or `;`"),
            },
            i,
            i + 1,
        ));
    }
    let (addr_text, len_text) = match entry.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (entry, None),
    };
    if addr_text.is_empty() {
        return Err(whole(IpSetError::InvalidAddress {
            text: entry.to_owned(),
            hint: Some("the address before `/` is missing"),
        }));
    }
    let addr: IpAddr = addr_text.parse().map_err(|_| {
        Fault::new(
            IpSetError::InvalidAddress {
                text: addr_text.to_owned(),
                hint: address_hint(addr_text),
            },
            0,
            addr_text.len(),
        )
    })?;
    let family = family_of(addr);
    let len = match len_text {
        None => family.max_len(),
        Some("") => {
            return Err(Fault::new(
                IpSetError::MissingPrefixLength {
                    entry: entry.to_owned(),
                },
                addr_text.len(),
                entry.len(),
            ));
        }
        Some(text) => {
            let at = |error| Fault::new(error, addr_text.len() + 1, entry.len());
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(at(IpSetError::InvalidPrefixLength {
                    length: text.to_owned(),
                }));
            }
            // All digits: the only parse failure left is overflow, which is too long too.
            match text.parse::<u8>() {
                Ok(n) if n <= family.max_len() => n,
                _ => {
                    return Err(at(IpSetError::PrefixTooLong {
                        length: text.to_owned(),
                        family,
                    }));
                }
            }
        }
    };
    IpPrefix::new(addr, len).map_err(|error| match error {
        IpSetError::Ipv4Mapped { ipv4, .. } => whole(IpSetError::Ipv4Mapped {
            entry: entry.to_owned(),
            ipv4,
        }),
        IpSetError::HostBitsSet {
            network, address, ..
        } => whole(IpSetError::HostBitsSet {
            entry: entry.to_owned(),
            network,
            address,
        }),
        other => whole(other),
    })
}

/// The likely mistake behind an address that does not parse, when it is recognisable.
fn address_hint(s: &str) -> Option<&'static str> {
    if s.starts_with('[') || s.ends_with(']') {
        return Some("write IPv6 addresses without brackets");
    }
    if s.contains('%') {
        return Some("zone indexes such as `%eth0` are not allowed");
    }
    if let Some((from, to)) = s.split_once('-')
        && from.trim().parse::<IpAddr>().is_ok()
        && to.trim().parse::<IpAddr>().is_ok()
    {
        return Some("ranges are not supported: write CIDR prefixes");
    }
    if s.contains('*') {
        return Some("wildcards are not supported: write a CIDR prefix (`10.0.0.0/8`, not `10.*`)");
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let octets: Vec<&str> = s.split('.').collect();
        if octets.len() != 4 || octets.iter().any(|o| o.is_empty()) {
            return Some("an IPv4 address has four decimal octets (`10.0.0.0/8`, not `10/8`)");
        }
        if octets.iter().any(|o| o.len() > 1 && o.starts_with('0')) {
            return Some("IPv4 octets must not have leading zeros (`010` could be read as octal)");
        }
        if octets.iter().any(|o| o.parse::<u8>().is_err()) {
            return Some("an IPv4 octet is at most 255");
        }
        return None;
    }
    if let Some((host, port)) = s.rsplit_once(':')
        && host.parse::<Ipv4Addr>().is_ok()
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        return Some("ports are not part of an IP set entry: write the address alone");
    }
    if !s.contains(':')
        && s.bytes()
            .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
    {
        return Some("host names are not resolved: write IP addresses");
    }
    None
}

/// The suggestion for an IPv4-mapped prefix: its IPv4 network, bare when a single address.
fn mapped_suggestion(v4: Ipv4Addr, len: u8) -> String {
    let network = Ipv4Addr::from(u32::from(v4) & v4_mask(len));
    if len == 32 {
        network.to_string()
    } else {
        format!("{network}/{len}")
    }
}

pub(crate) fn family_of(addr: IpAddr) -> IpFamily {
    match addr {
        IpAddr::V4(_) => IpFamily::V4,
        IpAddr::V6(_) => IpFamily::V6,
    }
}

/// `ip` with an IPv4-mapped IPv6 address replaced by the IPv4 address it maps.
pub(crate) fn canonical_addr(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The top `len` bits set (`len` up to 32).
pub(crate) fn v4_mask(len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

/// The top `len` bits set (`len` up to 128).
pub(crate) fn v6_mask(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & v4_mask(len))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & v6_mask(len))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(v4_mask(0), 0);
        assert_eq!(v4_mask(8), 0xff00_0000);
        assert_eq!(v4_mask(32), u32::MAX);
        assert_eq!(v6_mask(0), 0);
        assert_eq!(v6_mask(128), u128::MAX);
        assert_eq!(v6_mask(1), 1 << 127);
    }

    #[test]
    fn canonical_text_round_trips() {
        for s in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "::/0",
            "2001:db8::/32",
            "1.2.3.4/32",
        ] {
            let p: IpPrefix = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
        let p: IpPrefix = "2001:db8::1".parse().unwrap();
        assert_eq!(p.prefix_len(), 128);
    }

    #[test]
    fn host_maps_ipv4_mapped_addresses() {
        let p = IpPrefix::host("::ffff:1.2.3.4".parse().unwrap());
        assert_eq!(p.to_string(), "1.2.3.4/32");
    }

    #[test]
    fn std_rejects_what_the_hints_explain() {
        // The hints assume these forms do not parse; keep that checked.
        for s in ["010.0.0.1", "10.0.0", "[::1]", "fe80::1%eth0", "1.2.3.4:80"] {
            assert!(s.parse::<IpAddr>().is_err(), "{s}");
            assert!(address_hint(s).is_some(), "{s}");
        }
    }
}
