//! Durations (`"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"7d"`) and sizes (`"64KiB"`, `"10MB"`, integers).

use std::time::Duration;

/// The longest duration any config value may name (10 years); keeps arithmetic far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The largest size any config value may name (1 TiB).
pub const MAX_SIZE: u64 = 1 << 40;

/// Longest duration or size text accepted, in bytes.
const MAX_UNIT_TEXT: usize = 32;

const DURATION_UNITS: &[(&str, u64)] = &[
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Parse a duration: a non-negative integer followed by `ms`, `s`, `m`, `h` or `d`.
///
/// Fractions, signs, spaces inside the number and bare integers are rejected: a bare number
/// would be ambiguous.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const HINT: &str = "write a whole number with a unit: ms, s, m, h or d (e.g. \"250ms\", \"5s\", \"2m\", \"1h\", \"7d\")";
    if text.len() > MAX_UNIT_TEXT {
        return Err(format!("duration is too long; {HINT}"));
    }
    let (digits, unit) = split_number(text.trim());
    if digits.is_empty() {
        return Err(format!("`{text}` is not a duration; {HINT}"));
    }
    let Some(&(_, millis)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        if unit.starts_with(['.', ',']) {
            return Err(format!(
                "`{text}`: durations are whole numbers; use a smaller unit (\"1500ms\", not \"1.5s\")"
            ));
        }
        if unit.starts_with(char::is_whitespace) {
            return Err(format!(
                "`{text}`: no space between the number and the unit; {HINT}"
            ));
        }
        if unit.is_empty() {
            return Err(format!("duration `{text}` has no unit; {HINT}"));
        }
        return Err(format!("unknown duration unit `{unit}`; {HINT}"));
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is too large a duration"))?;
    let ms = n
        .checked_mul(millis)
        .filter(|ms| *ms <= MAX_DURATION.as_millis() as u64)
        .ok_or_else(|| format!("`{text}` is too large a duration (at most 10 years)"))?;
    Ok(Duration::from_millis(ms))
}

/// Parse a size text: a non-negative integer with an optional unit (`B`, `KB`, `MB`, `GB`, `TB`
/// decimal; `KiB`, `MiB`, `GiB`, `TiB` binary). Units are case-sensitive as written here, except
/// that `kB` and `kiB` are accepted too.
pub fn parse_size(text: &str) -> Result<u64, String> {
    const HINT: &str = "write an integer of bytes or a number with a unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB (e.g. \"64KiB\", \"10MB\")";
    if text.len() > MAX_UNIT_TEXT {
        return Err(format!("size is too long; {HINT}"));
    }
    let (digits, unit) = split_number(text.trim());
    let unit = unit.trim_start();
    if digits.is_empty() {
        return Err(format!("`{text}` is not a size; {HINT}"));
    }
    let multiplier = if unit.is_empty() {
        1
    } else {
        let canonical = match unit {
            "kB" => "KB",
            "kiB" => "KiB",
            other => other,
        };
        match SIZE_UNITS.iter().find(|(u, _)| *u == canonical) {
            Some(&(_, m)) => m,
            None => return Err(format!("unknown size unit `{unit}`; {HINT}")),
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is too large a size"))?;
    n.checked_mul(multiplier)
        .filter(|v| *v <= MAX_SIZE)
        .ok_or_else(|| format!("`{text}` is too large a size (at most 1TiB)"))
}

/// Render a duration in the largest unit that divides it exactly (`"90s"`, `"250ms"`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, m) in DURATION_UNITS.iter().rev() {
        let m = u128::from(*m);
        if ms != 0 && ms.is_multiple_of(m) {
            return format!("{}{unit}", ms / m);
        }
    }
    format!("{ms}ms")
}

/// Render a size in the largest binary unit that divides it exactly (`"64KiB"`, `"1000B"`).
pub fn format_size(bytes: u64) -> String {
    for (unit, m) in SIZE_UNITS.iter().rev().take(4) {
        if bytes != 0 && bytes.is_multiple_of(*m) {
            return format!("{}{unit}", bytes / m);
        }
    }
    format!("{bytes}B")
}

/// Split leading ASCII digits from the rest.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accepted() {
        let cases = [
            ("250ms", Duration::from_millis(250)),
            ("5s", Duration::from_secs(5)),
            ("2m", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("0s", Duration::ZERO),
            (" 30s ", Duration::from_secs(30)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn durations_rejected() {
        for text in [
            "", "5", "s", "1.5s", "-1s", "5 s", "5sec", "5S", "1w", "5s5", "+5s", "٣s",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} accepted");
        }
        let long = "9".repeat(40) + "s";
        assert!(parse_duration(&long).is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("3651d").unwrap_err().contains("10 years"));
        assert!(parse_duration("3650d").is_ok());
    }

    #[test]
    fn duration_messages_say_what_to_write() {
        let e = parse_duration("5").unwrap_err();
        assert!(e.contains("no unit") && e.contains("\"250ms\""), "{e}");
        let e = parse_duration("5w").unwrap_err();
        assert!(e.contains("unknown duration unit `w`"), "{e}");
    }

    #[test]
    fn sizes_accepted() {
        let cases = [
            ("64KiB", 65_536),
            ("10MB", 10_000_000),
            ("1GiB", 1 << 30),
            ("100MiB", 100 << 20),
            ("512", 512),
            ("512B", 512),
            ("1 KiB", 1024),
            ("2kB", 2000),
            ("1TiB", 1 << 40),
            ("0", 0),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn sizes_rejected() {
        for text in [
            "", "KiB", "1.5MiB", "-1", "10mb", "10 M", "1PiB", "10MBB", "2TB",
        ] {
            assert!(parse_size(text).is_err(), "{text:?} accepted");
        }
        assert!(parse_size("18446744073709551615GiB").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        for d in ["250ms", "5s", "2m", "1h", "7d", "90s", "1500ms"] {
            let parsed = parse_duration(d).unwrap();
            assert_eq!(parse_duration(&format_duration(parsed)).unwrap(), parsed);
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_size(65_536), "64KiB");
        assert_eq!(format_size(1000), "1000B");
        assert_eq!(format_size(100 << 20), "100MiB");
    }
}
