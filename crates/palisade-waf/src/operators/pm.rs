//! `@pm` and `@pmFromFile`: case-insensitive multi-phrase matching.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Captures, DataLoader, Kind, Matcher, OperatorError};

/// Most phrases one operator may hold (CRS's largest file has 1,833).
pub(super) const MAX_PHRASES: usize = 1 << 20;

/// A set of phrases, matched ASCII-case-insensitively.
#[derive(Clone)]
pub(super) struct PhraseSet {
    ac: AhoCorasick,
    phrases: Vec<Box<[u8]>>,
}

impl PhraseSet {
    fn new(op: &'static str, phrases: Vec<Box<[u8]>>) -> Result<Self, OperatorError> {
        if phrases.is_empty() {
            return Err(OperatorError::InvalidArgument {
                op,
                reason: "no phrases".into(),
            });
        }
        if phrases.len() > MAX_PHRASES {
            return Err(OperatorError::InvalidArgument {
                op,
                reason: format!("more than {MAX_PHRASES} phrases"),
            });
        }
        // Standard semantics report the match that ends first, like ModSecurity's
        // ACMP scan (`acmp_process_quick`), which decides which phrase lands in TX:0.
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .map_err(|e| OperatorError::InvalidArgument {
                op,
                reason: e.to_string(),
            })?;
        Ok(Self { ac, phrases })
    }

    pub(super) fn len(&self) -> usize {
        self.phrases.len()
    }

    /// ModSecurity captures the phrase as written in the rule or file into TX:0.
    pub(super) fn matches(&self, input: &[u8], captures: &mut Captures) -> bool {
        if input.is_empty() {
            return false;
        }
        if !captures.wanted() {
            return self.ac.is_match(input);
        }
        let Some(m) = self.ac.find(input) else {
            return false;
        };
        captures.clear();
        captures.push(&self.phrases[m.pattern().as_usize()]);
        true
    }
}

/// ModSecurity's `parse_pm_content`: strips one pair of surrounding double quotes,
/// decodes `|41 42|` hex blocks and the escapes `\: \; \\ \"`. `None` means "use the
/// text as written" (ModSecurity's fallback on an error or an empty result).
pub(super) fn parse_pm_content(text: &[u8]) -> Option<Vec<u8>> {
    let lead = text
        .iter()
        .take_while(|&&b| crate::transformations::is_c_space(b))
        .count();
    let body = &text[lead..];
    let parm = if body.len() >= 2 && body[0] == b'"' && text.last() == Some(&b'"') {
        &body[1..body.len() - 1]
    } else {
        body
    };
    if parm.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(parm.len());
    let (mut bin, mut esc, mut converted) = (false, false, false);
    let mut pending: Option<u8> = None;
    for &c in parm {
        if c == b'|' {
            bin = !bin;
        } else if !esc && c == b'\\' {
            esc = true;
        } else if bin {
            if c.is_ascii_hexdigit() {
                match pending.take() {
                    Some(hi) => {
                        out.push((hex(hi) << 4) | hex(c));
                        converted = true;
                    }
                    None => pending = Some(c),
                }
            }
        } else if esc {
            if !matches!(c, b':' | b';' | b'\\' | b'"') {
                return None;
            }
            out.push(c);
            esc = false;
            converted = true;
        } else {
            out.push(c);
        }
    }
    Some(if converted { out } else { parm.to_vec() })
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => (c | 0x20) - b'a' + 10,
    }
}

fn is_space(b: u8) -> bool {
    crate::transformations::is_c_space(b)
}

pub(super) fn compile_pm(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    let content = parse_pm_content(arg).unwrap_or_else(|| arg.to_vec());
    let phrases = content
        .split(|&b| is_space(b))
        .filter(|p| !p.is_empty())
        .map(Box::from)
        .collect();
    Ok(Matcher(Kind::Pm(PhraseSet::new("pm", phrases)?)))
}

/// Phrases of one data file, as ModSecurity reads them: each line through
/// `parse_pm_content`, trimmed; empty lines, `#` comments and (a ModSecurity quirk of its
/// trimming) one-byte lines are skipped.
pub(super) fn file_phrases(content: &[u8]) -> impl Iterator<Item = Box<[u8]>> + '_ {
    content.split(|&b| b == b'\n').filter_map(|line| {
        let processed = parse_pm_content(line);
        let line = processed.as_deref().unwrap_or(line);
        let start = line.iter().take_while(|&&b| is_space(b)).count();
        let rest = &line[start..];
        let end = rest.len() - rest.iter().rev().take_while(|&&b| is_space(b)).count();
        let phrase = &rest[..end];
        (phrase.len() > 1 && phrase[0] != b'#').then(|| Box::from(phrase))
    })
}

/// File names in a `@pmFromFile` / `@ipMatchFromFile` argument (whitespace-separated).
pub(super) fn file_names(arg: &[u8]) -> impl Iterator<Item = &[u8]> {
    arg.split(|&b| is_space(b)).filter(|n| !n.is_empty())
}

pub(super) fn load_all(
    op: &'static str,
    arg: &[u8],
    loader: &dyn DataLoader,
) -> Result<Vec<Vec<u8>>, OperatorError> {
    let mut files = Vec::new();
    for name in file_names(arg) {
        let name = String::from_utf8_lossy(name).into_owned();
        let content = loader.load(&name).map_err(|reason| OperatorError::Load {
            op,
            file: name.clone(),
            reason,
        })?;
        files.push(content);
    }
    if files.is_empty() {
        return Err(OperatorError::InvalidArgument {
            op,
            reason: "no data file named".into(),
        });
    }
    Ok(files)
}

pub(super) fn compile_pm_from_file(
    arg: &[u8],
    loader: &dyn DataLoader,
) -> Result<Matcher, OperatorError> {
    let files = load_all("pmFromFile", arg, loader)?;
    let phrases = files.iter().flat_map(|f| file_phrases(f)).collect();
    Ok(Matcher(Kind::Pm(PhraseSet::new("pmFromFile", phrases)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pm_content_parsing() {
        assert_eq!(parse_pm_content(b"\"a b\""), Some(b"a b".to_vec()));
        assert_eq!(parse_pm_content(b"|41 42|c"), Some(b"ABc".to_vec()));
        assert_eq!(parse_pm_content(b"a\\:b"), Some(b"a:b".to_vec()));
        assert_eq!(parse_pm_content(b"a\\nb"), None);
        assert_eq!(parse_pm_content(b"a|4|b"), Some(b"a|4|b".to_vec()));
    }

    #[test]
    fn file_lines() {
        let got: Vec<Box<[u8]>> = file_phrases(b"# c\n  foo \r\n\nx\nbar\n").collect();
        assert_eq!(got, vec![Box::from(&b"foo"[..]), Box::from(&b"bar"[..])]);
    }

    #[test]
    fn capture_is_the_phrase_as_written() {
        let Ok(set) = PhraseSet::new("pm", vec![Box::from(&b"Gzip"[..]), Box::from(&b"br"[..])])
        else {
            panic!("builds");
        };
        let mut caps = Captures::new();
        caps.set_wanted(true);
        assert!(set.matches(b"x-GZIP", &mut caps));
        assert_eq!(caps.get(0), Some(&b"Gzip"[..]));
        assert!(!set.matches(b"", &mut caps));
    }
}
