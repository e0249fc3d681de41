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
    if BLACK_TAGS
        .iter()
        .any(|t| matches_ignoring_nul(t, name, false))
    {
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
    let mut attr = Attr::None;
    for t in tokenize(input, state) {
        if t.kind != HtmlTokenKind::AttrValue {
            attr = Attr::None;
        }
        match t.kind {
            HtmlTokenKind::Doctype => return true,
            HtmlTokenKind::TagNameOpen if is_black_tag(t.bytes) => return true,
            HtmlTokenKind::AttrName => attr = attr_class(t.bytes),
            HtmlTokenKind::AttrValue => {
                let hit = match attr {
                    Attr::None => false,
                    Attr::Black => true,
                    Attr::Url => is_black_url(t.bytes),
                    Attr::Style => style_is_dangerous(t.bytes),
                    Attr::Indirect => attr_class(t.bytes) != Attr::None,
                };
                if hit {
                    return true;
                }
                attr = Attr::None;
            }
            HtmlTokenKind::TagComment => {
                let b = t.bytes;
                // IE conditional comments, backtick attribute tricks, XML
                // processing instructions, @import and entity declarations.
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
                    if matches_ignoring_nul(b"IMPORT", p6, false)
                        || matches_ignoring_nul(b"ENTITY", p6, false)
                    {
                        return true;
                    }
                }
            }
            _ => {}
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
    START_STATES.iter().any(|&st| is_xss_in(input, st))
}

#[cfg(test)]
mod tests {
    use super::*;

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
