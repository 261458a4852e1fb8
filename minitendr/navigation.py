"""The main menu, per role. Each entry names the roles that see it; the views check access anyway."""

from __future__ import annotations

from dataclasses import dataclass

from minitendr.auth.models import Role

ALL = frozenset(Role)
OFFICIALS = frozenset({Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD})


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role]
    description: str = ""


MENU = (
    NavItem("Přehled", "home.index", ALL),
    NavItem(
        "Poptávky",
        "demands.index",
        frozenset({Role.ADMIN, Role.MINISTRY, Role.KRAJ, Role.OSPOD}),
        "Minitendry: zadání, zveřejnění, dotazy a stav hodnocení.",
    ),
    NavItem(
        "Minitendry",
        "demands.index",
        frozenset({Role.PROVIDER}),
        "Minitendry, do kterých jste pozváni: otevřené nahoře, s časem do konce lhůty.",
    ),
    NavItem(
        "Dílčí smlouvy",
        "contracts.index",
        ALL,
        "Zadané služby: čerpání po měsících, dodatky, dokončení a registr smluv.",
    ),
    NavItem(
        "Čerpání",
        "reports.spend",
        ALL,
        "Přehled čerpání podle krajů, ORP, kategorií a poskytovatelů; export do Excelu a CSV.",
    ),
    NavItem(
        "Rámcové smlouvy",
        "frameworks.index",
        ALL,
        "Rámcové smlouvy krajů, jejich smluvní strany, finanční stropy a čerpání.",
    ),
    NavItem("Poskytovatelé", "providers.index", OFFICIALS, "Registr poskytovatelů služeb a jejich IČO."),
    NavItem("Číselníky", "registry.kraje", ALL, "Kraje a ORP, kategorie a typy služeb s měrnými jednotkami."),
    NavItem(
        "Uživatelé", "users.index", frozenset({Role.ADMIN}), "Účty, role a jejich vazba na kraj, ORP či poskytovatele."
    ),
    NavItem("E-maily", "outbox.index", frozenset({Role.ADMIN}), "Fronta odchozích e-mailů a stav jejich odeslání."),
)


def navigation(user) -> list[NavItem]:
    """The menu entries ``user`` may use (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in MENU if user.role in item.roles]
