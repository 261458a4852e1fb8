"""The kraj's templates of the sub-contract and amendment documents: Jinja in a sandbox.

A kraj official writes the template; OSPOD's award renders it. The template sees only the documented
variables below, as plain values (strings, numbers, lists, dictionaries) built here — never a model
object, through which ``subcontract.demand.case_reference`` or a need description could be reached.
The sandbox refuses private attributes (``''.__class__``) and changes to the values; an unknown
variable is an error, not an empty string, so a typo shows when the template is saved.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from minitendr import formatting
from minitendr.db import DomainError
from minitendr.money import to_money

MAX_TEMPLATE_CHARS = 50_000
# A rendered document larger than this is a runaway loop, not a contract.
MAX_OUTPUT_CHARS = 500_000
DEFAULT_PAYMENT_TERMS = (
    "Poskytovatel fakturuje jednou měsíčně podle čerpání potvrzeného objednatelem; faktura je splatná "
    "do 30 dnů od doručení. Cena je pevná po celou dobu plnění."
)

# The variables a template may use, with what they mean (shown on the template form).
VARIABLES: dict[str, str] = {
    "number": "číslo dílčí smlouvy (DS-…)",
    "demand_number": "číslo minitendru, z něhož smlouva vzešla",
    "signed_on": "datum uzavření",
    "orderer": "objednatel: orderer.name, orderer.orp, orderer.kraj",
    "provider": "poskytovatel: provider.name, provider.ico, provider.address, provider.legal_form",
    "framework": "rámcová smlouva: framework.number, framework.title, framework.valid_from, framework.valid_to",
    "subject": "předmět plnění (typ služby, rozsah a jednotka)",
    "service_type": "typ služby: service_type.code, service_type.name, service_type.legal_basis",
    "category": "kategorie služeb",
    "needs_areas": "oblasti potřeb (seznam)",
    "units": "počet jednotek",
    "unit": "jednotka (např. hodina)",
    "unit_price": "cena za jednotku bez DPH",
    "value": "hodnota bez DPH",
    "vat_rate": "sazba DPH v %",
    "vat": "DPH",
    "value_with_vat": "hodnota včetně DPH",
    "start_date": "začátek plnění",
    "end_date": "konec plnění",
    "payment_terms": "platební podmínky rámcové smlouvy",
    "signatures": "podpisový blok obou stran (HTML)",
    "amendment": (
        "jen v dodatku: amendment.seq, amendment.reason, amendment.consent_on, amendment.old_value, "
        "amendment.new_value, amendment.old_units, amendment.new_units, amendment.old_end_date, "
        "amendment.new_end_date, amendment.changes (seznam změn)"
    ),
}


@dataclass(frozen=True)
class Terms:
    """What a contract document states, gathered from the sub-contract (no case data in it)."""

    number: str
    demand_number: str
    signed_on: dt.date
    orp_name: str
    kraj_name: str
    provider_name: str
    provider_ico: str
    provider_address: str
    provider_legal_form: str
    framework_number: str
    framework_title: str
    framework_valid_from: dt.date
    framework_valid_to: dt.date
    service_type_code: str
    service_type_name: str
    service_type_legal_basis: str
    category: str
    needs_areas: tuple[str, ...]
    units: Decimal
    unit: str
    unit_price: Decimal
    value: Decimal
    vat_rate: int
    start_date: dt.date
    end_date: dt.date
    payment_terms: str


@dataclass(frozen=True)
class AmendmentTerms:
    seq: int
    reason: str
    consent_on: dt.date
    old_value: Decimal
    new_value: Decimal
    old_units: Decimal
    new_units: Decimal
    old_end_date: dt.date
    new_end_date: dt.date


def context(terms: Terms, amendment: AmendmentTerms | None = None) -> dict[str, Any]:
    """The template's variables: formatted Czech strings, plain lists and dictionaries."""
    vat = to_money(terms.value * terms.vat_rate / 100)
    orderer = f"OSPOD {terms.orp_name}"
    values: dict[str, Any] = {
        "number": terms.number,
        "demand_number": terms.demand_number,
        "signed_on": formatting.date(terms.signed_on),
        "orderer": {"name": orderer, "orp": terms.orp_name, "kraj": terms.kraj_name},
        "provider": {
            "name": terms.provider_name,
            "ico": terms.provider_ico,
            "address": terms.provider_address,
            "legal_form": terms.provider_legal_form,
        },
        "framework": {
            "number": terms.framework_number,
            "title": terms.framework_title,
            "valid_from": formatting.date(terms.framework_valid_from),
            "valid_to": formatting.date(terms.framework_valid_to),
        },
        "subject": f"{terms.service_type_name}, {formatting.number(terms.units, 2)} × {terms.unit}",
        "service_type": {
            "code": terms.service_type_code,
            "name": terms.service_type_name,
            "legal_basis": terms.service_type_legal_basis,
        },
        "category": terms.category,
        "needs_areas": list(terms.needs_areas),
        "units": formatting.number(terms.units, 2),
        "unit": terms.unit,
        "unit_price": formatting.money(terms.unit_price),
        "value": formatting.money(terms.value),
        "vat_rate": terms.vat_rate,
        "vat": formatting.money(vat),
        "value_with_vat": formatting.money(terms.value + vat),
        "start_date": formatting.date(terms.start_date),
        "end_date": formatting.date(terms.end_date),
        "payment_terms": terms.payment_terms,
        "signatures": _signatures(orderer, terms.provider_name),
        "amendment": None,
    }
    if amendment is not None:
        values["amendment"] = _amendment(amendment)
    return values


