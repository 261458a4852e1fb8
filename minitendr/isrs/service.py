"""Reading the register's answer into the sub-contract or amendment it publishes. Functions flush,
never commit."""

from __future__ import annotations

from minitendr.contracts import service as contracts
from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import DomainError
from minitendr.isrs import answer as answers
from minitendr.isrs.message import (
    amendment_attachments_for,
    amendment_document_name,
    amendment_number,
    attachments_for,
    contract_document_name,
    signed_value,
)

SOURCE = "odpověď registru smluv"


def _expected(subcontract: SubContract, amendment: Amendment | None) -> answers.Expected:
    common = {"publisher_ico": subcontract.orp.kraj.ico, "provider_ico": subcontract.provider.ico}
    if amendment is None:
        return answers.Expected(
            number=subcontract.number,
            concluded_on=subcontract.signed_on,
            value=signed_value(subcontract),
            attachment=contract_document_name(subcontract),
            documents=attachments_for(subcontract),
            **common,
        )
    return answers.Expected(
        number=amendment_number(amendment),
        concluded_on=amendment.consent_on,
        value=amendment.new_value,
        attachment=amendment_document_name(amendment),
        documents=amendment_attachments_for(amendment),
        **common,
    )


def import_answer(subcontract: SubContract, data: bytes) -> Amendment | None:
    """Record the register's id, version and date of publication from its answer ``data``, on the
    sub-contract or on the amendment the answer names (returned; None for the sub-contract itself).
    Refused with a ``DomainError`` at the upload field when the file is no valid answer or describes
    anything else than what we sent."""
    answer = answers.parse(data)
    amendment = next((a for a in subcontract.amendments if amendment_number(a) == answer.number), None)
    answers.check(answer, _expected(subcontract, amendment))
    try:
        if amendment is None:
            contracts.record_registry(
                subcontract, answer.registry_id, answer.published_on, answer.version, source=SOURCE
            )
        else:
            contracts.record_amendment_registry(
                amendment, answer.registry_id, answer.published_on, answer.version, source=SOURCE
            )
    except DomainError as error:
        # Said of the file, not of fields the page does not show.
        raise answers.refused(f"Odpověď nelze zaznamenat: {error.message}") from None
    return amendment
