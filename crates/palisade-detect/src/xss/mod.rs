//! XSS detection: tokenize as HTML5 in each context an attacker's input can land
//! in, and flag dangerous tags, event-handler attributes, script-capable URLs,
//! style values that can run code, and comment forms old browsers execute.

mod html5;

pub use html5::{Html5State, HtmlToken, HtmlTokenKind, HtmlTokens, tokenize};

/// What an attribute name says about its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Attr {
    None,
    /// Always dangerous (event handlers, `xmlns`, IE data binding).
    Black,
    /// Takes a URL: dangerous if the URL's scheme can run code.
    Url,
    /// CSS: dangerous if the value can run code (see [`style_is_dangerous`]).
    Style,
    /// The value names another attribute (SVG `attributeName`).
    Indirect,
}

/// Tags that run code or load active content whatever their attributes.
const BLACK_TAGS: [&[u8]; 20] = [
    b"APPLET",
    b"BASE",
    b"COMMENT",
    b"EMBED",
    b"FRAME",
    b"FRAMESET",
    b"HANDLER",
    b"IFRAME",
    b"IMPORT",
    b"ISINDEX",
    b"LINK",
    b"LISTENER",
    b"META",
    b"NOSCRIPT",
    b"OBJECT",
    b"SCRIPT",
    b"STYLE",
    b"VMLFRAME",
    b"XML",
    b"XSS",
];

/// Attributes by name (exact, case-insensitive, NULs ignored).
const ATTRS: [(&[u8], Attr); 20] = [
    (b"ACTION", Attr::Url),
    (b"ATTRIBUTENAME", Attr::Indirect),
    (b"BY", Attr::Url),
    (b"BACKGROUND", Attr::Url),
    (b"DATAFORMATAS", Attr::Black),
    (b"DATASRC", Attr::Black),
    (b"DYNSRC", Attr::Url),
    (b"FILTER", Attr::Style),
    (b"FORMACTION", Attr::Url),
    (b"FOLDER", Attr::Url),
    (b"FROM", Attr::Url),
    (b"HANDLER", Attr::Url),
    (b"HREF", Attr::Url),
    (b"LOWSRC", Attr::Url),
    (b"POSTER", Attr::Url),
    (b"SRC", Attr::Url),
    (b"STYLE", Attr::Style),
    (b"TO", Attr::Url),
    (b"VALUES", Attr::Url),
    (b"XLINK:HREF", Attr::Url),
];

/// Event-handler attributes (matched as prefixes of the attribute name).
const EVENT_ATTRS: [&[u8]; 87] = [
    b"ONSTART",
    b"ONERROR",
    b"ONCLICK",
    b"ONMOUSEDOWN",
    b"ONMOUSEENTER",
    b"ONMOUSELEAVE",
    b"ONMOUSEMOVE",
    b"ONMOUSEOUT",
    b"ONMOUSEOVER",
    b"ONMOUSEUP",
    b"ONMOUSEWHEEL",
    b"ONPROPERTYCHANGE",
    b"ONFORMCHANGE",
    b"ONFORMINPUT",
    b"ONABORT",
    b"ONREADYSTATECHANGE",
    b"ONACTIVATE",
    b"ONBEFOREACTIVATE",
    b"ONAFTERPRINT",
    b"ONBEFOREPRINT",
    b"ONBEFOREUNLOAD",
    b"ONBLUR",
    b"ONCANPLAY",
    b"ONCANPLAYTHROUGH",
    b"ONCHANGE",
    b"ONCONTEXTMENU",
    b"ONCOPY",
    b"ONCUT",
    b"ONDBLCLICK",
    b"ONDRAG",
    b"ONDRAGEND",
    b"ONDRAGENTER",
    b"ONDRAGLEAVE",
    b"ONDRAGOVER",
    b"ONDRAGSTART",
    b"ONDROP",
    b"ONDURATIONCHANGE",
    b"ONEMPTIED",
    b"ONENDED",
    b"ONFOCUS",
    b"ONFOCUSIN",
    b"ONFOCUSOUT",
    b"ONHASHCHANGE",
    b"ONINPUT",
    b"ONINVALID",
    b"ONKEYDOWN",
    b"ONKEYPRESS",
    b"ONKEYUP",
    b"ONLOAD",
    b"ONLOADEDDATA",
    b"ONLOADEDMETADATA",
    b"ONLOADSTART",
    b"ONMESSAGE",
    b"ONOFFLINE",
    b"ONONLINE",
    b"ONOPEN",
    b"ONPAGEHIDE",
    b"ONPAGESHOW",
    b"ONPASTE",
    b"ONPAUSE",
    b"ONPLAY",
    b"ONPLAYING",
    b"ONPOPSTATE",
    b"ONPROGRESS",
    b"ONRATECHANGE",
    b"ONRESET",
    b"ONRESIZE",
    b"ONSCROLL",
    b"ONSEARCH",
    b"ONSEEKED",
    b"ONSEEKING",
    b"ONSELECT",
    b"ONSHOW",
    b"ONSTALLED",
    b"ONSTORAGE",
    b"ONSUBMIT",
    b"ONSUSPEND",
    b"ONTIMEUPDATE",
    b"ONTOGGLE",
    b"ONTOUCHCANCEL",
    b"ONTOUCHEND",
    b"ONTOUCHMOVE",
    b"ONTOUCHSTART",
    b"ONUNLOAD",
    b"ONVOLUMECHANGE",
    b"ONWAITING",
    b"ONWHEEL",
];

