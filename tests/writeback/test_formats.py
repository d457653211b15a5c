"""Write-back checks trait formats as Kratos does: the same values pass and fail here and there.

The verdicts in ``CASES`` are Kratos v1.3.1's (ory/jsonschema v3.0.8 ``formats.go`` over Go's
``net/mail``, ``net/url``, ``net``, ``time`` and nyaruka/phonenumbers), derived from those sources and
checked against a Go build of that library.
"""

from __future__ import annotations

import string
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ory_frames._errors import InvalidInputError
from ory_frames._formats import KRATOS_FORMATS, conforms
from ory_frames.writeback import plan_changes

CASES = [
    # email: formats.go isEmail = lengths + hostname(domain) + net/mail.ParseAddress
    ("email", "ada@example.org", True),
    ("email", "ada@example.org x", False),
    ("email", " ada@example.org", True),
    ("email", "\tada@example.org", True),
    ("email", "ada@example.org ", False),
    ("email", "ada@example.org.", False),
    ("email", '"a b"@example.org', True),
    ("email", '"a@b"@example.org', True),
    ("email", '"a\\"b"@example.org', True),
    ("email", '""@example.org', False),
    ("email", '"a"b@example.org', False),
    ("email", "a..b@example.org", False),
    ("email", ".a@example.org", False),
    ("email", "a.@example.org", False),
    ("email", "ädä@example.org", True),
    ("email", "ada@exämple.org", False),
    ("email", "Ada <ada@example.org>", False),
    ("email", "ada@example.org (Ada)", False),
    ("email", "ada@[127.0.0.1]", False),
    ("email", "ada@-example.org", False),
    ("email", "ada@a.-b.org", True),
    ("email", "ada@example-.org", False),
    ("email", "a" * 64 + "@example.org", True),
    ("email", "a" * 65 + "@example.org", False),
    ("email", "ada@localhost", True),
    ("email", "ada@123", True),
    ("email", "a(b)@example.org", False),
    ("email", "ada@@example.org", False),
    ("email", "a,b@example.org", False),
    ("email", "a!#$%&'*+/=?^_`{|}~b@example.org", True),
    ("email", "ada@" + "a" * 63 + ".org", True),
    ("email", "ada@" + "a" * 64 + ".org", False),
    ("email", "ada", False),
    ("email", 5, False),
    ("email", None, False),
    # hostname
    ("hostname", "example.org", True),
    ("hostname", "example.org.", True),
    ("hostname", "example.org..", False),
    ("hostname", "-example.org", False),
    ("hostname", "a.-b", True),
    ("hostname", "a_b.org", False),
    ("hostname", "", False),
    ("hostname", "a" * 63, True),
    ("hostname", "a" * 64, False),
    # date-time / date / time: Go time.Parse with the RFC 3339 layouts
    ("date-time", "2024-02-29T12:00:00Z", True),
    ("date-time", "2023-02-29T12:00:00Z", False),
    ("date-time", "2024-04-31T12:00:00Z", False),
    ("date-time", "2024-01-01t12:00:00Z", False),
    ("date-time", "2024-01-01 12:00:00Z", False),
    ("date-time", "2024-01-01T12:00:00z", False),
    ("date-time", "2024-01-01T1:02:03Z", True),
    ("date-time", "2024-01-01T24:00:00Z", False),
    ("date-time", "2024-01-01T12:00:00.123456789123Z", True),
    ("date-time", "2024-01-01T12:00:00,5+01:00", True),
    ("date-time", "2024-01-01T12:00:00.Z", False),
    ("date-time", "2024-01-01T12:00:00+24:60", True),
    ("date-time", "2024-01-01T12:00:00+25:00", False),
    ("date-time", "2024-01-01T12:00:00+0100", False),
    ("date-time", "2024-01-01T12:00:60Z", False),
    ("date-time", "2024-01-01T12:00:00", False),
    ("date-time", "0000-02-29T00:00:00Z", True),
    ("date-time", "24-01-01T12:00:00Z", False),
    ("date", "2024-02-29", True),
    ("date", "2024-13-01", False),
    ("date", "2024-1-01", False),
    ("date", "2024-01-01T00:00:00Z", False),
    ("time", "12:00:00Z", True),
    ("time", "1:00:00.5+05:30", True),
    ("time", "12:00:00", False),
    ("time", "12:00Z", False),
    # ipv4 (formats.go's own check with strconv.Atoi) and ipv6 (net.ParseIP)
    ("ipv4", "1.2.3.4", True),
    ("ipv4", "-0.+1.003.255", True),
    ("ipv4", "-1.1.1.1", False),
    ("ipv4", "256.1.1.1", False),
    ("ipv4", "1.2.3", False),
    ("ipv4", "1.2.3.4 ", False),
    ("ipv6", "::", True),
    ("ipv6", "::1", True),
    ("ipv6", "::ffff:1.2.3.4", True),
    ("ipv6", "1:2:3:4:5:6:1.2.3.4", True),
    ("ipv6", "1:2:3:4:5:1.2.3.4", False),
    ("ipv6", "::01.2.3.4", False),
    ("ipv6", "1:2:3:4:5:6:7:8", True),
    ("ipv6", "1:2:3:4:5:6:7::", True),
    ("ipv6", "1:2:3:4:5:6:7:8::", False),
    ("ipv6", "1::2::3", False),
    ("ipv6", "12345::", False),
    ("ipv6", "fe80::1%eth0", False),
    ("ipv6", "1.2.3.4", False),
    # uri / uri-reference / uri-template: Go net/url.Parse
    ("uri", "https://example.org/a?b#c", True),
    ("uri", "example.org", False),
    ("uri", "mailto:a b", True),
    ("uri", "urn:isbn:0451450523", True),
    ("uri", "http://a b/", False),
    ("uri", "http://[::1]:80/x", True),
    ("uri", "http://[::1%25en0]/", True),
    ("uri", "http://[1.2.3.4]/", False),
    ("uri", "http://a[::1]/", False),
    ("uri", "http://a:1:2/", True),
    ("uri", "http://a:b/", False),
    ("uri", "http://u:p@ss@a/", True),
    ("uri", "http://ü@a/", False),
    ("uri", "http://%41/", False),
    ("uri", "http://%C3%BC/", True),
    ("uri", "http://x/%zz", False),
    ("uri", "http://x/#%zz", False),
    ("uri", "http://x/#\n", True),
    ("uri", "http://x/\n", False),
    ("uri", ":x", False),
    ("uri-reference", "", True),
    ("uri-reference", "a/b", True),
    ("uri-reference", "a:b", True),
    ("uri-reference", "1:b", False),
    ("uri-reference", "//a b", False),
    ("uri-reference", "///x y", True),
    ("uri-reference", "*", True),
    ("uri-template", "http://x/{a}/{b}", True),
    ("uri-template", "http://x/{{a}}", False),
    ("uri-template", "http://x/{a", False),
    # tel: libphonenumber Parse(value, "") + IsValidNumber
    ("tel", "+4915112345678", True),
    ("tel", "+1 650 253 0000", True),
    ("tel", "+4915112345678)", True),
    ("tel", "+4915112345678}", False),
    ("tel", "+4915112345678 ext. 12", True),
    ("tel", "+33612345678~1234", True),
    ("tel", "+336~12345678", True),
    ("tel", "+1-800-FLOWERS", True),
    ("tel", "+1-800-*FLOWERS", False),
    ("tel", "015112345678", False),
    ("tel", "+999", False),
    ("tel", "+12345", False),
    # pointers, and formats Kratos does not check
    ("json-pointer", "/a~0b/c~1d", True),
    ("json-pointer", "a", False),
    ("json-pointer", "/~2", False),
    ("relative-json-pointer", "0#", True),
    ("relative-json-pointer", "12/a", True),
    ("relative-json-pointer", "01", False),
    ("regex", 5, False),
    ("uuid", "not a uuid", True),
    ("idn-email", "nobody", True),
    ("duration", "x", True),
]


