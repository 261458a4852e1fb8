"""The demo catalogue: services of all four sectors in every ORP of the pilot's two kraje, some ORPs
thin (one service per sector, whole needs areas uncovered), and the current framework's parties fitted
by the kraj to the ORPs they really serve. Made through the catalogue's services (checked, audited),
with a random generator of its own: the pilot's minitenders are not touched."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from minitendr import clock
from minitendr.db import db
from minitendr.frameworks.models import FrameworkContract
from minitendr.network import catalogue
from minitendr.network.models import CatalogueService, Sector, ServiceForm
from minitendr.registry.models import Kraj, Orp

SEED = 17
KRAJE = ("CZ053", "CZ041")
# Few services here, and needs areas no one meets: what the network's gaps are made of.
THIN = {"5302", "5305", "5308", "4101", "4104"}


@dataclass(frozen=True)
class Template:
    sector: Sector
    form: ServiceForm
    name: str  # {orp} is the ORP's name
    organization: str
    needs: tuple[str, ...]
    capacity: int | None = None
    unit: str = ""
    neighbours: bool = False  # serves the next ORP too


TEMPLATES = {
    Sector.SOCIALNI: (
        Template(
            Sector.SOCIALNI,
            ServiceForm.AMBULANTNI,
            "Odborné sociální poradenství {orp}",
            "Poradna pro rodinu {orp}, z.ú.",
            ("vztahy", "materialni"),
            30,
            "klientů měsíčně",
        ),
        Template(
            Sector.SOCIALNI,
            ServiceForm.AMBULANTNI,
            "Nízkoprahový klub {orp}",
            "Spolek Klub {orp}, z.s.",
            ("chovani", "uceni", "vztahy"),
            25,
            "návštěvníků denně",
        ),
        Template(
            Sector.SOCIALNI,
            ServiceForm.TERENNI,
            "Terénní program {orp}",
            "Terénní služby {orp}, o.p.s.",
            ("bezpeci", "materialni"),
            40,
            "klientů",
            True,
        ),
        Template(
            Sector.SOCIALNI,
            ServiceForm.POBYTOVA,
            "Krizové lůžko pro matky s dětmi {orp}",
            "Azylové centrum {orp}, z.ú.",
            ("bezpeci", "materialni", "vztahy"),
            6,
            "lůžek",
            True,
        ),
    ),
    Sector.ZDRAVOTNI: (
        Template(
            Sector.ZDRAVOTNI,
            ServiceForm.AMBULANTNI,
            "Dětská psychiatrická ambulance {orp}",
            "Nemocnice {orp}",
            ("zdravi", "chovani"),
            60,
            "pacientů měsíčně",
            True,
        ),
        Template(
            Sector.ZDRAVOTNI,
            ServiceForm.AMBULANTNI,
            "Klinický psycholog pro děti {orp}",
            "Psychologická ambulance {orp}, s.r.o.",
            ("zdravi", "chovani", "vztahy"),
            45,
            "pacientů měsíčně",
        ),
        Template(
            Sector.ZDRAVOTNI,
            ServiceForm.POBYTOVA,
            "Dětské oddělení nemocnice {orp}",
            "Nemocnice {orp}",
            ("zdravi", "bezpeci"),
            20,
            "lůžek",
            True,
        ),
        Template(
            Sector.ZDRAVOTNI,
            ServiceForm.TERENNI,
            "Domácí zdravotní péče o děti {orp}",
            "Home care {orp}, s.r.o.",
            ("zdravi",),
            15,
            "dětí",
        ),
    ),
    Sector.SKOLSKA: (
        Template(
            Sector.SKOLSKA,
            ServiceForm.AMBULANTNI,
            "Pedagogicko-psychologická poradna – pracoviště {orp}",
            "Pedagogicko-psychologická poradna {orp}",
            ("uceni", "chovani"),
            80,
            "klientů měsíčně",
            True,
        ),
        Template(
            Sector.SKOLSKA,
            ServiceForm.AMBULANTNI,
            "Středisko výchovné péče {orp}",
            "Středisko výchovné péče {orp}",
            ("chovani", "vztahy"),
            24,
            "klientů",
        ),
        Template(
            Sector.SKOLSKA,
            ServiceForm.AMBULANTNI,
            "Speciálně pedagogické centrum {orp}",
            "Speciálně pedagogické centrum {orp}",
            ("uceni", "zdravi"),
            50,
            "klientů",
        ),
        Template(
            Sector.SKOLSKA,
            ServiceForm.AMBULANTNI,
            "Školní poradenské pracoviště ZŠ {orp}",
            "Základní škola {orp}",
            ("uceni", "chovani"),
        ),
    ),
    Sector.JINA: (
        Template(
            Sector.JINA,
            ServiceForm.AMBULANTNI,
            "Mateřské a rodinné centrum {orp}",
            "Rodinné centrum {orp}, z.s.",
            ("vztahy",),
            30,
            "rodin týdně",
        ),
        Template(
            Sector.JINA,
            ServiceForm.AMBULANTNI,
            "Potravinová a materiální pomoc {orp}",
            "Charita {orp}",
            ("materialni",),
            120,
            "rodin měsíčně",
            True,
        ),
        Template(
            Sector.JINA,
            ServiceForm.AMBULANTNI,
            "Probační a mediační služba – středisko {orp}",
            "Probační a mediační služba ČR",
            ("chovani", "vztahy"),
        ),
        Template(
            Sector.JINA,
            ServiceForm.TERENNI,
            "Dobrovolnický program Pět P {orp}",
            "Dobrovolnické centrum {orp}, z.s.",
            ("uceni", "vztahy", "bezpeci"),
            20,
            "dětí",
        ),
    ),
}


def _slug(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _service(kraj: Kraj, orp: Orp, neighbour: Orp, template: Template) -> CatalogueService:
    organization = template.organization.format(orp=orp.name)
    return catalogue.create_service(
        kraj,
        source="demo",
        name=template.name.format(orp=orp.name),
        description="",
        sector=template.sector,
        form=template.form,
        organization=organization,
        ico="",
        needs=list(template.needs),
        orps=[orp, neighbour] if template.neighbours and neighbour.code not in THIN | {orp.code} else [orp],
        capacity=Decimal(template.capacity) if template.capacity else None,
        capacity_unit=template.unit if template.capacity else "",
        contact_email=f"info@{_slug(organization)[:40].strip('-')}.demo.cz",
        contact_phone="",
        web="",
    )


def _fit_framework_parties(kraj: Kraj, orps: list[Orp], rng: random.Random) -> int:
    """The kraj fits the entries of its current framework's parties: the ORPs each really serves
    (its seat's and a few around, never the thin ones) and a capacity."""
    fitted = 0
    entries = db.session.scalars(
        sa.select(CatalogueService)
        .join(CatalogueService.framework_party)
        .join(FrameworkContract)
        .where(CatalogueService.kraj_id == kraj.id, FrameworkContract.valid_to >= clock.today())
        .order_by(CatalogueService.id)
    ).all()
    served = [o for o in orps if o.code not in THIN]
    for entry in entries:
        address = (entry.provider.address if entry.provider else "") or ""
        seat = [o for o in served if o.name in address]
        around = rng.sample(served, k=min(len(served), rng.randint(2, 5)))
        chosen = list({o.id: o for o in seat + around}.values())
        catalogue.update_service(entry, orps=chosen, capacity=Decimal(rng.choice((10, 15, 20, 30))))
        fitted += 1
    return fitted


def seed_catalogue(kraje: Sequence[str] = KRAJE) -> dict[str, int]:
    """The demo catalogue of ``kraje`` (NUTS codes; the pilot's by default), once (a kraj that has
    services kept by hand already is left as it is)."""
    rng = random.Random(SEED)
    made = fitted = 0
    for code in kraje:
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == code)).scalar_one()
        if db.session.scalar(
            sa.select(CatalogueService.id).where(
                CatalogueService.kraj_id == kraj.id, CatalogueService.framework_party_id.is_(None)
            )
        ):
            continue
        orps = catalogue.orps_of(kraj)
        for n, orp in enumerate(orps):
            neighbour = orps[(n + 1) % len(orps)]
            for templates in TEMPLATES.values():
                chosen = templates[:1] if orp.code in THIN else rng.sample(templates, k=rng.randint(2, 3))
                for template in chosen:
                    _service(kraj, orp, neighbour, template)
                    made += 1
        fitted += _fit_framework_parties(kraj, orps, rng)
    db.session.flush()
    return {"services": made, "fitted": fitted}
