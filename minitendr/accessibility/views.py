"""The accessibility statement (prohlášení o přístupnosti), public and linked from every page's footer:
zákon č. 99/2019 Sb. binds the public bodies that run minitendr."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template

bp = Blueprint("accessibility", __name__)

# When the statement was drawn up and last reviewed (against the automated axe-core checks of every page
# in tests/live/test_ui_crawl.py and a manual keyboard and screen-reader review).
PREPARED_ON = dt.date(2026, 11, 30)


@bp.get("/prohlaseni-o-pristupnosti")
def statement():
    return render_template(
        "accessibility/statement.html",
        prepared_on=PREPARED_ON,
        operator=current_app.config["ACCESSIBILITY_OPERATOR"],
        contact=current_app.config["ACCESSIBILITY_CONTACT"],
    )
