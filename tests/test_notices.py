"""Kraj notices: a kraj official writes to the parties of a framework (or of every framework of a
category in the kraj); their provider users get it on the start page and by e-mail through the
outbox; opening it is the read receipt the kraj sees per provider. Another kraj neither sends to these
frameworks nor reads the notices, and a provider of another framework receives nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from minitendr.audit.models import AuditEvent
from minitendr.auth.models import Role
from minitendr.db import DomainError, db
from minitendr.notices import service
from minitendr.notices.models import Notice, NoticeRecipient
from minitendr.notifications.models import Notification, OutboxEmail
from minitendr.registry.models import ServiceCategory
from tests.factories import ProviderFactory, UserFactory, make_framework, message_at

pytestmark = pytest.mark.usefixtures("monday")


@pytest.fixture
def setting(personas, kraj_pak, kraj_kvk):
    """Two frameworks of Pardubický kraj: terénní (the persona provider and a second provider with two
    accounts) and pobytové (a third provider); a framework of Karlovarský kraj with the interloper."""
    second = ProviderFactory(name="Druhý, z.ú.")
    third = ProviderFactory(name="Třetí, o.p.s.")
    users = {
        "second_a": UserFactory(email="druhy.a@test.cz", role=Role.PROVIDER, provider=second),
        "second_b": UserFactory(email="druhy.b@test.cz", role=Role.PROVIDER, provider=second),
        "second_gone": UserFactory(email="druhy.c@test.cz", role=Role.PROVIDER, provider=second, active=False),
        "third": UserFactory(email="treti@test.cz", role=Role.PROVIDER, provider=third),
    }
    return {
        "terenni": make_framework(kraj_pak, "terenni", [personas.provider.provider, second]),
        "pobytove": make_framework(kraj_pak, "pobytove", [third]),
        "kvk": make_framework(kraj_kvk, "terenni", [personas.interloper.provider]),
        **users,
    }


def category(code: str) -> ServiceCategory:
    return db.session.scalars(sa.select(ServiceCategory).where(ServiceCategory.code == code)).one()


def error_at(page: str, field: str) -> str | None:
    """The message at a field of the refused form (also a select), None when it has none."""
    match = re.search(rf'id="{field}-error">([^<]*)<', page)
    return match.group(1).strip() if match else None


def send_form(client, **data):
    return client.post("/notices/new", data={"subject": "", "body": "", "framework": "", "category": ""} | data)


def test_kraj_sends_a_notice_to_the_parties_of_a_framework(login, personas, setting):
    client = login(personas.kraj)
    response = send_form(
        client, framework=setting["terenni"].id, subject="Změna kontaktů", body="Nový kontakt: kraj@pak.cz."
    )
    assert response.status_code == 302
    notice = db.session.scalars(sa.select(Notice)).one()
    recipients = {r.user.email for r in notice.recipients}
    assert recipients == {personas.provider.email, "druhy.a@test.cz", "druhy.b@test.cz"}
    # In the application and by e-mail through the outbox, to each of them.
    emails = db.session.scalars(sa.select(OutboxEmail.recipient).where(OutboxEmail.subject.contains("Změna kontaktů")))
    assert set(emails) == recipients
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3
    assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "notice")).all() == [
        "notice.sent"
    ]


def test_a_notice_to_a_category_reaches_every_framework_of_it_in_the_kraj_only(personas, setting, kraj_pak):
    notice = service.send_notice(
        kraj_pak, personas.kraj, "Metodika", "Nová metodika hodnocení.", category=category("terenni")
    )
    got = {r.user.email for r in notice.recipients}
    assert personas.provider.email in got and "druhy.a@test.cz" in got
    assert personas.interloper.email not in got, "a party of another kraj's framework"
    assert "treti@test.cz" not in got, "a party of another category's framework"


def test_a_provider_of_another_framework_does_not_receive_it(login, personas, setting, kraj_pak):
    notice = service.send_notice(
        kraj_pak, personas.kraj, "Pobytové", "Jen pro pobytové.", framework=setting["pobytove"]
    )
    assert [r.user.email for r in notice.recipients] == ["treti@test.cz"]
    assert login(personas.provider).get(f"/notices/{notice.id}").status_code == 403
    page = login(personas.provider).get("/").get_data(as_text=True)
    assert "Pobytové" not in page


def test_the_form_needs_exactly_one_addressee_subject_and_text(login, personas, setting):
    client = login(personas.kraj)
    page = send_form(client, subject="Předmět", body="Text").get_data(as_text=True)
    assert error_at(page, "framework") == "Vyberte buď jednu rámcovou smlouvu, nebo kategorii služeb."
    page = send_form(
        client, framework=setting["terenni"].id, category=category("terenni").id, subject="Předmět", body="Text"
    ).get_data(as_text=True)
    assert error_at(page, "framework") is not None
    page = send_form(client, framework=setting["terenni"].id, body="Text").get_data(as_text=True)
    assert message_at(page, "subject") is not None
    assert re.search(r">\s*Text</textarea>", page), "what was typed stays"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_birth_number_is_refused(login, personas, setting):
    page = send_form(
        login(personas.kraj), framework=setting["terenni"].id, subject="Dítě", body="Jde o dítě 015101/1234."
    ).get_data(as_text=True)
    assert message_at(page, "body") is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_another_kraj_cannot_send_to_these_frameworks_nor_see_the_notices(login, personas, setting, kraj_pak):
    client = login(personas.kraj_other)
    page = send_form(client, framework=setting["terenni"].id, subject="Cizí", body="Cizí kraj.").get_data(as_text=True)
    assert error_at(page, "framework") is not None
    with pytest.raises(DomainError):
        service.send_notice(kraj_pak, personas.kraj_other, "Cizí", "Text", framework=setting["kvk"])
    notice = service.send_notice(kraj_pak, personas.kraj, "Naše", "Text.", framework=setting["terenni"])
    db.session.commit()
    assert client.get(f"/notices/{notice.id}").status_code == 403
    assert "Naše" not in client.get("/notices/").get_data(as_text=True)


@pytest.mark.parametrize("persona", ["ospod", "ministry", "admin", "provider"])
def test_only_a_kraj_official_sends_notices(login, personas, setting, persona):
    client = login(personas[persona])
    assert client.get("/notices/new").status_code == 403
    assert send_form(client, framework=setting["terenni"].id, subject="X", body="Y").status_code == 403


def test_the_recipient_sees_it_unread_first_and_opening_it_is_the_read_receipt(login, personas, setting, kraj_pak):
    first = service.send_notice(kraj_pak, personas.kraj, "První oznámení", "Text 1.", framework=setting["terenni"])
    second = service.send_notice(kraj_pak, personas.kraj, "Druhé oznámení", "Text 2.", framework=setting["terenni"])
    db.session.commit()
    client = login(personas.provider)
    page = client.get("/").get_data(as_text=True)
    notices = re.search(r'id="agenda-notices".*?</section>', page, re.S).group(0)
    assert 'data-count="2"' in notices
    assert notices.index("Druhé oznámení") < notices.index("První oznámení"), "the newest unread first"
    assert client.get(f"/notices/{first.id}").status_code == 200
    page = client.get("/").get_data(as_text=True)
    notices = re.search(r'id="agenda-notices".*?</section>', page, re.S).group(0)
    assert 'data-count="1"' in notices
    assert notices.index("Druhé oznámení") < notices.index("První oznámení")
    receipt = db.session.scalars(
        sa.select(NoticeRecipient).where(
            NoticeRecipient.notice_id == first.id, NoticeRecipient.user_id == personas.provider.id
        )
    ).one()
    assert receipt.read_at is not None
    # Opening it again keeps the first receipt and writes no second event.
    stamp = receipt.read_at
    client.get(f"/notices/{first.id}")
    db.session.refresh(receipt)
    assert receipt.read_at == stamp
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "notice.read")).all()
    assert len(reads) == 1 and reads[0].object_id == first.id
    assert second.id  # still unread


def test_the_kraj_sees_read_receipts_per_provider(login, personas, setting, kraj_pak):
    notice = service.send_notice(kraj_pak, personas.kraj, "Kontrola", "Text.", framework=setting["terenni"])
    db.session.commit()
    login(personas.provider).get(f"/notices/{notice.id}")
    client = login(personas.kraj)
    listing = client.get("/notices/").get_data(as_text=True)
    assert "Kontrola" in listing and "1 z 3" in listing
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "Potvrzení o přečtení" in page
    assert "Rodinné centrum Test" in page and "Druhý, z.ú." in page
    assert page.count("zatím nepřečteno") == 2
    # A recipient does not see who else read it.
    provider_page = login(personas.provider).get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "Potvrzení o přečtení" not in provider_page and "Druhý, z.ú." not in provider_page


def test_a_provider_lists_only_its_own_notices(login, personas, setting, kraj_pak):
    service.send_notice(kraj_pak, personas.kraj, "Terénní věc", "Text.", framework=setting["terenni"])
    service.send_notice(kraj_pak, personas.kraj, "Pobytová věc", "Text.", framework=setting["pobytove"])
    db.session.commit()
    page = login(personas.provider).get("/notices/").get_data(as_text=True)
    assert "Terénní věc" in page and "Pobytová věc" not in page and "nepřečteno" in page
