"""OAuth 1.0 HMAC-SHA1 signing: published known answers, the RFC 5849 rules, awkward values."""

from __future__ import annotations

import base64
import hashlib
import hmac
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1.rfc5849 import signature

from oauth_check import FORM, as_dict, collect, parse_auth_header, verify, verify_url
from py7D import APIClientException, OAuth1Auth, Token
from py7D._auth import sign_url

# OAuth Core 1.0, Appendix A (oauth-vectors.md, vector 1).
V1_KEY, V1_SECRET = "dpf43f3p2l4k3l03", "kd94hf93k423kf44"
V1_TOKEN = Token("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
V1_NONCE, V1_TIME = "kllo9940pd9333jh", 1191242096
V1_URL = "http://photos.example.net/photos?file=vacation.jpg&size=original"
V1_BASE = (
    "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key"
    "%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1"
    "%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0"
    "%26size%3Doriginal"
)
V1_SIGNATURE = "tR3+Ty81lMeYAr/Fid0kMTYa/WM="

# RFC 5849 section 3.4.1 (vector 2): the published normalized parameter string.
V2_NORMALIZED = (
    "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2"
    "&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201"
    "&oauth_token=kkk9d7dh3k39sjv7"
)

KEY, SECRET = "my-key", "my-secret"
NONCE, NOW = "fixednonce123", 1700000000


def fixed_auth(token: Token | None = None, secret: str = SECRET) -> OAuth1Auth:
    return OAuth1Auth(KEY, secret, token, clock=lambda: NOW, nonce=lambda: NONCE)


def signed(request: httpx.Request, auth: OAuth1Auth | None = None) -> httpx.Request:
    (auth or fixed_auth()).sign_request(request)
    return request


def rfc3986(text: str) -> str:
    """Percent-encoding with only A-Z a-z 0-9 - . _ ~ left alone (independent of oauthlib)."""
    return quote(text, safe="~")


def reference_signature(
    method: str,
    base_uri: str,
    params: list[tuple[str, str]],
    consumer_secret: str = SECRET,
    token_secret: str = "",
) -> str:
    """A from-scratch RFC 5849 signature, to compare the signer against."""
    oauth = [
        ("oauth_consumer_key", KEY),
        ("oauth_nonce", NONCE),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", str(NOW)),
        ("oauth_version", "1.0"),
    ]
    pairs = sorted((rfc3986(k), rfc3986(v)) for k, v in [*params, *oauth])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join([method, rfc3986(base_uri), rfc3986(normalized)])
    key = f"{rfc3986(consumer_secret)}&{rfc3986(token_secret)}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sent_signature(request: httpx.Request) -> str:
    return parse_auth_header(request)["oauth_signature"]


# --------------------------------------------------------------------------- published vectors


def test_vector_1_appendix_a_signature() -> None:
    auth = OAuth1Auth(V1_KEY, V1_SECRET, V1_TOKEN, clock=lambda: V1_TIME, nonce=lambda: V1_NONCE)
    request = signed(httpx.Request("GET", V1_URL), auth)

    header = parse_auth_header(request)
    assert header["oauth_signature"] == V1_SIGNATURE
    assert header["oauth_token"] == V1_TOKEN.key
    assert header["oauth_nonce"] == V1_NONCE
    assert header["oauth_timestamp"] == str(V1_TIME)
    assert header["oauth_version"] == "1.0"


def test_vector_1_base_string_rebuilt_from_the_request_as_sent() -> None:
    auth = OAuth1Auth(V1_KEY, V1_SECRET, V1_TOKEN, clock=lambda: V1_TIME, nonce=lambda: V1_NONCE)
    request = signed(httpx.Request("GET", V1_URL), auth)

    assert verify(request, V1_SECRET, V1_TOKEN.secret).base_string == V1_BASE


def test_vector_2_normalized_parameters_of_the_signed_request() -> None:
    auth = OAuth1Auth(
        "9djdj82h48djs9d2",
        "j49sk3j29djd",
        Token("kkk9d7dh3k39sjv7", "dh893hdasih9"),
        clock=lambda: 137131201,
        nonce=lambda: "7d8f3e4a",
    )
    request = httpx.Request(
        "POST",
        "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        content=b"c2&a3=2+q",
        headers={"Content-Type": FORM},
    )
    signed(request, auth)

    query = request.url.query.decode("ascii")
    params = signature.collect_parameters(
        uri_query=query,
        body=request.content.decode("ascii"),
        headers={"Authorization": request.headers["Authorization"]},
    )
    # The RFC's request carries no oauth_version; ours always sends 1.0, as 7digital expects.
    assert ("oauth_version", "1.0") in params
    without_version = [p for p in params if p[0] != "oauth_version"]
    assert signature.normalize_parameters(without_version) == V2_NORMALIZED
    assert signature.base_string_uri(str(request.url)) == "http://example.com/request"
    verify(request, "j49sk3j29djd", "dh893hdasih9")


# --------------------------------------------------------------------------- the rules


def test_space_is_percent_20_in_the_base_string_never_plus() -> None:
    request = signed(httpx.Request("GET", "http://api.example.com/1.2/x", params={"q": "a b"}))

    base_uri = "http://api.example.com/1.2/x"
    assert sent_signature(request) == reference_signature("GET", base_uri, [("q", "a b")])
    assert "q%3Da%2520b" in collect(request).base_string
    # The same value encoded the HTML-form way ("+") would give another signature.
    assert sent_signature(request) != reference_signature("GET", base_uri, [("q", "a+b")])


def test_plus_in_the_query_is_decoded_as_a_space_before_signing() -> None:
    request = signed(httpx.Request("GET", "http://api.example.com/1.2/x?q=a+b"))

    expected = reference_signature("GET", "http://api.example.com/1.2/x", [("q", "a b")])
    assert sent_signature(request) == expected


def test_form_body_parameters_are_signed() -> None:
    request = signed(
        httpx.Request(
            "POST",
            "http://api.example.com/1.2/x",
            content=b"b=2&a=1",
            headers={"Content-Type": FORM},
        )
    )

    expected = reference_signature("POST", "http://api.example.com/1.2/x", [("a", "1"), ("b", "2")])
    assert sent_signature(request) == expected
    assert "Content-Type" in request.headers


def test_form_body_change_after_signing_breaks_the_signature() -> None:
    request = signed(
        httpx.Request(
            "POST", "http://api.example.com/1.2/x", content=b"a=1", headers={"Content-Type": FORM}
        )
    )
    tampered = httpx.Request(
        "POST",
        request.url,
        content=b"a=2",
        headers={"Content-Type": FORM, "Authorization": request.headers["Authorization"]},
    )

    with pytest.raises(AssertionError):
        verify(tampered, SECRET)


def test_json_body_is_not_signed() -> None:
    request = signed(
        httpx.Request("POST", "http://api.example.com/1.2/x?k=v", json={"a": "1", "b": "2"})
    )

    expected = reference_signature("POST", "http://api.example.com/1.2/x", [("k", "v")])
    assert sent_signature(request) == expected


def test_form_body_without_form_content_type_is_not_signed() -> None:
    request = signed(
        httpx.Request(
            "POST",
            "http://api.example.com/1.2/x",
            content=b"a=1",
            headers={"Content-Type": "text/plain"},
        )
    )

    assert sent_signature(request) == reference_signature(
        "POST", "http://api.example.com/1.2/x", []
    )


def test_parameters_are_sorted_by_encoded_name_then_encoded_value() -> None:
    request = signed(
        httpx.Request("GET", "http://api.example.com/1.2/x?z=1&a=2&A=3&a=10&a%20b=4&a_c=5")
    )

    plain = collect(request).base_string.split("&", 2)[2]
    # A < a < a%20b < a_c < oauth_* < z; and "10" sorts before "2".
    assert plain.startswith("A%3D3%26a%3D10%26a%3D2%26a%2520b%3D4%26a_c%3D5%26oauth_consumer_key")
    assert plain.endswith("%26z%3D1")
    expected = reference_signature(
        "GET",
        "http://api.example.com/1.2/x",
        [("z", "1"), ("a", "2"), ("A", "3"), ("a", "10"), ("a b", "4"), ("a_c", "5")],
    )
    assert sent_signature(request) == expected


@pytest.mark.parametrize(
    ("url", "base_uri"),
    [
        ("HTTP://Photos.Example.NET:80/Photos?x=1", "http://photos.example.net/Photos"),
        ("https://API.example.com:443/1.2/x", "https://api.example.com/1.2/x"),
        ("http://api.example.com:8080/1.2/x#frag", "http://api.example.com:8080/1.2/x"),
    ],
)
def test_base_string_uri_lower_case_scheme_and_host_no_default_port(
    url: str, base_uri: str
) -> None:
    request = signed(httpx.Request("GET", url))

    params = [("x", "1")] if "x=1" in url else []
    assert sent_signature(request) == reference_signature("GET", base_uri, params)


def test_signing_key_is_consumer_secret_and_token_secret() -> None:
    token = Token("tok", "t s&cret")
    request = signed(httpx.Request("GET", "http://h.example/p"), fixed_auth(token, "c&s+"))

    header = parse_auth_header(request)
    assert header["oauth_token"] == "tok"
    base = collect(request).base_string
    key = "c%26s%2B&t%20s%26cret"
    digest = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest())
    assert header["oauth_signature"] == digest.decode()


