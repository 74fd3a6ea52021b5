"""``_xml.parse`` against ``xmltodict.parse`` (same dict, same key order); hostile XML refused."""

from __future__ import annotations

import copy
import random
import time
from typing import Any

import pytest
import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from py7D._xml import XMLError, normalize, parse


def assert_identical(ours: Any, theirs: Any, where: str = "$") -> None:
    """Equal values, equal types and equal key order, all the way down."""
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_identical(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} items != {len(theirs)}"
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            assert_identical(mine, other, f"{where}[{index}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def same_as_xmltodict(doc: bytes | str) -> dict[str, Any]:
    ours = parse(doc)
    assert_identical(ours, xmltodict.parse(doc))
    return ours


def test_assert_identical_checks_key_order() -> None:
    with pytest.raises(AssertionError, match="keys"):
        assert_identical({"a": 1, "b": 2}, {"b": 2, "a": 1})


# --- the xmltodict rules, one by one -------------------------------------------------------------

CASES = {
    "attributes-then-text": '<r><currency code="GBP">£</currency></r>',
    "attributes-then-children-then-text": '<r a="1">x<b>y</b>z<c/></r>',
    "attribute-order-kept": '<r z="1" a="2" m="3"/>',
    "repeated-becomes-list": "<r><t>1</t><t>2</t><t>3</t></r>",
    "repeated-dicts": '<r><t id="1"/><t id="2">x</t><t><n>3</n></t></r>',
    "repeated-interleaved": "<r><a>1</a><b>2</b><a>3</a><b/><a/></r>",
    "empty-element": "<r><version/><v></v><w>   </w></r>",
    "empty-root": "<r/>",
    "root-text": "<r>  hello  </r>",
    "nil": '<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><d xsi:nil="true"/></r>',
    "namespaces-verbatim": (
        '<response xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status="ok"'
        ' xsi:noNamespaceSchemaLocation="http://api.7digital.com/1.2/static/7digitalAPI.xsd">'
        "<x:y xmlns:x='urn:x' x:z='1'>t</x:y><a xmlns='urn:default'/></response>"
    ),
    "undeclared-prefix": '<r><xsi:d xsi:nil="true"/></r>',
    "char-refs": "<r><p>&#163;0.99</p><q>&#xA3;&#x1F600;&#10;x</q></r>",
    "predefined-entities": "<r a='&lt;&amp;&gt;&quot;&apos;'>&lt;b&gt; &amp; &quot;&apos;</r>",
    "url-with-amp": "<r><u>http://x/?a=1&amp;b=2</u></r>",
    "cdata": "<r><c><![CDATA[<not a tag> & ]]></c><d> a <![CDATA[ b ]]> c </d></r>",
    "cdata-only-whitespace": "<r><c><![CDATA[   ]]></c></r>",
    "comments-ignored": "<!-- pre --><r><!-- c --><a>x<!-- in -->y</a><!-- d --></r><!-- post -->",
    "processing-instructions-ignored": "<?pi x?><r><?php echo 1; ?><a>1</a></r><?post?>",
    "mixed-content": "<r>one <b>two</b> three <i>four</i> five</r>",
    "mixed-whitespace-between-text": "<r>x<a/> <b/>y</r>",
    "mixed-leading-whitespace-runs": "<r>  <a/>\n  <b/>  tail  </r>",
    "mixed-text-after-children-only": "<r><a/><a/>\n  end\n</r>",
    "whitespace-inside-text": "<r><a>\n  multi\n  line\n</a><b>\t tab\t</b></r>",
    "attribute-whitespace-normalised": '<r a="x\ny\tz" b="&#10;&#9;"/>',
    "crlf-normalised": "<r>\r\n<a>x\r\ny\rz</a>\r\n</r>",
    "unicode": "<r><n>Beyoncé — 日本語 🎵</n><m a='ü'>ß</m></r>",
    "unicode-whitespace-stripped": "<r><a>\u3000x\u00a0</a><b>\u2028\u0085</b><c>\u00a0</c></r>",
    "nested-lists": "<r><l><i><j>1</j><j>2</j></i><i><j>3</j></i></l><l/></r>",
    "deep": "<a><b><c><d><e><f>deep</f></e></d></c></b></a>",
    "xml-declaration": '<?xml version="1.0" encoding="utf-8" ?>\n<r>x</r>\n',
    "text-and-attrs-empty-text": '<r><c code="GBP"/><c code="EUR">  </c></r>',
    "same-name-as-attribute": '<r id="1"><id>2</id></r>',
}


@pytest.mark.parametrize("doc", CASES.values(), ids=CASES.keys())
def test_case_identical(doc: str) -> None:
    same_as_xmltodict(doc)
    same_as_xmltodict(doc.encode("utf-8"))


def test_shapes_spelled_out() -> None:
    tree = same_as_xmltodict(
        '<response status="ok"><price><currency code="GBP">&#163;</currency>'
        "<value>0.99</value></price><version/><t>1</t><t>2</t></response>"
    )
    assert tree == {
        "response": {
            "@status": "ok",
            "price": {"currency": {"@code": "GBP", "#text": "£"}, "value": "0.99"},
            "version": None,
            "t": ["1", "2"],
        }
    }


def test_long_text_split_by_expat_buffer() -> None:
    body = ("abc &amp; def " * 2000).strip()
    same_as_xmltodict(f"<r><a>  {body}  </a><b>{body}<c/>{body}</b></r>")


def test_long_prolog_and_root_tag_across_chunks() -> None:
    comment = "<!--" + "x" * 1000 + "-->"
    attrs = " ".join(f'a{i}="{"é" * i}"' for i in range(60))
    same_as_xmltodict(f'<?xml version="1.0"?>\n{comment}<?pi?>\n<root {attrs}><é>ü</é></root>')


@pytest.mark.parametrize("pad", range(240, 270, 3))
def test_text_across_the_prolog_chunk_boundary(pad: int) -> None:
    """The prolog is fed in small chunks; text and characters may straddle a chunk end."""
    same_as_xmltodict(f"<r>{' ' * pad}é x<a/> {'ü' * 20} </r>")
    same_as_xmltodict(f"<r>{'é' * (pad // 2)}<a>{' ' * 30}</a>  </r>")
    same_as_xmltodict(f"<r a='{'x' * pad}'>{'🎵' * 5}</r>")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "iso-8859-1", "latin-1", "cp1252"])
