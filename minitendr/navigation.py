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


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role]
    description: str = ""


MENU = (
    NavItem("Přehled", "home.index", EVERYONE),
    NavItem("Poptávky", "demands.index", OFFICIALS, "Minitendry: zadání, zveřejnění, dotazy a stav hodnocení."),
    NavItem(
        "Minitendry",
        "demands.index",
        PROVIDERS,
        "Minitendry, do kterých jste pozváni: otevřené nahoře, s časem do konce lhůty.",
    ),
    NavItem(
        "Dílčí smlouvy",
        "contracts.index",
        EVERYONE,
        "Zadané služby: čerpání po měsících, dodatky, dokončení a registr smluv.",
    ),
    NavItem(
        "Čerpání",
        "reports.spend",
        EVERYONE,
        "Přehled čerpání podle krajů, ORP, kategorií a poskytovatelů; export do Excelu a CSV.",
    ),
    NavItem(
        "Síť služeb",
        "network.index",
        NETWORK_READERS,
        "Mapa ORP: služby v katalogu, krajský model sítě, minitendry a mezery podle oblastí potřeb.",
    ),
    NavItem(
        "Rámcové smlouvy",
        "frameworks.index",
        EVERYONE,
        "Rámcové smlouvy krajů, jejich smluvní strany, finanční stropy a čerpání.",
    ),
    NavItem("Poskytovatelé", "providers.index", OFFICIALS, "Registr poskytovatelů služeb a jejich IČO."),
    NavItem("Číselníky", "registry.kraje", EVERYONE, "Kraje a ORP, kategorie a typy služeb s měrnými jednotkami."),
    NavItem("Uživatelé", "users.index", REGISTER_KEEPERS, "Účty, role a jejich vazba na kraj, ORP či poskytovatele."),
    NavItem("E-maily", "outbox.index", REGISTER_KEEPERS, "Fronta odchozích e-mailů a stav jejich odeslání."),
    NavItem(
        "Auditní záznam", "audit.index", AUDIT_READERS, "Kdo co kdy změnil: události podle objektu, uživatele a data."
    ),
)


def navigation(user) -> list[NavItem]:
    """The menu entries ``user`` may use (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in MENU if user.role in item.roles]