@given(st.sampled_from(CASES))
def test_formats_agree_with_kratos(case: tuple[str, Any, bool]) -> None:
    fmt, value, kratos = case
    assert conforms(fmt, value) is kratos, (fmt, value)


def test_every_kratos_format_has_cases() -> None:
    assert set(KRATOS_FORMATS) - {"ip-address", "iri", "uriref", "iri-reference"} <= {c[0] for c in CASES}


_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)


@given(
    st.lists(st.text(_ATEXT, min_size=1, max_size=8), min_size=1, max_size=3),
    st.lists(_LABEL, min_size=1, max_size=4),
    st.sampled_from([" ", "\t", ">", ")", ";", ",", "@", "..", "[", "\\"]),
)
def test_email_addr_spec_and_one_bad_character(atoms: list[str], labels: list[str], bad: str) -> None:
    """A dot-atom, ``@`` and a host name pass; one character no host name holds, anywhere in the domain, fails."""
    address = ".".join(atoms) + "@" + ".".join(labels)
    assert conforms("email", address) is (len(".".join(atoms)) <= 64)
    domain_at = address.rindex("@") + 1
    for cut in range(domain_at, len(address) + 1):
        assert not conforms("email", address[:cut] + bad + address[cut:])


@given(st.datetimes(timezones=st.timezones()))
def test_python_iso_timestamps_are_kratos_date_times(moment: Any) -> None:
    text = moment.isoformat(timespec="microseconds")
    offset = moment.utcoffset()
    if offset is not None and offset.seconds % 60 == 0:  # RFC 3339 offsets carry no seconds
        assert conforms("date-time", text)
        assert conforms("date-time", text.replace("T", "t")) is False