def _amendment(a: AmendmentTerms) -> dict[str, Any]:
    changes = []
    if a.old_value != a.new_value:
        changes.append(f"hodnota bez DPH se mění z {formatting.money(a.old_value)} na {formatting.money(a.new_value)}")
    if a.old_units != a.new_units:
        changes.append(
            f"počet jednotek se mění z {formatting.number(a.old_units, 2)} na {formatting.number(a.new_units, 2)}"
        )
    if a.old_end_date != a.new_end_date:
        changes.append(f"konec plnění se mění z {formatting.date(a.old_end_date)} na {formatting.date(a.new_end_date)}")
    return {
        "seq": a.seq,
        "reason": a.reason,
        "consent_on": formatting.date(a.consent_on),
        "old_value": formatting.money(a.old_value),
        "new_value": formatting.money(a.new_value),
        "old_units": formatting.number(a.old_units, 2),
        "new_units": formatting.number(a.new_units, 2),
        "old_end_date": formatting.date(a.old_end_date),
        "new_end_date": formatting.date(a.new_end_date),
        "changes": changes,
    }


def _signatures(orderer: str, provider: str) -> Markup:
    """Two signature fields side by side (a table: it keeps its columns on paper)."""
    return Markup(
        '<table class="signatures"><tr>'
        "<td>Za objednatele<br>{}<br><br><br>…………………………………<br>podpis, datum</td>"
        "<td>Za poskytovatele<br>{}<br><br><br>…………………………………<br>podpis, datum</td>"
        "</tr></table>"
    ).format(escape(orderer), escape(provider))


SAMPLE = Terms(
    number="DS-PAK-2026-0001",
    demand_number="P-PAK-2026-0001",
    signed_on=dt.date(2026, 11, 30),
    orp_name="Pardubice",
    kraj_name="Pardubický kraj",
    provider_name="Rodinné centrum Žirafa, z.ú.",
    provider_ico="27005321",
    provider_address="Třída Míru 1, 530 02 Pardubice",
    provider_legal_form="zapsaný ústav",
    framework_number="RS-PAK-2026-01",
    framework_title="Terénní služby pro rodiny s dětmi",
    framework_valid_from=dt.date(2026, 1, 1),
    framework_valid_to=dt.date(2027, 12, 31),
    service_type_code="SAS",
    service_type_name="Sociálně aktivizační služby pro rodiny s dětmi",
    service_type_legal_basis="§ 65 zákona č. 108/2006 Sb.",
    category="Terénní a ambulantní služby pro rodiny a děti",
    needs_areas=("vztahy", "bezpečí"),
    units=Decimal("40.00"),
    unit="hodina",
    unit_price=Decimal("500.00"),
    value=Decimal("20000.00"),
    vat_rate=0,
    start_date=dt.date(2026, 12, 14),
    end_date=dt.date(2027, 6, 30),
    payment_terms=DEFAULT_PAYMENT_TERMS,
)
SAMPLE_AMENDMENT = AmendmentTerms(
    seq=1,
    reason="Rozšíření rozsahu služby.",
    consent_on=dt.date(2027, 1, 15),
    old_value=Decimal("20000.00"),
    new_value=Decimal("25000.00"),
    old_units=Decimal("40.00"),
    new_units=Decimal("50.00"),
    old_end_date=dt.date(2027, 6, 30),
    new_end_date=dt.date(2027, 6, 30),
)


