"""The ISRS 1.2 ``zverejneni`` message: one sub-contract or amendment as the register of contracts
reads it, built from the same rows the application shows and checked against the official schema
(``schemas/operace_zverejneni.xsd``) before anyone downloads it.

The kraj publishes (``subjekt``; it pays), the provider is the other party (``smluvniStrana``; it
receives the money). The amounts are the contract's own: an amendment changes the contract from its
date on, so the contract's message carries its value as signed and each amendment's message the value
it set, linked to the contract's record (``navazanyZaznam``)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema

from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import DomainError
from minitendr.documents import service as documents
from minitendr.money import to_money
from minitendr.registry.models import Kraj

NAMESPACE = "http://portal.gov.cz/rejstriky/ISRS/1.2/"
SCHEMAS = Path(__file__).parent / "schemas"
TEXT_LIMIT = 255  # tText: what the register takes in a name, an address, a subject


@cache
def schema(name: str) -> xmlschema.XMLSchema:
    """One of the official schemas (``operace_zverejneni.xsd``, ``odpoved_zverejneni.xsd``), loaded once."""
    return xmlschema.XMLSchema(str(SCHEMAS / name))


# --- names: one place, so that the message, the ZIP and the documents agree -------------------------
def contract_document_name(subcontract: SubContract) -> str:
    """The file name of the sub-contract's PDF, as the documents feature stores it."""
    return documents.contract_file_name(subcontract)


def amendment_number(amendment: Amendment) -> str:
    """The amendment's number in the register (``cisloSmlouvy``): the contract's number and its place."""
    return f"{amendment.subcontract.number}/D{amendment.seq}"


def amendment_document_name(amendment: Amendment) -> str:
    """The file name of the amendment's PDF, as the documents feature stores it."""
    return documents.amendment_file_name(amendment)


def message_file_name(number: str) -> str:
    return f"zverejneni-{number.replace('/', '-')}.xml"


@dataclass(frozen=True)
class Message:
    """A message ready to send: its file name, its bytes, and the files it names as attachments
    (they travel in the same data message, so the ZIP carries them beside it)."""

    file_name: str
    xml: bytes
    attachments: tuple[str, ...]


# --- the parties ---------------------------------------------------------------------------------
def _text(value: str, what: str) -> str:
    value = " ".join(value.split())
    if len(value) > TEXT_LIMIT:
        raise DomainError(f"{what} má {len(value)} znaků; registr smluv jich přijme nejvýše {TEXT_LIMIT}.")
    return value


def _publisher(kraj: Kraj) -> ET.Element:
    missing = [
        label
        for label, value in (
            ("ID datové schránky", kraj.data_box),
            ("úřední název", kraj.official_name),
            ("IČO", kraj.ico),
            ("adresa", kraj.address),
        )
        if not value
    ]
    if missing:
        raise DomainError(
            f"Zprávu pro registr smluv nelze sestavit: {kraj.name} nemá vyplněno {', '.join(missing)}. "
            "Doplní je správce systému nebo krajský úřad v číselníku krajů (Údaje pro registr smluv)."
        )
    subjekt = ET.Element("subjekt")
    _add(subjekt, "datovaSchranka", kraj.data_box)
    _add(subjekt, "nazev", _text(kraj.official_name, "Úřední název kraje"))
    _add(subjekt, "ico", kraj.ico)
    _add(subjekt, "adresa", _text(kraj.address, "Adresa kraje"))
    _add(subjekt, "platce", "true")  # the kraj pays for the service
    return subjekt


def _provider(subcontract: SubContract) -> ET.Element:
    provider = subcontract.provider
    strana = ET.Element("smluvniStrana")
    if provider.data_box:
        _add(strana, "datovaSchranka", provider.data_box)
    _add(strana, "nazev", _text(provider.name, "Název poskytovatele"))
    _add(strana, "ico", provider.ico)
    if provider.address.strip():
        _add(strana, "adresa", _text(provider.address, "Sídlo poskytovatele"))
    _add(strana, "prijemce", "true")  # the provider receives the payment
    return strana


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def _amount(value: Decimal) -> str:
    return str(to_money(value))


def with_vat(value: Decimal, vat_rate: int) -> Decimal:
    """The value with VAT at the rate of the winning bid (0 % for a provider that is no VAT payer)."""
    return to_money(value * (100 + vat_rate) / 100)


def _subject(subcontract: SubContract) -> str:
    return (
        f"{subcontract.service_type.name} – dílčí smlouva k rámcové smlouvě {subcontract.framework.number} "
        f"({subcontract.orp.name})"
    )