def _one_row_plan(fmt: str, value: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"traits": {"type": "object", "properties": {"field": {"type": "string", "format": fmt}}}},
    }
    original = pd.DataFrame(
        {
            "id": ["00000000-0000-4000-8000-000000000001"],
            "schema_id": ["s"],
            "traits.field": pd.Series(["x"], dtype=object),
        }
    )
    edited = original.copy()
    edited.loc[0, "traits.field"] = value
    plan_changes(original, edited, schemas={"s": schema})


def test_plan_refuses_an_email_kratos_refuses() -> None:
    with pytest.raises(InvalidInputError, match=r"'ada@example.org x' is not a valid email"):
        _one_row_plan("email", "ada@example.org x")


@pytest.mark.parametrize(
    ("fmt", "value"),
    [("idn-email", "nobody"), ("email", '"ada lovelace"@example.org'), ("tel", "+1 650 253 0000")],
)
def test_plan_accepts_what_kratos_accepts(fmt: str, value: str) -> None:
    _one_row_plan(fmt, value)


@pytest.mark.parametrize(
    ("fmt", "value"),
    [("tel", "+4915112345678}"), ("date-time", "2024-01-01t12:00:00Z"), ("uri", "http://a b/"), ("ipv4", "1.2.3")],
)
def test_plan_refuses_what_kratos_refuses(fmt: str, value: str) -> None:
    with pytest.raises(InvalidInputError, match=f"is not a valid {fmt}"):
        _one_row_plan(fmt, value)


def test_a_value_of_the_wrong_type_gets_only_the_type_problem() -> None:
    """ory/jsonschema stops at a failed ``type``: no format problem besides it (as Kratos reports it)."""
    with pytest.raises(InvalidInputError) as info:
        _one_row_plan("email", 5)
    assert [p.reason for p in info.value.problems] == ["5 is not a string (schema 's')"]
