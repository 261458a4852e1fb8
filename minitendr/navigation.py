"""The main menu, per role. Each entry names the roles that see it (the named sets of
``minitendr.permissions``); the views check access anyway."""

from __future__ import annotations

from dataclasses import dataclass

from minitendr.auth.models import Role
from minitendr.permissions import AUDIT_READERS, EVERYONE, OFFICIALS, REGISTER_KEEPERS

PROVIDERS = frozenset({Role.PROVIDER})  # the same list of minitenders, named as a provider sees it
# Who reads the service network's figures (``permissions.can_read_network``; tests/test_network_pages.py
# checks that the two agree).
NETWORK_READERS = frozenset({Role.MINISTRY, Role.KRAJ, Role.OSPOD})
NOTICE_READERS = frozenset({Role.KRAJ, Role.PROVIDER})  # kraj notices: who sends them, who receives them


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role]
    description: str = ""
    group: str = ""  # the menu of an area it sits in (``GROUPS``); none: a link of its own on the bar


# The areas of the bar, in order: each a drop-down menu when it has more than one entry for the user, so
# that the longest menu (the admin's) fits a 1440 px screen on one line.
AGENDA, OVERVIEWS, ADMINISTRATION = "Zakázky", "Přehledy", "Evidence a správa"
GROUPS = (AGENDA, OVERVIEWS, ADMINISTRATION)


MENU = (
    NavItem("Přehled", "home.index", EVERYONE),
    NavItem("Poptávky", "demands.index", OFFICIALS, "Minitendry: zadání, zveřejnění, dotazy a stav hodnocení.", AGENDA),
    NavItem(
        "Minitendry",
        "demands.index",
        PROVIDERS,
        "Minitendry, do kterých jste pozváni: otevřené nahoře, s časem do konce lhůty.",
        AGENDA,
    ),
    NavItem(
        "Dílčí smlouvy",
        "contracts.index",
        EVERYONE,
        "Zadané služby: čerpání po měsících, dodatky, dokončení a registr smluv.",
        AGENDA,
    ),
    NavItem(
        "Čerpání",
        "reports.spend",
        EVERYONE,
        "Přehled čerpání podle krajů, ORP, kategorií a poskytovatelů; export do Excelu a CSV.",
        OVERVIEWS,
    ),
    NavItem(
        "Síť služeb",
        "network.index",
        NETWORK_READERS,
        "Mapa ORP: služby v katalogu, krajský model sítě, minitendry a mezery podle oblastí potřeb.",
        OVERVIEWS,
    ),
    NavItem(
        "Rámcové smlouvy",
        "frameworks.index",
        EVERYONE,
        "Rámcové smlouvy krajů, jejich smluvní strany, finanční stropy a čerpání.",
        AGENDA,
    ),
    NavItem(
        "Poskytovatelé", "providers.index", OFFICIALS, "Registr poskytovatelů služeb a jejich IČO.", ADMINISTRATION
    ),
    NavItem(
        "Číselníky",
        "registry.kraje",
        EVERYONE,
        "Kraje a ORP, kategorie a typy služeb s měrnými jednotkami.",
        ADMINISTRATION,
    ),
    NavItem(
        "Uživatelé",
        "users.index",
        REGISTER_KEEPERS,
        "Účty, role a jejich vazba na kraj, ORP či poskytovatele.",
        ADMINISTRATION,
    ),
    NavItem(
        "E-maily", "outbox.index", REGISTER_KEEPERS, "Fronta odchozích e-mailů a stav jejich odeslání.", ADMINISTRATION
    ),
    NavItem(
        "Oznámení kraje",
        "notices.index",
        NOTICE_READERS,
        "Oznámení kraje smluvním stranám rámcových smluv.",
        AGENDA,
    ),
    NavItem(
        "Auditní záznam",
        "audit.index",
        AUDIT_READERS,
        "Kdo co kdy změnil: události podle objektu, uživatele a data.",
        ADMINISTRATION,
    ),
)


def navigation(user) -> list[NavItem]:
    """The menu entries ``user`` may use (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in MENU if user.role in item.roles]


@dataclass(frozen=True)
class NavGroup:
    """An area of the bar: one link (``items`` of one) or a drop-down menu named ``label``."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def endpoints(self) -> set[str]:
        return {item.endpoint for item in self.items}


def menu(user) -> list[NavGroup]:
    """The bar for ``user``: the entries of no area each on their own, then each area (a drop-down when
    it holds more than one entry), in the order of ``GROUPS``."""
    items = navigation(user)
    bar = [NavGroup(item.label, (item,)) for item in items if not item.group]
    for group in GROUPS:
        members = tuple(item for item in items if item.group == group)
        if members:
            bar.append(NavGroup(members[0].label if len(members) == 1 else group, members))
    return bar