def test_declared_encodings(encoding: str) -> None:
    doc = f'<?xml version="1.0" encoding="{encoding}"?><r a="é">Beyoncé ü</r>'
    data = doc.encode(encoding)
    assert parse(data) == {"r": {"@a": "é", "#text": "Beyoncé ü"}}
    same_as_xmltodict(data)


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf<r>\xc3\xa9</r>", "<r>é</r>".encode("utf-16")])
def test_byte_order_marks(data: bytes) -> None:
    assert parse(data) == {"r": "é"}
    same_as_xmltodict(data)


def test_str_input_is_parsed_as_utf8_like_xmltodict() -> None:
    same_as_xmltodict('<?xml version="1.0" encoding="latin-1"?><r>é</r>')


def test_bytearray_and_memoryview() -> None:
    assert parse(bytearray(b"<r>1</r>")) == {"r": "1"}
    assert parse(memoryview(b"<r>1</r>")) == {"r": "1"}


# --- hostile and broken input ---------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]><lolz>&lol9;</lolz>"
)

HOSTILE = {
    "billion-laughs": (BILLION_LAUGHS, "doctype"),
    "billion-laughs-in-attribute": (
        BILLION_LAUGHS.replace("<lolz>&lol9;", '<lolz a="&lol9;">'),
        "doctype",
    ),
    "quadratic-blowup": (
        '<!DOCTYPE r [<!ENTITY a "' + "x" * 50_000 + '">]><r>' + "&a;" * 20_000 + "</r>",
        "doctype",
    ),
    "external-entity": (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        "doctype",
    ),
    "external-dtd": ('<!DOCTYPE r SYSTEM "http://example.invalid/x.dtd"><r>&x;</r>', "doctype"),
    "parameter-entity": (
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/p.dtd"> %p;]><r/>',
        "doctype",
    ),
    "doctype-alone": ("<!DOCTYPE r>", "doctype"),
    "doctype-no-subset": ("<!DOCTYPE r><r>x</r>", "doctype"),
    "doctype-after-long-prolog": ("<!--" + "-" * 0 + "x" * 5000 + "--><!DOCTYPE r><r/>", "doctype"),
    "html-with-doctype": ("<!DOCTYPE html><html><body>Error</body></html>", "doctype"),
    "undefined-entity": ("<r>&nbsp;</r>", "entity"),
    "undefined-entity-in-attribute": ('<r a="&copy;"/>', "entity"),
    "truncated": ('<?xml version="1.0"?><response status="ok"><a>1</a><b>', "syntax"),
    "truncated-in-tag": ('<response status="o', "syntax"),
    "declaration-only": ('<?xml version="1.0"?>', "syntax"),
    "html-page": ("<html><head><title>500</title></head><body>Oops<br></body></html>", "syntax"),
    "plain-text": ("It went wrong. You suck.", "syntax"),
    "oauth-text": ("OAuth authentication error: Invalid signature", "syntax"),
    "json": ('{"response": {"status": "ok"}}', "syntax"),
    "junk-after-root": ("<r/><r/>", "syntax"),
    "mismatched": ("<r><a></b></r>", "syntax"),
    "bad-char-ref": ("<r>&#0;</r>", "syntax"),
    "duplicate-attribute": ('<r a="1" a="2"/>', "syntax"),
    "unknown-encoding": ('<?xml version="1.0" encoding="klingon"?><r/>', "encoding"),
    "multibyte-codec": ('<?xml version="1.0" encoding="shift_jis"?><r/>', "encoding"),
    "non-text-codec": ('<?xml version="1.0" encoding="rot13"?><r/>', "encoding"),
    "empty": ("", "empty"),
    "whitespace-only": (" \r\n\t ", "empty"),
}