/// Bytes of `s` with NULs removed, upper-cased, compared with `upper`; `prefix`
/// allows `s` to go on after `upper`.
fn matches_ignoring_nul(upper: &[u8], s: &[u8], prefix: bool) -> bool {
    let mut want = upper.iter();
    for &b in s {
        if b == 0 {
            continue;
        }
        match want.next() {
            Some(&w) if w == b.to_ascii_uppercase() => {}
            Some(_) => return false,
            None => return prefix,
        }
    }
    want.next().is_none()
}

fn is_black_tag(name: &[u8]) -> bool {
    if name.len() < 3 {
        return false;
    }
    // Without NULs to skip, an exact match needs the same length: compare
    // only the tags of that length (same result, property-tested).
    let listed = if memchr::memchr(0, name).is_none() {
        BLACK_TAGS
            .iter()
            .any(|t| t.len() == name.len() && t.eq_ignore_ascii_case(name))
    } else {
        BLACK_TAGS
            .iter()
            .any(|t| matches_ignoring_nul(t, name, false))
    };
    if listed {
        return true;
    }
    // Any svg* or xsl* element.
    name.get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"svg") || p.eq_ignore_ascii_case(b"xsl"))
}

fn attr_class(name: &[u8]) -> Attr {
    if name.len() < 2 {
        return Attr::None;
    }
    if memchr::memchr(0, name).is_none() {
        return attr_class_plain(name);
    }
    attr_class_slow(name)
}

/// [`attr_class`] for a name without NUL bytes: with nothing to skip,
/// [`matches_ignoring_nul`] is a case-insensitive comparison of the name (or of
/// its prefix of the table word's length) with the table word. Same result as
/// [`attr_class_slow`] on such names (property-tested).
fn attr_class_plain(name: &[u8]) -> Attr {
    let starts_with = |upper: &[u8]| {
        name.get(..upper.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(upper))
    };
    if starts_with(b"ON") && EVENT_ATTRS.iter().any(|a| starts_with(a)) {
        return Attr::Black;
    }
    if name.len() >= 5 && (starts_with(b"XMLNS") || starts_with(b"XLINK")) {
        return Attr::Black;
    }
    ATTRS
        .iter()
        .find(|(n, _)| n.len() == name.len() && n.eq_ignore_ascii_case(name))
        .map_or(Attr::None, |&(_, a)| a)
}

/// The attribute class of any name (NUL bytes are skipped in the comparison).
fn attr_class_slow(name: &[u8]) -> Attr {
    if name.len() < 2 {
        return Attr::None;
    }
    if name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"on"))
        && EVENT_ATTRS
            .iter()
            .any(|a| matches_ignoring_nul(a, name, true))
    {
        return Attr::Black;
    }
    if name.len() >= 5
        && (matches_ignoring_nul(b"XMLNS", name, true)
            || matches_ignoring_nul(b"XLINK", name, true))
    {
        return Attr::Black;
    }
    ATTRS
        .iter()
        .find(|(n, _)| matches_ignoring_nul(n, name, false))
        .map_or(Attr::None, |&(_, a)| a)
}

