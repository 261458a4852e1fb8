"""Schemathesis against the served application: for two personas (an OSPOD office and a provider,
their tokens made by ``minitendr tokens create``) every operation of the OpenAPI document is called with
generated input; no answer may be a 5xx, and none may contradict the document (status, content type,
body).

Bounded for CI (about a minute per database on an idle machine): the input is deterministic (the same
cases every run, no example database: implied), the fuzzing phase makes a few cases per operation, the
coverage phase (every boundary and every refused value the schema defines, persona-independent: input
is checked before the rules) runs for one persona only, with two unexpected methods per path instead
of eight; the two personas run side by side. The JSON report must show every operation tested for
both personas, so that a skipped operation cannot pass unnoticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.live.server import ROOT, Server, live_database, prepare

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# persona → phases: input checks once, the rules for both.
PERSONAS = {
    "ospod.pardubice@demo.cz": "examples,coverage,fuzzing",
    "provider1@demo.cz": "examples,fuzzing",
}
CONFIG = """\
[phases.coverage]
unexpected-methods = ["delete", "patch"]
"""
BUDGET_SECONDS = 600  # a hung run fails, it does not eat CI's budget


def create_token(server: Server, email: str) -> str:
    """A token made the way a script's administrator makes it: the ``minitendr tokens create`` command."""
    command = [sys.executable, "-c", "from minitendr.cli import cli; cli()", "tokens", "create"]
    result = subprocess.run(
        [*command, "--user", email, "--name", "schemathesis"],
        cwd=ROOT,
        env=server.env | {"FLASK_APP": "minitendr:create_app"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def command(server: Server, token: str, phases: str, folder: Path) -> list[str]:
    examples = os.environ.get("MINITENDR_SCHEMATHESIS_EXAMPLES", "5")
    return [
        str(SCHEMATHESIS), "--config-file", str(folder.parent / "schemathesis.toml"), "--no-color",
        "run", f"{server.base_url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", phases,
        "--max-examples", examples,
        "--generation-deterministic",
        "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(folder / "report.json"),
    ]  # fmt: skip


def untested(report: Path) -> str | None:
    """What the JSON report says was left out (an operation skipped or errored, a run cut short), or None."""
    data = json.loads(report.read_text())
    operations = data["operations"]
    if not data["complete"] or operations["total"] == 0:
        return f"the run did not complete: {data['stop_reason']}"
    if operations["tested"] != operations["total"] or operations["skipped"] or operations["errored"]:
        return f"not every operation was tested: {operations}"
    return None


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (test extras)")
def test_schemathesis_finds_no_server_error_and_no_contradiction(tmp_path):
    started = time.monotonic()
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    with live_database(tmp_path, "schemathesis") as url:
        prepare(url, tmp_path)
        with Server(url, tmp_path, workers=2, env={"MINITENDR_API_LIMIT": "100000 per minute"}) as server:
            ready = time.monotonic()
            runs = {}
            for email, phases in PERSONAS.items():
                folder = tmp_path / email.split("@")[0]
                folder.mkdir()
                runs[email] = (
                    folder,
                    subprocess.Popen(
                        command(server, create_token(server, email), phases, folder),
                        cwd=folder,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    ),
                )
            failures = []
            for email, (folder, process) in runs.items():
                try:
                    output, _ = process.communicate(timeout=max(1, BUDGET_SECONDS - (time.monotonic() - started)))
                except subprocess.TimeoutExpired:
                    process.kill()
                    output, _ = process.communicate()
                    failures.append(f"{email}: schemathesis did not finish in {BUDGET_SECONDS} s")
                print(f"== {email}\n{output[-3000:]}")  # the summary, shown with -s
                if process.returncode != 0:
                    failures.append(f"{email}:\n{output[-8000:]}")
                    continue
                left_out = untested(folder / "report.json")
                if left_out:
                    failures.append(f"{email}: {left_out}")
            assert not server.errors_in_log(), server.errors_in_log()[:3]
    print(f"database and server {ready - started:.0f} s, schemathesis {time.monotonic() - ready:.0f} s")
    assert not failures, "\n".join(failures)
