//! The few facts read from a leaf certificate: subject alternative names and `notAfter`.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

/// Names and validity end read from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeafFacts {
    /// DNS names from the SAN extension, as written (wildcards included).
    pub(crate) dns_names: Vec<String>,
    /// IP addresses from the SAN extension.
    pub(crate) ip_addresses: Vec<IpAddr>,
    /// End of validity.
    pub(crate) not_after: SystemTime,
}

/// Parse `der` as an X.509 certificate and read its SAN names and `notAfter`.
///
/// The subject common name is ignored: clients match only SAN entries (RFC 6125, CA/B
/// baseline requirements), so a name that is only in the CN would never verify.
pub(crate) fn leaf_facts(der: &[u8]) -> Result<LeafFacts, String> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        ));
    }
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    let san = cert
        .subject_alternative_name()
        .map_err(|e| format!("subject alternative name: {e}"))?;
    if let Some(san) = san {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        ip_addresses.push(ip);
                    }
                }
                _ => {}
            }
        }
    }
    let not_after = unix_to_system_time(cert.validity().not_after.timestamp());
    Ok(LeafFacts {
        dns_names,
        ip_addresses,
        not_after,
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        return Some(IpAddr::from(v6));
    }
    None
}

fn unix_to_system_time(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    let t = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    };
    // Out-of-range times (beyond what SystemTime holds) clamp to the epoch, which reads as
    // long expired: visible rather than silently "valid forever".
    t.unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sans_and_not_after() {
        let mut params = rcgen::CertificateParams::new(vec![
            "Example.com".to_owned(),
            "*.example.com".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])
        .unwrap();
        params.not_after = rcgen::date_time_ymd(2040, 1, 2);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let facts = leaf_facts(cert.der()).unwrap();
        assert_eq!(facts.dns_names, ["Example.com", "*.example.com"]);
        assert_eq!(
            facts.ip_addresses,
            [
                "127.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse::<IpAddr>().unwrap()
            ]
        );
        // 2040-01-02T00:00:00Z
        assert_eq!(
            facts.not_after,
            SystemTime::UNIX_EPOCH + Duration::from_secs(2_209_075_200)
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [&b""[..], b"\x30", b"\x30\x82\xff\xff", b"not a certificate"] {
            assert!(leaf_facts(input).is_err());
        }
    }

    #[test]
    fn epoch_conversion() {
        assert_eq!(unix_to_system_time(0), SystemTime::UNIX_EPOCH);
        assert_eq!(
            unix_to_system_time(-10),
            SystemTime::UNIX_EPOCH - Duration::from_secs(10)
        );
    }
}
