"""The API's idempotency under real concurrency: the same bid sent twice at the same moment with one
Idempotency-Key (a client that retried before the first answer came) is stored once, and both
requests get the same answer. Committed for real, as tests/test_races.py does (PostgreSQL: the unique
key makes the second wait for the first and then find its answer)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from minitendr.api import tokens
from minitendr.api.models import IdempotentRequest
from minitendr.auth.models import Role
from minitendr.bids import service as bid_service
from minitendr.bids.models import Bid
from minitendr.db import db
from minitendr.registry.models import Kraj, Orp
from tests.factories import ProviderFactory, UserFactory, make_demand, make_framework
from tests.test_races import race_app, slowed  # noqa: F401  (the fixture)


def test_the_same_bid_sent_twice_at_once_is_stored_once(race_app, monkeypatch):  # noqa: F811
    app = race_app
    with app.app_context(), app.test_request_context():
        kraj = db.session.execute(sa.select(Kraj).where(Kraj.code == "CZ053")).scalar_one()
        orp = db.session.execute(sa.select(Orp).where(Orp.code == "5309")).scalar_one()
        provider = ProviderFactory()
        bidder = UserFactory(email="bidder.race@test.cz", role=Role.PROVIDER, provider=provider)
        ospod = UserFactory(email="ospod.race@test.cz", role=Role.OSPOD, orp=orp)
        make_framework(kraj, providers=[provider])
        demand = make_demand(ospod, publish=True)
        _token, secret = tokens.create_token(bidder, "závod")
        demand_id, start = demand.id, demand.start_date.isoformat()
        db.session.commit()
    slowed(monkeypatch, bid_service, "submit_bid", 0.5)
    form = {
        "unit_price": "400.00",
        "units": "40",
        "vat_rate": "0",
        "proposed_start": start,
        "team": "Tým.",
        "approach": "Postup.",
    }
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "jednou"}
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def send(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(f"/api/v1/demands/{demand_id}/bids", data=form, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 201], [a.get_data(as_text=True) for a in answers]
    assert answers[0].json == answers[1].json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(IdempotentRequest.id))) == 1
