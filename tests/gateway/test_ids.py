"""gateway.ids: opaque, stable, authenticated offender ids."""

from __future__ import annotations

import base64
import logging
import string

import pytest

from connectors.errors import ConfigurationError
from connectors.identifiers import Identifier, IdentifierKind, InvalidIdentifier
from gateway.ids import KEY_BYTES, MAX_ID_LENGTH, OffenderIds, new_id_key

IDENTIFIERS = [
    Identifier(IdentifierKind.PNC, "1988/0889542G"),
    Identifier(IdentifierKind.NOMS, "A3396NB"),
    Identifier(IdentifierKind.CRN, "X375805"),
    Identifier(IdentifierKind.CRO, "29906/12J"),
]
RECORDS = [("prison-north", "L123"), ("probation-wales", "ü/ 9:\x80x"), ("r", "")]
KEY = base64.b64encode(bytes(range(64))).decode()  # fixed: every run checks the same ids


@pytest.fixture
def ids() -> OffenderIds:
    return OffenderIds.from_setting(KEY)


def test_a_new_key_is_the_base64_of_64_random_bytes() -> None:
    key = new_id_key()
    assert len(base64.b64decode(key, validate=True)) == KEY_BYTES
    assert key != new_id_key()
    ids = OffenderIds.from_setting(key)
    assert ids.decode(ids.encode(IDENTIFIERS[0])) == IDENTIFIERS[0]


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=str)
def test_every_identifier_kind_round_trips(ids: OffenderIds, identifier: Identifier) -> None:
    text = ids.encode(identifier)
    assert text.startswith("o1")
    assert ids.decode(text) == identifier


@pytest.mark.parametrize("record", RECORDS)
def test_a_record_round_trips(ids: OffenderIds, record: tuple[str, str]) -> None:
    assert ids.decode(ids.encode_record(*record)) == record


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=str)
def test_an_id_reveals_no_identifier(ids: OffenderIds, identifier: Identifier) -> None:
    text = ids.encode(identifier)
    raw = base64.urlsafe_b64decode(text[2:] + "=" * (-len(text[2:]) % 4))
    for needle in (identifier.value, str(identifier), identifier.value.replace("/", "")):
        assert needle not in text
        assert needle.encode() not in raw
        for encoded in (base64.b64encode, base64.urlsafe_b64encode):
            # base64 of the value at each of the three alignments
            for shift in range(3):
                chunk = encoded(b"\x00" * shift + needle.encode())[4:-4].decode()
                assert chunk not in text


def test_ids_are_url_safe_unpadded_and_do_not_tell_the_kind_by_length(ids: OffenderIds) -> None:
    texts = [ids.encode(i) for i in IDENTIFIERS]
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert all(set(t) <= alphabet for t in texts)
    assert len({len(t) for t in texts}) == 1


def test_the_same_person_gets_the_same_id_every_time_and_with_the_same_key(
    ids: OffenderIds,
) -> None:
    again = OffenderIds.from_setting(KEY)
    for identifier in IDENTIFIERS:
        assert ids.encode(identifier) == ids.encode(identifier) == again.encode(identifier)
    assert ids.encode_record("a", "1") == again.encode_record("a", "1")
    assert len({ids.encode(i) for i in IDENTIFIERS}) == len(IDENTIFIERS)
    assert ids.encode_record("a", "1") != ids.encode_record("a", "2")


def test_a_record_id_differs_from_an_identifier_id_with_the_same_text(ids: OffenderIds) -> None:
    # "PNC" / "1988/0889542G" as a record must not decode as the PNC identifier
    record = ids.decode(ids.encode_record("PNC", "1988/0889542G"))
    assert record == ("PNC", "1988/0889542G")


def test_an_id_minted_with_another_key_is_invalid(ids: OffenderIds) -> None:
    foreign = OffenderIds.from_setting(new_id_key()).encode(IDENTIFIERS[0])
    with pytest.raises(InvalidIdentifier, match="another key"):
        ids.decode(foreign)


def test_every_altered_character_makes_an_id_invalid(ids: OffenderIds) -> None:
    text = ids.encode(IDENTIFIERS[0])
    for position in range(2, len(text)):
        replacement = "A" if text[position] != "A" else "B"
        tampered = text[:position] + replacement + text[position + 1 :]
        with pytest.raises(InvalidIdentifier):
            ids.decode(tampered)


def test_a_truncated_or_extended_id_is_invalid(ids: OffenderIds) -> None:
    text = ids.encode(IDENTIFIERS[1])
    for cut in (text[:-1], text[:-4], text[:-22], text[:3], text + "A", text + "AAAA"):
        with pytest.raises(InvalidIdentifier):
            ids.decode(cut)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "o1",
        "o1!!!!",
        "o1 " + "A" * 40,
        "O1" + "A" * 40,
        "A3396NB",
        base64.b64encode(b"Offender:PNC:1988/0889542G").decode(),  # the old format
        "o2" + "A" * 40,  # a version this key does not read
        "o1" + "A" * (MAX_ID_LENGTH * 100),
        "o1" + "A" * 41,  # a length no base64 has
        "o1" + "\u00e9" * 40,
    ],
    ids=lambda t: repr(t[:12]),
)
def test_garbage_is_invalid_with_a_clear_message(ids: OffenderIds, text: str) -> None:
    with pytest.raises(InvalidIdentifier, match="is not an offender id issued by this gateway"):
        ids.decode(text)


def test_a_message_never_echoes_the_input(ids: OffenderIds) -> None:
    with pytest.raises(InvalidIdentifier) as error:
        ids.decode("o1SECRETSECRETSECRETSECRET")
    assert "SECRET" not in str(error.value)


@pytest.mark.parametrize(
    "setting",
    [
        "not base64!",
        base64.b64encode(b"k" * 32).decode(),
        base64.b64encode(b"k" * 65).decode(),
        "k" * 88,  # valid base64, but of 66 bytes
    ],
)
def test_a_key_setting_that_is_not_64_bytes_is_a_configuration_error(setting: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        OffenderIds.from_setting(setting)
    assert str(error.value) == "gateway.id_key must be the base64 of 64 bytes"
    assert setting not in str(error.value)


def test_no_key_setting_means_a_random_key_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="offender_graph.ids"):
        first, second = OffenderIds.from_setting(""), OffenderIds.from_setting("  ")
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "change at restart" in caplog.records[0].getMessage()
    text = first.encode(IDENTIFIERS[0])
    assert first.decode(text) == IDENTIFIERS[0]
    with pytest.raises(InvalidIdentifier):
        second.decode(text)


def test_a_key_of_the_wrong_size_is_refused_by_the_constructor() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        OffenderIds(b"k" * 32)