/// Decode one character at the start of `src`: a `&#NN;` / `&#xHH;` numeric
/// reference or a plain byte. Returns (code point, bytes consumed).
fn decode_char(src: &[u8]) -> (u32, usize) {
    let Some(&first) = src.first() else {
        return (0, 0);
    };
    if first != b'&' || src.len() < 2 || src.get(1) != Some(&b'#') {
        return (u32::from(first), 1);
    }
    let hex = matches!(src.get(2), Some(b'x' | b'X'));
    let radix = if hex { 16 } else { 10 };
    let digits_at = if hex { 3 } else { 2 };
    let digit = |b: u8| char::from(b).to_digit(radix);
    let Some(mut val) = src.get(digits_at).copied().and_then(digit) else {
        return (u32::from(b'&'), 1);
    };
    let mut i = digits_at + 1;
    while let Some(&b) = src.get(i) {
        if b == b';' {
            return (val, i + 1);
        }
        let Some(d) = digit(b) else {
            return (val, i);
        };
        val = val * radix + d;
        if val > 0x0010_00FF {
            return (u32::from(b'&'), 1);
        }
        i += 1;
    }
    (val, i)
}

/// Whether `src`, after decoding numeric references and skipping leading
/// control/space characters and embedded NUL and LF, starts with `upper`.
fn decoded_starts_with(upper: &[u8], mut src: &[u8]) -> bool {
    let mut want = upper.iter().peekable();
    let mut first = true;
    while !src.is_empty() {
        if want.peek().is_none() {
            return true;
        }
        let (cp, used) = decode_char(src);
        src = src.get(used.max(1)..).unwrap_or(&[]);
        if first && cp <= 32 {
            continue;
        }
        first = false;
        if cp == 0 || cp == 10 {
            continue;
        }
        let up = if (u32::from(b'a')..=u32::from(b'z')).contains(&cp) {
            cp - 0x20
        } else {
            cp
        };
        match want.next() {
            Some(&w) if u32::from(w) == up => {}
            _ => return false,
        }
    }
    want.peek().is_none()
}

fn is_black_url(value: &[u8]) -> bool {
    // Leading bytes <= 32 or >= 127 are skipped (browsers ignore some of them).
    let start = value
        .iter()
        .position(|&b| b > 32 && b < 127)
        .unwrap_or(value.len());
    let v = value.get(start..).unwrap_or(&[]);
    [&b"DATA"[..], b"VIEW-SOURCE", b"JAVA", b"VBSCRIPT"]
        .iter()
        .any(|scheme| decoded_starts_with(scheme, v))
}

/// CSS that can run script or load active content. libinjection flags every
/// `style` value; ordinary styling (`style=bold` in a query string, `color:red`)
/// cannot run code, so only these markers count.
fn style_is_dangerous(value: &[u8]) -> bool {
    const MARKERS: [&[u8]; 9] = [
        b"expression",
        b"javascript",
        b"vbscript",
        b"behavior",
        b"binding",
        b"url(",
        b"import",
        b"script",
        b"&#",
    ];
    // Escapes and comments hide the markers from this check: treat them as
    // dangerous too.
    if value.iter().any(|&b| matches!(b, b'\\' | b'<' | b'>' | 0)) || contains_ci(value, b"/*") {
        return true;
    }
    MARKERS.iter().any(|m| contains_ci(value, m))
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `input` tokenized from `state` contains an XSS construct.
pub fn is_xss_in(input: &[u8], state: Html5State) -> bool {
    // The attribute name just before the current token, if the previous token
    // was one. It is classified only when a value follows: most names in text
    // tokenized as a tag (every word of a sentence) never get a value.
    let mut name: Option<&[u8]> = None;
    tokenize(input, state).any(|t| token_flags(&mut name, &t))
}

/// Whether token `t` is an XSS construct. `name` is the attribute name that
/// came just before `t` (the only state carried from token to token), updated
/// for the next token.
fn token_flags<'a>(name: &mut Option<&'a [u8]>, t: &HtmlToken<'a>) -> bool {
    let hit = match t.kind {
        HtmlTokenKind::Doctype => true,
        HtmlTokenKind::TagNameOpen => is_black_tag(t.bytes),
        HtmlTokenKind::AttrName => {
            *name = Some(t.bytes);
            return false;
        }
        HtmlTokenKind::AttrValue => match name.map_or(Attr::None, attr_class) {
            Attr::None => false,
            Attr::Black => true,
            Attr::Url => is_black_url(t.bytes),
            Attr::Style => style_is_dangerous(t.bytes),
            Attr::Indirect => attr_class(t.bytes) != Attr::None,
        },
        HtmlTokenKind::TagComment => comment_flags(t.bytes),
        _ => false,
    };
    *name = None;
    hit
}

