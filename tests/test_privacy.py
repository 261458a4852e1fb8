"""The birth-number guard: every spelling of a real birth number is refused, ordinary text with phone
numbers, IČO, dates, amounts, case references and bank accounts is not."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from minitendr.db import DomainError, db
from minitendr.demands.models import Demand
from minitendr.privacy import BIRTH_NUMBER_MESSAGE, find_birth_number, is_birth_number, required_text
from minitendr.providers.ico import check_digit
from tests.factories import demand_form, make_framework

# Generated birth dates end before any day the suite may run on: a future birth is no birth number.
LAST_BIRTH = dt.date(2025, 12, 31)


# --- the rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("0151011234", True),  # a girl born 1. 1. 2001 (month + 50), divisible by 11
        ("0151011235", False),  # the same with a wrong check digit
        ("535123456", True),  # nine digits: a woman born 23. 1. 1953
        ("855123456", False),  # nine digits after 1953 do not exist
        ("0422151235", True),  # month + 20, since 2004
        ("0322150004", False),  # month + 20 before 2004 does not exist
        ("0472150008", True),  # month + 70 (a girl), since 2004
        ("5402300002", False),  # 30 February
        ("0002290002", True),  # 29 February 2000, a leap year
        ("8001010040", True),  # 1980: remainder 10 and check digit 0, the rule before 1985
        ("9001010030", False),  # ... which ended with 1985
        ("3001010001", False),  # a birth in 2030 has not happened yet
        ("1213140005", False),  # month 13 is no month
    ],
)
def test_the_real_rules_decide(digits, valid):
    assert is_birth_number(digits, today=dt.date(2026, 11, 23)) is valid


# --- spellings that got through -------------------------------------------------------------------
DISGUISED = [
    "015101-1234",
    "01 51 01/1234",
    "015101/12 34",
    "015101.1234",
    "01.51.01/1234",
    "015101\\1234",
    "015101_1234",
    "015101–1234",  # en dash
    "0151\u200b01/1234",  # zero-width space
    "015101\u00a01234",  # non-breaking space
    "01\u00a0510\u00a011234",  # non-breaking spaces where a birth number has no break
    "０１５１０１／１２３４",  # full-width digits and slash
    "015101 / 1234",
]


@pytest.mark.parametrize("spelling", DISGUISED)
def test_a_disguised_birth_number_is_found(spelling):
    text = f"Dítě {spelling} žije s matkou."
    assert find_birth_number(text) == spelling.strip()


@pytest.mark.parametrize(
    "text",
    [
        "Dítě č. 2. 015101/1234 z téže rodiny",  # after a numbered item
        "Sourozenci 015101/1234 015102/1231",  # several in a row
        "spis 12 015101/1234",  # after another number
        "tel. +420 777 123 456 015101/1234",  # after a phone number
    ],
)
def test_a_birth_number_next_to_other_numbers_is_found(text):
    assert find_birth_number(text) == "015101/1234"


ORDINARY = [
    "Volejte +420 777 123 456 nebo 777123456.",
    "Pevná linka +420 466 012 345, také 466 012 345 nebo +420466012345.",
    "Z ciziny 00420 221012345.",
    "IČO 26742101, DIČ CZ26742101.",
    "Od 1. 5. 2026 do 2026-06-30, podpis 01.05.2026.",
    "Termín 15. 06. 2026 – 01. 07. 2026 nebo 1. 1. 2026 – 31. 12. 2026.",
    "Cena 1 234 567,00 Kč, tj. 1\u00a0234\u00a0567 Kč bez DPH.",
    "Spisová značka OSPOD/2026/123, OSPOD-PA-2026/117.",
    "Účet 123456789/0800, 19-2000145399/0800 nebo 5105011234/0800.",
    "PSČ 530 02, č. p. 1234, schůzka 1. 5. 2026 v 10.30.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_not_a_birth_number(text):
    assert find_birth_number(text) is None


def test_required_text_refuses_a_disguised_birth_number_at_its_field():
    with pytest.raises(DomainError, match="rodného čísla") as refused:
        required_text("Vyřazeno: dítě 01 51 01/1234", "reason", "Uveďte důvod.")
    assert refused.value.field == "reason"


# --- generated ------------------------------------------------------------------------------------
@st.composite
def birth_numbers(draw) -> str:
    """A valid birth number: nine digits before 1954, ten since, every month offset its era allows."""
    if draw(st.booleans()):
        born = draw(st.dates(dt.date(1900, 1, 1), dt.date(1953, 12, 31)))
        offset = draw(st.sampled_from([0, 50]))
        return f"{born:%y}{born.month + offset:02d}{born:%d}{draw(st.integers(0, 999)):03d}"
    born = draw(st.dates(dt.date(1954, 1, 1), LAST_BIRTH))
    offset = draw(st.sampled_from([0, 50, 20, 70] if born.year >= 2004 else [0, 50]))
    first_nine = f"{born:%y}{born.month + offset:02d}{born:%d}{draw(st.integers(0, 999)):03d}"
    check = -int(first_nine) * 10 % 11
    if check == 10:
        assume(born.year < 1985)  # the old rule: remainder 10 gave a check digit 0
        check = 0
    return first_nine + str(check)


INVISIBLE = ["\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad", "\u00a0", "\u202f", "\u200e"]
FULL_WIDTH = str.maketrans("0123456789/", "０１２３４５６７８９／")


@st.composite
def spellings(draw, digits: str) -> str:
    """``digits`` written as people (or those hiding it) do."""
    date, serial = digits[:6], digits[6:]
    if draw(st.booleans()):
        inner = draw(st.sampled_from([" ", ".", ". ", "-", "/"]))
        date = inner.join([date[:2], date[2:4], date[4:]])
    if len(serial) == 4 and draw(st.booleans()):
        serial = serial[:2] + draw(st.sampled_from([" ", "\u00a0", "-"])) + serial[2:]
    separator = draw(st.sampled_from(["/", "-", " ", ".", "\\", "_", "–", "—", " / ", " - ", "\u00a0", "\u200b", ""]))
    text = date + separator + serial
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(1, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text


@st.composite
def texts_with_a_birth_number(draw) -> tuple[str, str]:
    spelling = draw(birth_numbers().flatmap(spellings))
    frame = draw(st.sampled_from(["{}", "Dítě {} z rodiny.", "RČ: {}", "(r. č. {})", "nar. {}, OSPOD", "1) {}\n2) x"]))
    return frame.format(spelling), spelling


@given(texts_with_a_birth_number())
@settings(max_examples=400, deadline=None)
def test_every_spelling_of_a_valid_birth_number_is_refused(case):
    text, spelling = case
    found = find_birth_number(text)
    assert found is not None, text
    # The whole number is reported, not a piece of it.
    assert re.sub(r"\D", "", found.translate(FULL_WIDTH)) == re.sub(r"\D", "", spelling.translate(FULL_WIDTH))


MOBILE = [*range(601, 609), *range(702, 706), *range(720, 740), *range(770, 780), *range(790, 800)]
LANDLINE = [*range(220, 230), *range(311, 328), *range(350, 360), *range(461, 470), *range(481, 495), *range(511, 520)]


@st.composite
def phone_numbers(draw) -> str:
    prefix = draw(st.sampled_from(MOBILE + LANDLINE))
    rest = f"{draw(st.integers(0, 999_999)):06d}"
    spaced = f"{prefix} {rest[:3]} {rest[3:]}"
    formats = [f"+420 {spaced}", spaced, f"+420{prefix}{rest}", f"00420 {spaced}"]
    if prefix in MOBILE:
        # Mobile numbers (60x, 7xx) are no date of a nine-digit birth number, written however.
        formats.append(f"{prefix}{rest}")
    return draw(st.sampled_from(formats))


@st.composite
def icos(draw) -> str:
    first_seven = f"{draw(st.integers(0, 9_999_999)):07d}"
    return first_seven + str(check_digit(first_seven))


@st.composite
def dates(draw) -> str:
    def one(day: dt.date, style: str) -> str:
        return {
            "cz": f"{day.day}. {day.month}. {day.year}",
            "cz0": f"{day:%d. %m. %Y}",
            "dots": f"{day:%d.%m.%Y}",
            "iso": day.isoformat(),
        }[style]

    style = draw(st.sampled_from(["cz", "cz0", "dots", "iso"]))
    first = draw(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
    if draw(st.booleans()):
        return one(first, style)
    last = first + dt.timedelta(days=draw(st.integers(1, 400)))
    return f"{one(first, style)}{draw(st.sampled_from([' – ', '–', ' - ', '-']))}{one(last, style)}"


@st.composite
def amounts(draw) -> str:
    value = draw(st.decimals(Decimal("0.01"), Decimal("99999999.99"), places=2))
    whole, cents = f"{value:,.2f}".split(".")
    grouping = draw(st.sampled_from([" ", "\u00a0", ""]))
    return f"{whole.replace(',', grouping)},{cents} Kč"


@st.composite
def bank_accounts(draw) -> str:
    # A six-digit account number and its bank code can spell a real birth number, and then it is one.
    number = str(draw(st.integers(1_000_000, 9_999_999_999)))
    prefix = draw(st.sampled_from(["", "19-", "000019-", "35-"]))
    return f"{prefix}{number}/{draw(st.sampled_from(['0100', '0300', '0800', '2010', '5500', '6100']))}"


@st.composite
def case_references(draw) -> str:
    year, seq = draw(st.integers(2000, 2035)), draw(st.integers(1, 99_999))
    return draw(st.sampled_from([f"OSPOD/{year}/{seq}", f"OSPOD-PA-{year}/{seq}", f"Sp. zn. {seq}/{year}"]))


ORDINARY_PART = st.one_of(phone_numbers(), icos(), dates(), amounts(), bank_accounts(), case_references())
WORDS = st.sampled_from([", ", " a ", "; tel. ", "\n", " – částka ", ". Další schůzka ", " (IČO ", ") "])


@given(st.lists(st.tuples(ORDINARY_PART, WORDS), min_size=1, max_size=6))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ordinary_text_with_numbers_is_accepted(parts):
    text = "Rodina " + "".join(part + words for part, words in parts)
    assert find_birth_number(text) is None, text


# --- in the forms ---------------------------------------------------------------------------------
def field_error(page: str, field: str) -> str | None:
    """The error message the field ``field`` points at (``aria-describedby``, Bootstrap's invalid-feedback)."""
    if not re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page):
        return None
    match = re.search(rf'<div class="invalid-feedback[^"]*" id="{field}-error">([^<]*)</div>', page)
    return match.group(1).strip() if match else None