def test_two_legged_key_ends_with_an_empty_token_secret() -> None:
    request = signed(httpx.Request("GET", "http://h.example/p"))

    assert "oauth_token" not in parse_auth_header(request)
    base = collect(request).base_string
    digest = base64.b64encode(hmac.new(b"my-secret&", base.encode(), hashlib.sha1).digest())
    assert sent_signature(request) == digest.decode()


# --------------------------------------------------------------------------- awkward values

AWKWARD = {
    "nonascii": "Björk ☃ 日本",
    "amp": "rock&roll",
    "plus": "1+1",
    "equals": "x=y",
    "slash": "AC/DC",
    "tilde": "~home",
    "empty": "",
    "newline": "line1\nline2",
    "percent": "100%",
    "quote": 'it\'s "quoted"',
    "hash": "#1",
    "semicolon": "a;b",
}


def test_awkward_values_in_a_get_query_verify_and_arrive_intact() -> None:
    token = Token("user-token", "user/secret")
    request = signed(
        httpx.Request("GET", "http://api.example.com/1.2/x", params=AWKWARD), fixed_auth(token)
    )

    checked = verify(request, SECRET, token.secret)
    assert as_dict(checked.plain) == AWKWARD


def test_awkward_values_in_a_post_form_body_verify_and_arrive_intact() -> None:
    request = signed(httpx.Request("POST", "http://api.example.com/1.2/x", data=AWKWARD))

    assert request.headers["Content-Type"] == FORM
    checked = verify(request, SECRET)
    assert as_dict(checked.plain) == AWKWARD
    assert b"oauth_" not in request.content