# --- the messages --------------------------------------------------------------------------------
def signed_value(subcontract: SubContract) -> Decimal:
    """The value the contract was signed for: before its first amendment, if any."""
    return subcontract.amendments[0].old_value if subcontract.amendments else subcontract.value


def _build(
    subcontract: SubContract,
    *,
    subject: str,
    concluded_on: dt.date,
    number: str,
    value: Decimal,
    attachment: str,
    linked_record: str | None = None,
) -> Message:
    root = ET.Element("zverejneni", xmlns=NAMESPACE)
    smlouva = ET.SubElement(root, "smlouva")
    smlouva.append(_publisher(subcontract.orp.kraj))
    smlouva.append(_provider(subcontract))
    _add(smlouva, "predmet", subject[:TEXT_LIMIT])
    _add(smlouva, "datumUzavreni", concluded_on.isoformat())
    _add(smlouva, "cisloSmlouvy", number)
    _add(smlouva, "hodnotaBezDph", _amount(value))
    _add(smlouva, "hodnotaVcetneDph", _amount(with_vat(value, subcontract.vat_rate)))
    if linked_record is not None:
        _add(smlouva, "navazanyZaznam", linked_record)
    prilohy = ET.SubElement(root, "prilohy")
    _add(ET.SubElement(prilohy, "priloha"), "nazevSouboru", attachment)
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    # A message the register would refuse is a fault of ours, not something to hand over.
    schema("operace_zverejneni.xsd").validate(xml.decode("utf-8"))
    return Message(file_name=message_file_name(number), xml=xml, attachments=(attachment,))


def ensure_publishable(subcontract: SubContract) -> None:
    """Only a contract over 50 000 Kč without VAT goes to the register (the view answers 404 otherwise)."""
    if not subcontract.requires_registry:
        raise LookupError(subcontract.number)


def subcontract_message(subcontract: SubContract) -> Message:
    """The ``zverejneni`` message of the sub-contract as signed. ``LookupError`` when it needs no
    publishing; ``DomainError`` (a Czech message) when something it must carry is missing."""
    ensure_publishable(subcontract)
    return _build(
        subcontract,
        subject=_subject(subcontract),
        concluded_on=subcontract.signed_on,
        number=subcontract.number,
        value=signed_value(subcontract),
        attachment=contract_document_name(subcontract),
    )


def amendment_message(amendment: Amendment) -> Message:
    """The ``zverejneni`` message of an amendment, linked to the contract's record. ``LookupError``
    when it needs no publishing; ``DomainError`` while the contract itself is not published."""
    if not amendment.requires_registry:
        raise LookupError(amendment_number(amendment))
    subcontract = amendment.subcontract
    if subcontract.registry_id is None:
        raise DomainError(
            f"Dodatek č. {amendment.seq} lze zveřejnit až po zveřejnění dílčí smlouvy {subcontract.number}: "
            "zveřejněte nejdřív ji a zaznamenejte její ID v registru smluv (navazanyZaznam)."
        )
    return _build(
        subcontract,
        subject=f"Dodatek č. {amendment.seq}: {_subject(subcontract)}",
        concluded_on=amendment.consent_on,
        number=amendment_number(amendment),
        value=amendment.new_value,
        attachment=amendment_document_name(amendment),
        linked_record=subcontract.registry_id,
    )


# --- the ZIP the kraj sends through its data box ---------------------------------------------------
Attachment = tuple[str, bytes]


def attachments_for(subcontract: SubContract) -> list[Attachment]:
    """The sub-contract's PDF, which the message names, as (file name, bytes): issued from the
    framework's template the first time it is asked for, the stored bytes ever after."""
    document = documents.contract_pdf(subcontract)
    return [(document.file_name, documents.read(document))]


def amendment_attachments_for(amendment: Amendment) -> list[Attachment]:
    """The amendment's PDF, which its message names (see ``attachments_for``)."""
    document = documents.amendment_pdf(amendment)
    return [(document.file_name, documents.read(document))]


def build_zip(message: Message, attachments: list[Attachment]) -> bytes:
    """The message and its attachments in one ZIP, the files side by side. Only files the message
    names may travel with it (the register pairs them by name)."""
    unnamed = sorted({name for name, _content in attachments} - set(message.attachments))
    if unnamed:
        raise ValueError(f"the message does not name {unnamed}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(message.file_name, message.xml)
        for name, content in attachments:
            archive.writestr(name, content)
    return buffer.getvalue()