/// IE conditional comments, backtick attribute tricks, XML processing
/// instructions, `@import` and entity declarations.
fn comment_flags(b: &[u8]) -> bool {
    if memchr::memchr(b'`', b).is_some() {
        return true;
    }
    if b.len() > 3 {
        let p3 = b.get(..3).unwrap_or(&[]);
        if p3.eq_ignore_ascii_case(b"[if") || p3.eq_ignore_ascii_case(b"xml") {
            return true;
        }
    }
    if b.len() > 5 {
        let p6 = b.get(..6).unwrap_or(&[]);
        if matches_ignoring_nul(b"IMPORT", p6, false) || matches_ignoring_nul(b"ENTITY", p6, false)
        {
            return true;
        }
    }
    false
}

/// All start states, in the order they are tried.
pub const START_STATES: [Html5State; 5] = [
    Html5State::Data,
    Html5State::ValueNoQuote,
    Html5State::ValueSingleQuote,
    Html5State::ValueDoubleQuote,
    Html5State::ValueBackQuote,
];

pub(crate) fn detect(input: &[u8]) -> bool {
    // Every rule needs a tag (`<`) or an attribute value (`=`): without either
    // byte no start state can produce a flagged token, so skip the five passes.
    if memchr::memchr2(b'<', b'=', input).is_none() {
        return false;
    }
    let has_lt = memchr::memchr(b'<', input).is_some();
    if input.len() < JOIN_MIN_LEN {
        return START_STATES
            .iter()
            .any(|&st| may_flag(input, st, has_lt) && is_xss_in(input, st));
    }
    joined_passes(input, has_lt)
}

/// Inputs shorter than this run their passes one after the other: passes of
/// short inputs rarely join, and running them side by side has a cost per
/// token. Both ways give the same verdict.
const JOIN_MIN_LEN: usize = 256;

/// The passes of [`detect`] run side by side, joined where they meet.
fn joined_passes(input: &[u8], has_lt: bool) -> bool {
    let mut passes = START_STATES.map(|st| Pass {
        tokens: tokenize(input, st),
        name: None,
        live: may_flag(input, st, has_lt),
        data_at: None,
    });
    // The passes run side by side, the one furthest behind first. Once a pass
    // is between tokens in the data state at a place where another pass has
    // been (same position, same `</` flag, no attribute name pending), the two
    // read the same tokens from there on: the tokenizer's next tokens depend
    // only on that state, and `token_flags` only on the pending name. The
    // other pass has flagged or will flag whatever this one would, so this
    // one stops. Every pass still ends, and each token is read at most once
    // per pass, so the work stays linear.
    loop {
        let mut next: Option<usize> = None;
        for (i, p) in passes.iter().enumerate() {
            if p.live && next.is_none_or(|j| passes.get(j).is_some_and(|q| p.at() < q.at())) {
                next = Some(i);
            }
        }
        let Some(i) = next else {
            return false;
        };
        let Some(p) = passes.get_mut(i) else {
            return false;
        };
        let Some(t) = p.tokens.next() else {
            p.live = false;
            continue;
        };
        if token_flags(&mut p.name, &t) {
            return true;
        }
        let here = if p.name.is_none() {
            p.tokens.data_state_at()
        } else {
            None
        };
        if here.is_some() {
            let seen = passes
                .iter()
                .enumerate()
                .any(|(j, q)| j != i && q.data_at == here);
            if let Some(p) = passes.get_mut(i) {
                if seen {
                    p.live = false;
                } else {
                    p.data_at = here;
                }
            }
        }
    }
}