def test_awkward_parameter_names_verify() -> None:
    params = {"name with space": "1", "ünï": "2", "a+b": "3"}
    request = signed(httpx.Request("GET", "http://api.example.com/1.2/x", params=params))

    assert as_dict(verify(request, SECRET).plain) == params


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(
    lambda name: not name.startswith("oauth_")
)


@settings(max_examples=150, deadline=None)
@given(params=st.dictionaries(_names, _text, max_size=5), method=st.sampled_from(["GET", "POST"]))
def test_any_text_parameters_verify_and_round_trip(params: dict[str, str], method: str) -> None:
    if method == "GET":
        request = httpx.Request("GET", "http://api.example.com/1.2/x", params=params)
    else:
        request = httpx.Request("POST", "http://api.example.com/1.2/x", data=params)
    token = Token("tok", "tok secret")

    signed(request, fixed_auth(token))

    assert as_dict(verify(request, SECRET, token.secret).plain) == params


def test_signing_twice_uses_a_fresh_nonce_each_time() -> None:
    nonces = iter(["n1", "n2"])
    auth = OAuth1Auth(KEY, SECRET, clock=lambda: NOW, nonce=lambda: next(nonces))
    first = signed(httpx.Request("GET", "http://h.example/p"), auth)
    second = signed(httpx.Request("GET", "http://h.example/p"), auth)

    assert parse_auth_header(first)["oauth_nonce"] == "n1"
    assert parse_auth_header(second)["oauth_nonce"] == "n2"


