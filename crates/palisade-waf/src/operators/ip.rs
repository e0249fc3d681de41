//! `@ipMatch` and `@ipMatchFromFile`: IPv4/IPv6 addresses and CIDR blocks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::pm::{file_names, load_all};
use super::{DataLoader, Kind, Matcher, OperatorError};

/// A list of networks as `(address bits, prefix length)`.
#[derive(Debug, Default, Clone)]
pub(super) struct IpSet {
    v4: Vec<(u32, u8)>,
    v6: Vec<(u128, u8)>,
}

fn mask4(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask6(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

impl IpSet {
    pub(super) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Adds `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`.
    fn add(&mut self, entry: &str) -> Result<(), String> {
        let (addr, prefix) = match entry.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (entry, None),
        };
        let ip: IpAddr = addr.parse().map_err(|_| format!("bad address {entry:?}"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&n| n <= max)
                .ok_or_else(|| format!("bad prefix length in {entry:?}"))?,
        };
        match ip {
            IpAddr::V4(a) => self.v4.push((u32::from(a) & mask4(len), len)),
            IpAddr::V6(a) => self.v6.push((u128::from(a) & mask6(len), len)),
        }
        Ok(())
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|&(net, len)| a & mask4(len) == net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|&(net, len)| a & mask6(len) == net)
            }
        }
    }

    /// The input must be a textual address (IPv4 if it has no `:`); anything else,
    /// ModSecurity reports as an error, which does not match.
    pub(super) fn contains_text(&self, input: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(input) else {
            return false;
        };
        let ip = if text.contains(':') {
            text.parse::<Ipv6Addr>().map(IpAddr::V6)
        } else {
            text.parse::<Ipv4Addr>().map(IpAddr::V4)
        };
        ip.is_ok_and(|ip| self.contains(ip))
    }
}

fn invalid(op: &'static str, reason: String) -> OperatorError {
    OperatorError::InvalidArgument { op, reason }
}

pub(super) fn compile_ip_match(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    let text = std::str::from_utf8(arg).map_err(|_| invalid("ipMatch", "not UTF-8".into()))?;
    let mut set = IpSet::default();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        set.add(entry).map_err(|r| invalid("ipMatch", r))?;
    }
    if set.len() == 0 {
        return Err(invalid("ipMatch", "no addresses".into()));
    }
    Ok(Matcher(Kind::Ip(set)))
}

/// One entry per line; blank lines and `#` comments are skipped.
pub(super) fn compile_ip_match_from_file(
    arg: &[u8],
    loader: &dyn DataLoader,
) -> Result<Matcher, OperatorError> {
    const OP: &str = "ipMatchFromFile";
    let files = load_all(OP, arg, loader)?;
    let mut set = IpSet::default();
    for (content, name) in files.iter().zip(file_names(arg)) {
        for (n, line) in content.split(|&b| b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(line);
            let entry = line.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            set.add(entry).map_err(|r| {
                invalid(
                    OP,
                    format!("{}:{}: {r}", String::from_utf8_lossy(name), n + 1),
                )
            })?;
        }
    }
    Ok(Matcher(Kind::Ip(set)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let mut s = IpSet::default();
        for e in [
            "127.0.0.1",
            "10.0.0.0/8",
            "::1",
            "2001:db8::/32",
            "0.0.0.0/0",
        ] {
            assert!(s.add(e).is_ok(), "{e}");
        }
        assert!(s.contains_text(b"10.1.2.3"));
        assert!(s.contains_text(b"2001:db8:1::5"));
        assert!(s.contains_text(b"::1"));
        assert!(!s.contains_text(b"2001:db9::1"));
        assert!(!s.contains_text(b"not an ip"));
        assert!(s.add("1.2.3.4/33").is_err());
        assert!(s.add("::/129").is_err());
    }
}
