#!/usr/bin/env python3
"""Writes the .in case files of testdata/body (multipart needs exact CRLF bytes).

Run from this directory: python3 generate.py, then bless the .expected files with
PALISADE_BLESS=1 cargo test -p palisade-body --test body, and review the diff.
"""


def w(d, n, b):
    with open(f"{d}/{n}.in", "wb") as f:
        f.write(b if isinstance(b, bytes) else b.encode("latin-1"))


CRLF = "\r\n"
CT = "multipart/form-data; boundary=XyZ"


def cd(name, filename=None):
    extra = "" if filename is None else '; filename="' + filename + '"'
    return 'Content-Disposition: form-data; name="' + name + '"' + extra + CRLF


def part(name, value, filename=None, headers=""):
    return "--XyZ" + CRLF + cd(name, filename) + headers + CRLF + value + CRLF


END = "--XyZ--" + CRLF
m = "multipart"
clean = part("a", "hello\r\nworld") + part("f", "file\r\ndata", "x.txt", "Content-Type: text/plain\r\n") + END
w(m, "clean", CT + "\n" + clean)
simple = part("a", "v") + END
w(m, "boundary-quoted", 'multipart/form-data; boundary="XyZ"\n' + simple)
w(m, "boundary-whitespace", "multipart/form-data; boundary = XyZ\n" + simple)
w(m, "missing-semicolon", "multipart/form-data boundary=XyZ\n" + simple)
w(m, "data-before", CT + "\n" + "preamble junk\r\n" + simple)
w(m, "data-after", CT + "\n" + simple + "trailing junk")
w(m, "header-folding", CT + "\n" + '--XyZ\r\nContent-Disposition: form-data;\r\n name="a"\r\n\r\nv\r\n' + END)
w(m, "invalid-header-folding", CT + "\n" + "--XyZ\r\n folded-first\r\n" + cd("a") + "\r\nv\r\n" + END)
w(m, "lf-line", CT + "\n" + '--XyZ\nContent-Disposition: form-data; name="a"\n\nv\n--XyZ--\n')
w(m, "crlf-lf-lines", CT + "\n" + '--XyZ\r\nContent-Disposition: form-data; name="a"\n\r\nv\r\n' + END)
w(m, "invalid-quoting", CT + "\n" + "--XyZ\r\nContent-Disposition: form-data; name=a'b\r\n\r\nv\r\n" + END)
w(m, "invalid-quoting-unterminated", CT + "\n" + '--XyZ\r\nContent-Disposition: form-data; name="a\r\n\r\nv\r\n' + END)
w(m, "invalid-part-not-form-data", CT + "\n" + '--XyZ\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n' + END)
w(m, "invalid-part-no-name", CT + "\n" + "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n" + END)
w(m, "invalid-part-empty", CT + "\n" + "--XyZ\r\n" + simple)
w(m, "small-file-limit-exceeded", CT + "\n" + part("f1", "x", "a") + part("f2", "yy", "b") + END)
w(m, "unmatched-boundary", CT + "\n" + part("a", "line\r\n--XyZnot\r\nmore") + END)
w(m, "error-no-boundary-param", "multipart/form-data\n" + simple)
w(m, "error-boundary-characters", "multipart/form-data; boundary=a{b}\n" + simple)
w(m, "error-multiple-boundaries", "multipart/form-data; boundary=a; boundary=b\n" + simple)
w(m, "error-final-boundary-missing", CT + "\n" + part("a", "v"))
w(m, "error-no-boundaries-in-payload", CT + "\n" + "just text\r\n")
w(m, "error-missing-content-disposition", CT + "\n" + "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n" + END)
w(m, "error-colon-missing", CT + "\n" + "--XyZ\r\nContent-Disposition form-data\r\n\r\nv\r\n" + END)
w(m, "small-error-too-many-parts", CT + "\n" + "".join(part(str(i), "v") for i in range(5)) + END)
w(m, "small-error-file-too-large", CT + "\n" + part("f", "x" * 40, "a") + END)
w(m, "small-error-header-too-long", CT + "\n" + part("a", "v", None, "X-Long: " + "y" * 200 + CRLF) + END)
w(m, "part-headers-charset-and-content-type", CT + "\n" + part("_charset_", "utf-8")
  + part("t", "v", None, "Content-Type: text/plain; charset=utf-7\r\nContent-Transfer-Encoding: base64\r\n") + END)