/// One start state's pass in [`detect`].
struct Pass<'a> {
    tokens: HtmlTokens<'a>,
    /// The attribute name pending for the next token (see [`token_flags`]).
    name: Option<&'a [u8]>,
    /// Still to be read (not ended, not skipped, not joined with another pass).
    live: bool,
    /// The last place this pass was between tokens in the data state with no
    /// name pending, as [`HtmlTokens::data_state_at`] gives it.
    data_at: Option<(usize, bool)>,
}

impl Pass<'_> {
    fn at(&self) -> usize {
        self.tokens.position()
    }
}

/// False when a pass from `state` provably flags nothing, so it can be skipped
/// (a property test checks that skipping never changes a verdict):
/// - from the data state, text without `<` is one text token;
/// - from inside a quoted value, input without that quote is one attribute
///   value with no attribute name before it, which no rule flags.
///
/// A pass from an unquoted value is always run: its first `=` or `>` can start
/// a name-value pair or a data state.
fn may_flag(input: &[u8], state: Html5State, has_lt: bool) -> bool {
    let quote = match state {
        Html5State::Data => return has_lt,
        Html5State::ValueNoQuote => return true,
        Html5State::ValueSingleQuote => b'\'',
        Html5State::ValueDoubleQuote => b'"',
        Html5State::ValueBackQuote => b'`',
    };
    memchr::memchr(quote, input).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Attribute-like names: table names and event names in random case, cut
    /// or extended, and random bytes.
    fn names() -> impl Strategy<Value = Vec<u8>> {
        let mut known: Vec<&'static [u8]> = ATTRS.iter().map(|(n, _)| *n).collect();
        known.extend(EVENT_ATTRS);
        known.extend([&b"XMLNS"[..], b"XLINK", b"ON", b"O"]);
        mangled(known, b"aZ:-_x\0 =\xc3", 4)
    }

    /// One of `known` in random case, cut to a random length (at least one byte), then
    /// followed by fewer than `max_tail` bytes drawn from `tail`.
    fn mangled(
        known: Vec<&'static [u8]>,
        tail: &'static [u8],
        max_tail: usize,
    ) -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::sample::select(known),
            proptest::collection::vec(any::<bool>(), 24),
            0..24usize,
            proptest::collection::vec(proptest::sample::select(tail.to_vec()), 0..max_tail),
        )
            .prop_map(|(w, lower, cut, tail)| {
                let mut v: Vec<u8> = w
                    .iter()
                    .zip(lower.iter().cycle())
                    .map(|(&b, &l)| if l { b.to_ascii_lowercase() } else { b })
                    .collect();
                v.truncate(cut.max(1));
                v.extend(tail);
                v
            })
    }

    /// Tag names: listed tags in random case, cut or extended, with NULs.
    fn tag_names() -> impl Strategy<Value = Vec<u8>> {
        let mut known: Vec<&'static [u8]> = BLACK_TAGS.to_vec();
        known.extend([&b"SVG"[..], b"XSLT", b"DIV", b"SPAN", b"P", b"A"]);
        mangled(known, b"aZ\0t\xc3", 3)
    }

    /// Pieces of real markup, attacks and text glued together.
    fn markup() -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<&'static [u8]> = vec![
            b"<p>",
            b"</p>",
            b"<b>",
            b"</b>",
            b"<a href=\"https://x.test/\">",
            b"</a>",
            b"<img src=x onerror=alert(1)>",
            b"<div class='n'>",
            b"</div>",
            b"<span style=\"color:red\">",
            b"<svg/onload=x>",
            b"<script>",
            b"</script>",
            b"<!-- c -->",
            b"<!DOCTYPE html>",
            b"<br/>",
            b"' onmouseover='x",
            b"\" onload=\"x",
            b"` onclick=`x",
            b" href=javascript:x ",
            b"=",
            b">",
            b"<",
            b"</",
            b"'",
            b"\"",
            b"`",
            b"It's text. ",
            b"a < b > c ",
            b" x=y ",
            b"\0",
            b"<?xml x?>",
            b"<%x%>",
            b"<![CDATA[x]]>",
            b"</ x>",
            b"<a\tb=c>",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..40).prop_map(|v| v.concat())
    }

    fn html() -> impl Strategy<Value = Vec<u8>> {
        let alphabet: Vec<u8> = b"<>/!-=\"'` \t\0?%&#;:xsSaonlOLhrefjv".to_vec();
        prop_oneof![
            proptest::collection::vec(proptest::sample::select(alphabet), 0..80),
            proptest::collection::vec(any::<u8>(), 0..80),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// The NUL-free fast path of `attr_class` classifies as the general one.
        #[test]
        fn attr_class_fast_path_matches(name in names()) {
            prop_assert_eq!(attr_class(&name), attr_class_slow(&name));
        }

        /// The NUL-free fast path of `is_black_tag` agrees with matching
        /// every tag while skipping NULs.
        #[test]
        fn black_tag_fast_path_matches(name in tag_names()) {
            let slow = name.len() >= 3
                && (BLACK_TAGS.iter().any(|t| matches_ignoring_nul(t, &name, false))
                    || name.get(..3).is_some_and(|p| {
                        p.eq_ignore_ascii_case(b"svg") || p.eq_ignore_ascii_case(b"xsl")
                    }));
            prop_assert_eq!(is_black_tag(&name), slow);
        }

        /// Running the passes side by side and stopping the ones that join
        /// another gives the verdict of running every pass in full, on
        /// markup where passes join often.
        #[test]
        fn joined_passes_match_full_passes(input in markup()) {
            let full = START_STATES.iter().any(|&st| is_xss_in(&input, st));
            prop_assert_eq!(joined_passes(&input, input.contains(&b'<')), full);
            prop_assert_eq!(detect(&input), full);
        }

        /// A pass that `may_flag` skips would not have flagged anything.
        #[test]
        fn skipped_passes_flag_nothing(input in html()) {
            let has_lt = input.contains(&b'<');
            for st in START_STATES {
                if !may_flag(&input, st, has_lt) {
                    prop_assert!(!is_xss_in(&input, st), "{:?} skipped but flags", st);
                }
            }
        }
    }

    #[test]
    fn decode_numeric_references() {
        assert_eq!(decode_char(b"&#106;x"), (106, 6));
        assert_eq!(decode_char(b"&#x6A"), (0x6a, 5));
        assert_eq!(decode_char(b"&amp;"), (u32::from(b'&'), 1));
        assert_eq!(decode_char(b"a"), (u32::from(b'a'), 1));
        assert_eq!(decode_char(b"&#99999999;"), (u32::from(b'&'), 1));
    }

    #[test]
    fn url_schemes() {
        assert!(is_black_url(b"javascript:alert(1)"));
        assert!(is_black_url(b" &#106;avascript:x"));
        assert!(is_black_url(b"ja\nva"));
        assert!(!is_black_url(b"https://example.com/"));
    }

    #[test]
    fn attributes() {
        assert_eq!(attr_class(b"onload"), Attr::Black);
        assert_eq!(attr_class(b"OnMouseOverX"), Attr::Black);
        assert_eq!(attr_class(b"href"), Attr::Url);
        assert_eq!(attr_class(b"xmlns:x"), Attr::Black);
        assert_eq!(attr_class(b"xlink:href"), Attr::Black);
        assert_eq!(attr_class(b"class"), Attr::None);
        assert_eq!(attr_class(b"on"), Attr::None);
    }

    #[test]
    fn precheck_agrees_with_full_scan() {
        for input in [
            &b"plain text"[..],
            b"a \" onload x",
            b"javascript:alert(1)",
            b"' x y",
        ] {
            let full = START_STATES.iter().any(|&st| is_xss_in(input, st));
            assert_eq!(detect(input), full);
        }
    }

    #[test]
    fn style_values() {
        assert!(style_is_dangerous(b"width:expression(alert(1))"));
        assert!(style_is_dangerous(b"background:url(javascript:x)"));
        assert!(!style_is_dangerous(b"casual"));
        assert!(!style_is_dangerous(b"color:red"));
    }
}