def _raises(doc: bytes | str, reason: str, **kwargs: Any) -> XMLError:
    started = time.perf_counter()
    with pytest.raises(XMLError) as info:
        parse(doc, **kwargs)
    assert time.perf_counter() - started < 1.0, "refusal must be quick"
    assert info.value.reason == reason, str(info.value)
    assert len(str(info.value)) < 300
    return info.value


@pytest.mark.parametrize(("doc", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_refused(doc: str, reason: str) -> None:
    _raises(doc.encode("utf-8"), reason)
    if reason != "encoding":  # a str is always parsed as UTF-8, whatever it declares
        _raises(doc, reason)


@pytest.mark.parametrize("prefix", ["", "<!--" + "x" * 5000 + "-->\n", "<?pi " + "y" * 700 + "?>"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be"])
def test_billion_laughs_refused_in_any_encoding_and_position(prefix: str, encoding: str) -> None:
    doc = BILLION_LAUGHS.replace('<?xml version="1.0"?>', "")
    data = (prefix + doc).encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    _raises(data, "doctype")


def test_doctype_refused_before_any_expansion() -> None:
    """With a 10^9 expansion in the content, a refusal must still take no measurable time."""
    started = time.perf_counter()
    for _ in range(50):
        _raises(BILLION_LAUGHS, "doctype")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "data",
    [
        b"<r>caf\xe9</r>",  # latin-1 byte in a UTF-8 document
        b'<?xml version="1.0" encoding="utf-8"?><r a="\xff">x</r>',
        b"<r>\xed\xa0\x80</r>",  # an encoded surrogate
        b"<r>ok</r" + b"\xc3",  # truncated in the middle of a character
    ],
)
def test_invalid_utf8(data: bytes) -> None:
    _raises(data, "encoding")


def test_unencodable_str() -> None:
    _raises("<r>\ud800</r>", "encoding")


def test_max_bytes_checked_before_parsing() -> None:
    _raises(b"<r>" + b"x" * 100 + b"</r>", "too-large", max_bytes=50)
    _raises(b"not xml at all, and too big", "too-large", max_bytes=10)
    _raises(BILLION_LAUGHS, "too-large", max_bytes=100)
    assert parse(b"<r>x</r>", max_bytes=8) == {"r": "x"}
    _raises("<r>é</r>", "too-large", max_bytes=8)  # 9 bytes once encoded


def test_error_message_quotes_only_an_excerpt() -> None:
    secret_tail = "S3CRET" * 10_000
    error = _raises("<r>" + "x" * 1000 + "<<" + secret_tail, "syntax")
    assert "S3CRET" * 4 not in str(error)  # at most ~20 characters past the error
    assert error.line == 1
    assert error.column is not None


def test_xml_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse(b"")


def test_no_expat_exception_escapes_on_random_bytes() -> None:
    junk = bytes(range(256)) * 4
    for cut in range(0, len(junk), 37):
        with pytest.raises(XMLError):
            parse(b"<r>" + junk[cut:])


# --- property tests: random documents ------------------------------------------------------------

NAMES = st.sampled_from(
    ["a", "b", "item", "track", "xsi:nil", "xsi:type", "x-y", "n.1", "_u", "é", "ns:t", "r2"]
)
ATTR_NAMES = st.sampled_from(["id", "code", "xsi:nil", "xmlns:xsi", "xmlns", "a-b", "é", "z"])
# Text is drawn from a seeded Random rather than from st.text(): generating thousands of small
# strings through hypothesis takes tens of seconds, and the interesting characters are few.
SPECIAL_CHARS = [" ", "\t", "\n", "\r", "&", "<", ">", '"', "'", "]]>", "\u00a0", "\u3000"]
PLAIN_CHARS = ["\u2028", "\u0085", "\x7f", "é", "£", "🎵", "x", "Y", "0", "\U0010fffd", "\ud7ff"]
WHITESPACE_CHARS = [" ", "\t", "\n", "\r\n", "\u00a0"]


def _random_char(rnd: random.Random) -> str:
    pick = rnd.random()
    if pick < 0.4:
        return rnd.choice(SPECIAL_CHARS)
    if pick < 0.8:
        return rnd.choice(PLAIN_CHARS)
    while True:  # any XML character
        char = chr(rnd.randrange(0x20, 0x110000))
        if not ("\ud800" <= char <= "\udfff" or char in "\ufffe\uffff"):
            return char


def _random_text(rnd: random.Random) -> str:
    return "".join(_random_char(rnd) for _ in range(rnd.randrange(13)))


def _random_whitespace(rnd: random.Random) -> str:
    return "".join(rnd.choice(WHITESPACE_CHARS) for _ in range(rnd.randrange(5)))


def _escape_text(text: str, rnd: random.Random) -> str:
    """Escape ``text`` for content, choosing among equivalent spellings at random."""
    out = []
    for char in text:
        if char == "&":
            out.append(rnd.choice(["&amp;", "&#38;", "&#x26;"]))
        elif char == "<":
            out.append(rnd.choice(["&lt;", "&#60;"]))
        elif char == ">":
            out.append(rnd.choice(["&gt;", ">", "&#62;"]))
        elif char == "\r":
            out.append(rnd.choice(["\r", "&#13;", "&#xD;"]))
        elif rnd.random() < 0.1:
            out.append(f"&#{ord(char)};" if rnd.random() < 0.5 else f"&#x{ord(char):x};")
        else:
            out.append(char)
    return "".join(out).replace("]]>", "]]&gt;")


def _escape_attr(value: str, quote: str, rnd: random.Random) -> str:
    escaped = _escape_text(value, rnd)
    return escaped.replace(quote, "&quot;" if quote == '"' else "&apos;")


@st.composite
def element(draw: st.DrawFn, rnd: random.Random, depth: int = 0) -> str:
    name = draw(NAMES)
    attrs = draw(st.lists(ATTR_NAMES, max_size=3, unique=True))
    parts = [f"<{name}"]
    for attr in attrs:
        quote = draw(st.sampled_from(['"', "'"]))
        value = _escape_attr(_random_text(rnd), quote, rnd)
        parts.append(f"{draw(st.sampled_from([' ', chr(10), '  ']))}{attr}={quote}{value}{quote}")
    kinds = ["text", "ws", "comment", "pi", "cdata"] + (["element"] * 3 if depth < 4 else [])
    children = draw(st.lists(st.sampled_from(kinds), max_size=6))
    if not children and draw(st.booleans()):
        return "".join(parts) + draw(st.sampled_from(["/>", " />"]))
    parts.append(">")
    for kind in children:
        if kind == "text":
            parts.append(_escape_text(_random_text(rnd), rnd))
        elif kind == "ws":
            parts.append(_random_whitespace(rnd))
        elif kind == "comment":
            parts.append(f"<!--{draw(st.sampled_from(['', ' c ', 'x-y']))}-->")
        elif kind == "pi":
            parts.append("<?pi data?>")
        elif kind == "cdata":
            parts.append(f"<![CDATA[{_random_text(rnd).replace(']]>', '')}]]>")
        else:
            parts.append(draw(element(rnd, depth + 1)))
    parts.append(f"</{name}>")
    return "".join(parts)


@st.composite
def document(draw: st.DrawFn) -> str:
    prolog = draw(
        st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>\n', "<!-- hi -->", "\n"])
    )
    root = draw(element(draw(st.randoms(use_true_random=False))))
    return prolog + root + draw(st.sampled_from(["", "\n", "<!-- end -->\n"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document())
def test_random_documents_identical(doc: str) -> None:
    same_as_xmltodict(doc)
    same_as_xmltodict(doc.encode("utf-8"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document(), st.data())
def test_random_damage_fails_like_xmltodict(doc: str, data: st.DataObject) -> None:
    raw = bytearray(doc.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        if not raw:
            break
        index = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["cut", "flip", "insert"]))
        if action == "cut":
            del raw[index:]
        elif action == "flip":
            raw[index] = data.draw(st.sampled_from(list(b"<>&/=\"'x \xff\xc3")))
        else:
            raw[index:index] = data.draw(st.sampled_from([b"<", b"&", b"</a>", b"<!--"]))
    damaged = bytes(raw)
    try:
        expected = xmltodict.parse(damaged)
    except Exception:  # any xmltodict failure must be an XMLError for us
        with pytest.raises(XMLError):
            parse(damaged)
    else:
        assert_identical(parse(damaged), expected)


# --- normalize ------------------------------------------------------------------------------------


def test_normalize_one_item_becomes_list() -> None:
    content = parse("<tracks><page>1</page><track id='1'><t>x</t></track></tracks>")["tracks"]
    assert normalize(content, ["track"]) == {"page": "1", "track": [{"@id": "1", "t": "x"}]}


def test_normalize_many_items_stay_list() -> None:
    content = parse("<tracks><track>a</track><track>b</track></tracks>")["tracks"]
    assert normalize(content, ["track"]) == {"track": ["a", "b"]}


def test_normalize_missing_and_empty_items_become_empty_list() -> None:
    assert normalize({"page": "1"}, ["searchResult"]) == {"page": "1", "searchResult": []}
    assert normalize({"searchResult": None}, ["searchResult"]) == {"searchResult": []}


def test_normalize_keeps_empty_parents_none() -> None:
    basket = parse('<basket id="b"><basketItems/><price/></basket>')["basket"]
    shaped = normalize(basket, ["basketItems.basketItem"])
    assert shaped == {"@id": "b", "basketItems": None, "price": None}


def test_normalize_descends_through_lists() -> None:
    locker = parse(
        "<locker><lockerReleases>"
        "<lockerRelease><lockerTracks><lockerTrack>1</lockerTrack></lockerTracks></lockerRelease>"
        "<lockerRelease><lockerTracks><lockerTrack>2</lockerTrack><lockerTrack>3</lockerTrack>"
        "</lockerTracks></lockerRelease>"
        "<lockerRelease><lockerTracks/></lockerRelease>"
        "</lockerReleases></locker>"
    )["locker"]
    shaped = normalize(
        locker,
        ["lockerReleases.lockerRelease.lockerTracks.lockerTrack", "lockerReleases.lockerRelease"],
    )
    releases = shaped["lockerReleases"]["lockerRelease"]
    assert [r["lockerTracks"] for r in releases] == [
        {"lockerTrack": ["1"]},
        {"lockerTrack": ["2", "3"]},
        None,
    ]


def test_normalize_single_release_through_path() -> None:
    content = parse(
        "<locker><lockerReleases><lockerRelease><lockerTracks><lockerTrack>1</lockerTrack>"
        "</lockerTracks></lockerRelease></lockerReleases></locker>"
    )["locker"]
    shaped = normalize(content, ["lockerReleases.lockerRelease.lockerTracks.lockerTrack"])
    assert shaped["lockerReleases"]["lockerRelease"]["lockerTracks"] == {"lockerTrack": ["1"]}


def test_normalize_does_not_mutate_input() -> None:
    content = parse(
        "<r><release><download><packages><package id='2'/></packages></download></release>"
        "<other><x>1</x></other></r>"
    )["r"]
    before = copy.deepcopy(content)
    shaped = normalize(content, ["release.download.packages.package", "missing.deeper"])
    assert content == before
    assert shaped["release"]["download"]["packages"]["package"] == [{"@id": "2"}]
    assert shaped is not content
    assert "missing" not in shaped


def test_normalize_leaves_text_and_none_alone() -> None:
    assert normalize(None, ["a"]) is None
    assert normalize("text", ["a.b"]) == "text"
    assert normalize({"a": "text"}, ["a.b"]) == {"a": "text"}
    assert normalize({"a": {"b": "1"}}, []) == {"a": {"b": "1"}}


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a."])
def test_normalize_rejects_bad_paths(path: str) -> None:
    with pytest.raises(ValueError, match="invalid list path"):
        normalize({}, [path])
