"""The bar's menus per area, the accessibility statement, the export page without a meta refresh, and
the page furniture every page carries (the table and print styles, the statement in the footer)."""

from __future__ import annotations

import re

import pytest

from minitendr.db import db
from minitendr.navigation import GROUPS, menu, navigation
from minitendr.reports import jobs


@pytest.mark.parametrize("persona", ["admin", "ministry", "kraj", "ospod", "provider"])
def test_the_bar_groups_the_menu_into_a_few_areas_and_loses_no_entry(personas, persona):
    user = getattr(personas, persona)
    bar = menu(user)
    assert len(bar) <= 1 + len(GROUPS)  # the start page, then an area each
    assert [item for group in bar for item in group.items] == [
        *[item for item in navigation(user) if not item.group],
        *[item for group in GROUPS for item in navigation(user) if item.group == group],
    ]


def test_the_admins_bar_has_drop_down_menus_with_every_entry(login, personas):
    page = login(personas.admin).get("/").get_data(as_text=True)
    nav = page[page.index('<nav class="navbar') : page.index("</nav>")]
    toggles = re.findall(r'data-bs-toggle="dropdown"[^>]*>([^<]+)</button>', nav)
    assert "Evidence a správa" in toggles and "Zakázky" in toggles
    for item in navigation(personas.admin):
        assert f'href="{"/" if item.endpoint == "home.index" else ""}' in nav
        assert f">{item.label}</a>" in nav
    assert nav.count('class="nav-item') <= 1 + len(GROUPS)


def test_the_active_page_is_marked_in_its_menu(login, personas):
    page = login(personas.admin).get("/admin/users/").get_data(as_text=True)
    assert re.search(r'class="dropdown-item active"\s+aria-current="page"\s+href="/admin/users/"', page)
    assert re.search(r'class="nav-link dropdown-toggle active"', page)


STATEMENT_SECTIONS = (
    "Stav souladu",
    "Nepřístupný obsah",
    "Vypracování tohoto prohlášení",
    "Zpětná vazba a kontaktní údaje",
    "Postup pro vymáhání",
)


def test_the_accessibility_statement_is_public_with_the_standard_sections(app, client):
    response = client.get("/prohlaseni-o-pristupnosti")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings == list(STATEMENT_SECTIONS)
    assert "99/2019 Sb." in page and "ČSN EN 301 549" in page
    assert f'href="mailto:{app.config["ACCESSIBILITY_CONTACT"]}"' in page


def test_every_page_links_the_statement_and_carries_the_table_script(client, login, personas):
    for page in (client.get("/login"), login(personas.kraj).get("/reports/spend")):
        html = page.get_data(as_text=True)
        footer = html[html.index("<footer") :]
        assert 'href="/prohlaseni-o-pristupnosti"' in footer
        assert '<script src="/static/tables.js" defer></script>' in html
        assert "<script>" not in html  # no inline script (CSP)


def test_the_export_page_is_polled_by_a_script_and_announced_not_refreshed(app, login, personas):
    job = jobs.start(personas.ministry, {"year": "2026"}, 20000)
    db.session.flush()
    page = login(personas.ministry).get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert "http-equiv" not in page
    assert '<script src="/static/export-progress.js" defer></script>' in page
    assert re.search(r'<p id="export-job-state" aria-live="polite"', page)
    assert f'href="/reports/jobs/{job.id}">Obnovit stav</a>' in page  # without JS: reload by hand
    assert 'data-pending="true"' in page
    job.status = job.status.__class__.DONE
    job.done_rows = 20000
    db.session.flush()
    done = login(personas.ministry).get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert 'data-pending="false"' in done and "export-progress.js" not in done and "Stáhnout soubor" in done


def test_the_stylesheet_prints_on_a4_and_stacks_tables_on_a_phone(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@page { size: A4" in css
    assert re.search(r"@media print \{[^@]*thead \{ display: table-header-group; \}", css)
    assert re.search(r"@media screen and \(max-width: 575\.98px\) \{[^@]*content: attr\(data-label\)", css)
