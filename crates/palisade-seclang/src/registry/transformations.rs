//! The transformation table (`t:name`).

use super::{YES, registry};

registry! {
    /// A SecLang transformation name.
    enum TransformationName;
    kind ();
    /// Every transformation the parser knows.
    table TRANSFORMATIONS;
    None => "none", (), YES, "Clears the transformations inherited so far.";
    Base64Decode => "base64Decode", (), YES, "Base64 decode.";
    Base64DecodeExt => "base64DecodeExt", (), YES, "Forgiving Base64 decode (skips invalid characters).";
    Base64Encode => "base64Encode", (), YES, "Base64 encode.";
    CmdLine => "cmdLine", (), YES, "Normalises shell command lines.";
    CompressWhitespace => "compressWhitespace", (), YES, "Collapses whitespace runs to one space.";
    CssDecode => "cssDecode", (), YES, "Decodes CSS 2.x escapes.";
    EscapeSeqDecode => "escapeSeqDecode", (), YES, "Decodes ANSI C escape sequences.";
    HexDecode => "hexDecode", (), YES, "Hex decode.";
    HexEncode => "hexEncode", (), YES, "Hex encode.";
    HtmlEntityDecode => "htmlEntityDecode", (), YES, "Decodes HTML entities.";
    JsDecode => "jsDecode", (), YES, "Decodes JavaScript escapes.";
    Length => "length", (), YES, "Replaces the value with its length.";
    Lowercase => "lowercase", (), YES, "ASCII lowercase.";
    Uppercase => "uppercase", (), YES, "ASCII uppercase.";
    Md5 => "md5", (), YES, "MD5 digest (binary).";
    Sha1 => "sha1", (), YES, "SHA-1 digest (binary).";
    NormalizePath => "normalizePath", (), YES, "Removes `.`/`..` segments and repeated slashes.";
    NormalisePath => "normalisePath", (), YES, "Alias of normalizePath.";
    NormalizePathWin => "normalizePathWin", (), YES, "normalizePath after converting `\\` to `/`.";
    NormalisePathWin => "normalisePathWin", (), YES, "Alias of normalizePathWin.";
    ParityEven7bit => "parityEven7bit", (), YES, "Even parity on 7-bit data.";
    ParityOdd7bit => "parityOdd7bit", (), YES, "Odd parity on 7-bit data.";
    ParityZero7bit => "parityZero7bit", (), YES, "Clears the 8th bit.";
    RemoveComments => "removeComments", (), YES, "Removes C, SQL and shell comments.";
    RemoveCommentsChar => "removeCommentsChar", (), YES, "Removes comment characters.";
    RemoveNulls => "removeNulls", (), YES, "Removes NUL bytes.";
    RemoveWhitespace => "removeWhitespace", (), YES, "Removes all whitespace.";
    ReplaceComments => "replaceComments", (), YES, "Replaces C comments with a space.";
    ReplaceNulls => "replaceNulls", (), YES, "Replaces NUL bytes with spaces.";
    SqlHexDecode => "sqlHexDecode", (), YES, "Decodes SQL hex literals.";
    Trim => "trim", (), YES, "Trims whitespace on both sides.";
    TrimLeft => "trimLeft", (), YES, "Trims leading whitespace.";
    TrimRight => "trimRight", (), YES, "Trims trailing whitespace.";
    UrlDecode => "urlDecode", (), YES, "Percent-decode (`+` to space).";
    UrlDecodeUni => "urlDecodeUni", (), YES, "Percent-decode including `%uHHHH`.";
    UrlEncode => "urlEncode", (), YES, "Percent-encode.";
    Utf8ToUnicode => "utf8toUnicode", (), YES, "Converts UTF-8 sequences to `%uHHHH`.";
}