def test_auth_flow_signs_through_an_httpx_client() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        client.post("http://api.example.com/1.2/x", data={"a": "1 2"}, auth=fixed_auth())

    assert as_dict(verify(seen[0], SECRET).plain) == {"a": "1 2"}


# --------------------------------------------------------------------------- sign_url


def test_sign_url_puts_every_oauth_parameter_in_the_query() -> None:
    url = sign_url(
        "http://previews.7digital.com/clip/123",
        KEY,
        SECRET,
        params={"country": "GB", "note": "a b&c"},
        clock=lambda: NOW,
        nonce=lambda: NONCE,
    )

    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert set(query) >= {
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
        "oauth_version",
        "oauth_signature",
    }
    assert "oauth_token" not in query
    checked = verify_url(url, SECRET)
    assert as_dict(checked.plain) == {"country": "GB", "note": "a b&c"}
    assert urlsplit(url).path == "/clip/123"


def test_sign_url_three_legged_adds_the_token_and_verifies() -> None:
    token = Token("access", "access-secret")
    url = fixed_auth(token).sign_url(
        "https://stream.svc.7digital.net/stream/locker?trackId=1&formatId=26"
    )

    checked = verify_url(url, SECRET, token.secret)
    assert checked.oauth["oauth_token"] == "access"
    assert as_dict(checked.plain) == {"trackId": "1", "formatId": "26"}


def test_sign_url_signature_fails_with_the_wrong_secret() -> None:
    url = fixed_auth().sign_url("http://previews.7digital.com/clip/1")

    with pytest.raises(AssertionError):
        verify_url(url, "not-the-secret")


# --------------------------------------------------------------------------- Token and reprs


def test_token_repr_masks_the_secret() -> None:
    token = Token("public-key", "very-secret-value")

    assert "very-secret-value" not in repr(token)
    assert "public-key" in repr(token)
    assert "very-secret-value" not in str(token)


def test_token_coerce_accepts_token_tuple_and_key_secret_objects() -> None:
    token = Token("k", "s")

    assert Token.coerce(token) is token
    assert Token.coerce(("k", "s")) == token
    assert Token.coerce(SimpleNamespace(key="k", secret="s")) == token


@pytest.mark.parametrize(
    "value",
    [
        "k:s",
        ["k", "s"],
        ("k", "s", "extra"),
        (None, None),
        ("k", None),
        ("", "s"),
        SimpleNamespace(key="k"),
        SimpleNamespace(key=1, secret=2),
        {"key": "k", "secret": "s"},
        None,
    ],
)
def test_token_coerce_refuses_other_values(value: object) -> None:
    with pytest.raises(APIClientException):
        Token.coerce(value)


def test_token_needs_string_key_and_secret() -> None:
    with pytest.raises(APIClientException):
        Token("k", 5)  # type: ignore[arg-type]
    with pytest.raises(APIClientException):
        Token("", "s")


def test_oauth1auth_repr_shows_no_secret() -> None:
    auth = OAuth1Auth("the-key", "consumer-secret-xyz", Token("tok", "token-secret-xyz"))

    text = repr(auth)
    assert "the-key" in text
    assert "tok" in text
    assert "consumer-secret-xyz" not in text
    assert "token-secret-xyz" not in text
