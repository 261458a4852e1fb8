"""The register's answer to a publication (``odpovedZverejneni``): read safely, checked against its
official schema (``schemas/odpoved_zverejneni.xsd``) and against the contract it claims to publish.

Nothing from the file is believed until it has passed all of that: an answer for another contract, with
other amounts or dates, or naming attachments whose hashes differ from the documents we hold is refused
with a Czech message saying what differs. The record's own hash and electronic seal (``potvrzeni``) are
the register's proof and are kept as the file says: the schema does not say over which bytes that hash
is taken, so checking it could only refuse genuine answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

import xmlschema
from xmlschema.exceptions import XMLResourceForbidden

from minitendr import clock
from minitendr.db import DomainError
from minitendr.formatting import date as format_date
from minitendr.formatting import money as format_money
from minitendr.isrs.message import NAMESPACE, Attachment, schema
from minitendr.money import to_money

ROOT = f"{{{NAMESPACE}}}odpovedZverejneni"
MAX_BYTES = 2 * 1024 * 1024  # an answer is a few kilobytes; its electronic seal is the largest part
FIELD = "answer"


def refused(message: str) -> DomainError:
    return DomainError(message, field=FIELD)


@dataclass(frozen=True)
class Answer:
    """What an answer says, once it has passed the schema."""

    registry_id: str  # idSmlouvy
    version: str  # idVerze
    published_at: dt.datetime  # casZverejneni, aware
    link: str
    number: str | None  # cisloSmlouvy
    concluded_on: dt.date
    value: Decimal | None  # hodnotaBezDph
    publisher_ico: str | None
    party_icos: tuple[str, ...]
    attachments: dict[str, tuple[str | None, str]]  # file name → (algorithm, hash)

    @property
    def published_on(self) -> dt.date:
        """The day of publication in Prague (the register's time may come in any offset)."""
        moment = self.published_at
        return moment.astimezone(clock.PRAGUE).date()


def _find(element: ET.Element, path: str) -> ET.Element | None:
    return element.find("/".join(f"{{{NAMESPACE}}}{step}" for step in path.split("/")))


def _text(element: ET.Element, path: str) -> str | None:
    found = _find(element, path)
    return None if found is None or found.text is None else found.text.strip()


def parse(data: bytes) -> Answer:
    """The answer in ``data``, or a ``DomainError`` at the upload field saying why it is none."""
    if not data.strip():
        raise refused("Soubor je prázdný. Nahrajte XML odpověď registru smluv.")
    if len(data) > MAX_BYTES:
        raise refused("Soubor je příliš velký na odpověď registru smluv (nejvýše 2 MB).")
    try:
        resource = xmlschema.XMLResource(io.BytesIO(data), defuse="always", allow="none")
    except XMLResourceForbidden:
        raise refused("Soubor obsahuje definice entit nebo odkazy ven; odpověď registru smluv je nemá.") from None
    except (xmlschema.XMLResourceError, ET.ParseError, ValueError) as problem:
        raise refused(f"Soubor není platné XML ({problem}).") from None
    root = resource.root
    if root.tag != ROOT:
        name = root.tag.rpartition("}")[2]
        raise refused(
            f"Soubor není odpověď registru smluv na zveřejnění: obsahuje <{name}>, "
            "očekává se <odpovedZverejneni> podle schématu ISRS 1.2."
        )
    invalid = next(schema("odpoved_zverejneni.xsd").iter_errors(resource), None)
    if invalid is not None:
        where = f" (v {invalid.path})" if invalid.path else ""
        reason = invalid.reason or invalid.message
        raise refused(f"Odpověď neodpovídá schématu registru smluv odpoved_zverejneni.xsd{where}: {reason}")
    data_element = _find(root, "data")
    assert data_element is not None  # the schema requires it
    published_at = _moment(_text(data_element, "casZverejneni") or "")
    attachments: dict[str, tuple[str | None, str]] = {}
    for priloha in data_element.iterfind(f"{{{NAMESPACE}}}prilohy/{{{NAMESPACE}}}priloha"):
        hash_element = _find(priloha, "hash")
        digest = (hash_element.text or "").strip() if hash_element is not None else ""
        algorithm = hash_element.get("algoritmus") if hash_element is not None else None
        attachments[_text(priloha, "nazevSouboru") or ""] = (algorithm, digest)
    value_text = _text(data_element, "smlouva/hodnotaBezDph")
    return Answer(
        registry_id=_text(data_element, "identifikator/idSmlouvy") or "",
        version=_text(data_element, "identifikator/idVerze") or "",
        published_at=published_at,
        link=_text(data_element, "odkaz") or "",
        number=_text(data_element, "smlouva/cisloSmlouvy"),
        concluded_on=_day(_text(data_element, "smlouva/datumUzavreni") or ""),
        value=_decimal(value_text),
        publisher_ico=_text(data_element, "smlouva/subjekt/ico"),
        party_icos=tuple(
            ico
            for strana in data_element.iterfind(f"{{{NAMESPACE}}}smlouva/{{{NAMESPACE}}}smluvniStrana")
            if (ico := (strana.findtext(f"{{{NAMESPACE}}}ico") or "").strip())
        ),
        attachments=attachments,
    )


def _moment(text: str) -> dt.datetime:
    """An xs:dateTime as an aware timestamp; without an offset it is the register's (Prague) time."""
    whole, dot, fraction = text.partition(".")
    if dot:  # Python reads at most six decimal places of a second
        digits = len(fraction) - len(fraction.lstrip("0123456789"))
        text = f"{whole}.{fraction[: min(digits, 6)]}{fraction[digits:]}" if digits else whole + fraction
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise refused(f"Čas zveřejnění „{text}“ v odpovědi nelze přečíst.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=clock.PRAGUE)


def _day(text: str) -> dt.date:
    """An xs:date (it may carry an offset, which does not change the day)."""
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise refused(f"Datum uzavření „{text}“ v odpovědi nelze přečíst.") from None


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # the schema checked xs:decimal; kept for safety
        raise refused(f"Hodnota „{text}“ v odpovědi není číslo.") from None


@dataclass(frozen=True)
class Expected:
    """What the answer must say about the contract (or amendment) it publishes."""

    number: str
    concluded_on: dt.date
    value: Decimal
    publisher_ico: str
    provider_ico: str
    attachment: str
    documents: list[Attachment]


# hashlib's names for what the register may write in ``algoritmus``.
ALGORITHMS = {"sha256": "sha256", "sha-256": "sha256", "sha1": "sha1", "sha-1": "sha1", "sha512": "sha512"}


def check(answer: Answer, expected: Expected) -> None:
    """Refuse an answer that does not describe ``expected`` as we sent it."""
    if answer.number != expected.number:
        raise refused(
            f"Odpověď se týká smlouvy č. {answer.number or '(bez čísla)'}, ne smlouvy č. {expected.number}. "
            "Nahrajte odpověď k této smlouvě."
        )
    if answer.concluded_on != expected.concluded_on:
        raise refused(
            f"Odpověď uvádí datum uzavření {format_date(answer.concluded_on)}, "
            f"smlouva byla uzavřena {format_date(expected.concluded_on)}."
        )
    if answer.value is not None and to_money(answer.value) != expected.value:
        raise refused(
            f"Odpověď uvádí hodnotu bez DPH {format_money(answer.value)}, smlouva má {format_money(expected.value)}."
        )
    if answer.publisher_ico is not None and answer.publisher_ico != expected.publisher_ico:
        raise refused(
            f"Odpověď uvádí jako zveřejňující subjekt IČO {answer.publisher_ico}, kraj má {expected.publisher_ico}."
        )
    if answer.party_icos and expected.provider_ico not in answer.party_icos:
        raise refused(f"Poskytovatel (IČO {expected.provider_ico}) v odpovědi mezi smluvními stranami není.")
    if expected.attachment not in answer.attachments:
        raise refused(f"Odpověď neuvádí přílohu {expected.attachment}, kterou zpráva odeslala.")
    for name, content in expected.documents:
        algorithm, digest = answer.attachments.get(name, (None, ""))
        if not digest:
            continue  # the hash is optional in the answer
        hash_name = ALGORITHMS.get((algorithm or "sha256").lower())
        if hash_name is None:
            raise refused(f"Odpověď uvádí u přílohy {name} neznámý algoritmus hashe „{algorithm}“.")
        if hashlib.new(hash_name, content).hexdigest() != digest.lower():
            raise refused(
                f"Hash přílohy {name} v odpovědi nesouhlasí s uloženým dokumentem: "
                "registr zveřejnil jiný soubor, než jaký je uložen u smlouvy."
            )