w(m, "invalid-header-chars", CT + "\n" + part("a", "v", None, "X\x01Bad: v\x02\r\n") + END)
w(m, "escaped-quotes-and-empty-filename", CT + "\n" + '--XyZ\r\nContent-Disposition: form-data; name="a\\"b"; filename=""\r\n\r\n\r\n' + END)
w(m, "binary-file-with-bare-lf", CT + "\n" + part("f", "\x00\x01\nline\n", "b.bin") + END)

u = "urlencoded"
w(u, "basic", "a=1&b=hello+world&c=%41%42\n")
w(u, "invalid-percent", "x=%zz&y=%4&z=100%\n")
w(u, "no-equals-empty-name-empty-pieces", "flag&&=v&a=1=2&\n")
w(u, "decoded-name", "%61%3d=%26%3D\n")
w(u, "small-too-many-args", "a&b&c&d\n")
w(u, "small-name-too-long", "abcdefghijklmnopq=1\n")
w(u, "small-value-too-long", "a=abcdefghijklmnopq\n")
w(u, "empty", "")

j = "json"
w(j, "object", '{"a":1,"b":"x","c":true,"d":false,"e":null,"f":-1.5e3}\n')
w(j, "nested", '{"user":{"name":"bob","roles":["admin",{"x":[1,[2,3]]}]},"empty":{},"none":[]}\n')
w(j, "top-level-array", '[{"q":1},[2],"s"]\n')
w(j, "top-level-scalar", '"just a string"\n')
w(j, "escapes", r'{"k\n":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}' + "\n")
w(j, "sqli-key", '{ "; select": "foo" }\n')
w(j, "error-lone-surrogate", r'{"a":"\udc00"}')
w(j, "error-trailing-comma", '{"a":1,}')
w(j, "error-unterminated", '{"a":[1,2')
w(j, "error-trailing-garbage", '{"a":1} x')
w(j, "error-bad-number", '{"a":01}')
w(j, "error-control-char", '{"a":"x\ty"}')
w(j, "small-depth-ok", '[[{"a":1}]]')
w(j, "small-error-depth", '[[[{"a":1}]]]')
w(j, "small-error-too-many-args", "[1,2,3,4]")
w(j, "small-error-value-too-long", '["abcdefghijklmnopqrstuvwxyz"]')

x = "xml"
w(x, "basic", '<?xml version="1.0" encoding="UTF-8"?>\n<root a="1"><item id="x&amp;y">text &lt;b&gt;</item>'
  "<![CDATA[<script>]]><!-- comment --><e/></root>\n")
w(x, "attribute-injection", "<a href=\"javascript:alert(1)\" b='&#x3c;svg&#62;'/>")
w(x, "error-doctype-xxe", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
w(x, "error-undefined-entity", "<r>&foo;</r>")
w(x, "error-mismatched", "<a><b></a></b>")
w(x, "error-unclosed", "<a><b></b>")
w(x, "error-two-roots", "<a/><b/>")
w(x, "error-text-outside-root", "junk<a/>")
w(x, "error-unquoted-attribute", "<a x=1/>")
w(x, "small-depth-ok", "<a><b><c>t</c></b></a>")
w(x, "small-error-depth", "<a><b><c><d/></c></b></a>")
w(x, "small-error-nodes", "<a>" + "<b/>" * 10 + "</a>")
w(x, "error-empty", "")