@pytest.mark.usefixtures("monday")
@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("case_reference", "Novák 015101-1234"),
        ("need_description", "Dívka (01 51 01/1234) nechodí do školy."),
        ("expected_outcome", "Návrat dítěte 015101/12 34 domů."),
        ("place", "u ０１５１０１／１２３４"),
        ("contact_name", "Jana 0151\u200b01\u00a01234"),
    ],
)
def test_a_demand_form_with_a_disguised_birth_number_is_refused_at_the_field(login, personas, kraj_pak, field, text):
    make_framework(kraj_pak, providers=[personas.provider.provider])
    response = login(personas.ospod).post("/demands/new", data=demand_form(**{field: text}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_error(page, field) == BIRTH_NUMBER_MESSAGE
    assert db.session.scalar(sa.select(sa.func.count(Demand.id))) == 0


@pytest.mark.usefixtures("monday")
def test_a_demand_form_with_phone_numbers_dates_and_amounts_is_accepted(login, personas, kraj_pak):
    make_framework(kraj_pak, providers=[personas.provider.provider])
    description = (
        "Matka (tel. 777 123 456) žádá podporu od 1. 12. 2026; otec platí 3 500,00 Kč měsíčně "
        "na účet 123456789/0800. Škola IČO 70981337, spis OSPOD/2026/123."
    )
    response = login(personas.ospod).post("/demands/new", data=demand_form(need_description=description))
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "need_description")
    assert db.session.execute(sa.select(Demand)).scalar_one().need_description == description