class _Environment(ImmutableSandboxedEnvironment):
    """No loader (no ``include``, ``import`` or ``extends``), no globals (no ``range``, ``namespace``,
    ``lipsum``), output escaped, and an unknown name is an error."""

    # ``"x" * 10**12`` would take the server's memory before any limit on the output could apply.
    intercepted_binops = frozenset({"*", "**"})
    MAX_REPEAT: int = 10_000

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined)
        self.globals.clear()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float | Decimal) and not -100 <= float(right) <= 100:
            raise SecurityError("exponent je příliš velký")
        if operator == "*":
            for count, other in ((left, right), (right, left)):
                if isinstance(count, int) and isinstance(other, str | list | tuple) and count > _Environment.MAX_REPEAT:
                    raise SecurityError(f"opakování víc než {self.MAX_REPEAT}×")
        return super().call_binop(context, operator, left, right)


_ENVIRONMENT = _Environment()


def render(source: str, variables: dict[str, Any], field: str = "contract_template") -> str:
    """The template's HTML; a DomainError at ``field`` saying in Czech what is wrong with it."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise DomainError(f"Šablona je příliš dlouhá (nejvýše {MAX_TEMPLATE_CHARS:,} znaků).".replace(",", " "), field)
    try:
        html = _ENVIRONMENT.from_string(source).render(variables)
    except jinja2.TemplateSyntaxError as error:
        raise DomainError(f"Chyba v zápisu šablony na řádku {error.lineno}: {_syntax(error)}", field) from error
    except SecurityError as error:
        raise DomainError(f"Šablona sahá na něco, co jí není dovoleno: {error}", field) from error
    except jinja2.UndefinedError as error:
        names = re.findall(r"'([^']*)'", error.message or "")
        unknown = f" „{names[-1]}“" if names else ""
        raise DomainError(
            f"Šablona používá neznámou proměnnou nebo vlastnost{unknown}. Dovolené proměnné: {', '.join(VARIABLES)}.",
            field,
        ) from error
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise DomainError(f"Šablonu nelze vyplnit: {error}", field) from error
    if len(html) > MAX_OUTPUT_CHARS:
        raise DomainError("Vyplněná šablona je příliš dlouhá; zkontrolujte cykly v ní.", field)
    return html


def _syntax(error: jinja2.TemplateSyntaxError) -> str:
    """What Jinja's (English) message means, in Czech."""
    message = error.message or ""
    if "end of template" in message:
        return "šablona skončila uprostřed bloku; chybí jeho konec ({% endif %}, {% endfor %} …) nebo }}."
    if message.startswith("Encountered unknown tag"):
        return "neznámá značka {% … %}; dovolené jsou if, elif, else, for a set."
    return "neplatný výraz nebo značka; zkontrolujte závorky {{ … }} a {% … %} a uvozovky."


def check(source: str, field: str, *, amendment: bool) -> None:
    """Render ``source`` with the sample values: a template that passes renders for every contract
    (every contract has the same variables, filled in the same way)."""
    if not source.strip():
        raise DomainError("Šablona je prázdná; smažte ji celou, chcete-li výchozí šablonu.", field)
    render(source, context(SAMPLE, SAMPLE_AMENDMENT if amendment else None), field)
