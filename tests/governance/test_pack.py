"""The governance pack: a PDF rendered by WeasyPrint (its first two pages turned into PNG test artifacts by
pdftoppm), from the web in one click and from the command line; without WeasyPrint the button says so and every
other page still works."""
from __future__ import annotations

import builtins
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from governance import services_goals as goals
from governance import services_meetings as meetings
from lms.extensions import db
from lms.types import utcnow
from tests.conftest import login
from tests.governance.test_pages import _goal

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _story(org):
    goal = _goal(org)
    today = utcnow().date()
    goals.record_values(goal, [goals.ValueInfo(today - timedelta(days=45), 26),
                               goals.ValueInfo(today - timedelta(days=15), 22)], source="form")
    held = meetings.schedule(today - timedelta(days=80), "Governance board, Q3", actor_id=None)
    meetings.add_decision(held, "Sales managers coach forecasts weekly.", actor_id=None)
    meetings.hold(held, today - timedelta(days=80), {}, actor_id=None)
    meetings.add_action(meetings.ActionInfo("Forecast clinic for wave 2", org.id("maria"), today - timedelta(days=3),
                                            goal.id, held.id), actor_id=None)
    db.session.commit()
    return goal


def test_the_pack_renders_and_its_first_pages_become_pngs(org, client, factory):
    _story(org)
    login(client, factory.person(permissions=["sponsor"], name="Sam Sponsor"))
    assert "Download the governance pack (PDF)" in client.get("/governance/").get_data(as_text=True)
    response = client.get("/governance/pack.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and len(response.data) > 20_000
    assert 'filename="governance-pack-' in response.headers["Content-Disposition"]
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "governance-pack.pdf"
    pdf.write_bytes(response.data)
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to turn the pack into PNG artifacts")
    for old in ARTIFACTS.glob("governance-pack-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf),
                    str(ARTIFACTS / "governance-pack-page")], check=True)
    pages = sorted(ARTIFACTS.glob("governance-pack-page-*.png"))
    assert len(pages) == 2 and all(page.stat().st_size > 5_000 for page in pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("Governance pack", "Summary for the sponsor", "The three largest gaps", "Sales: Pipeline",
                     "Forecasts within 10%", "Forecast clinic for wave 2", "Sales managers coach forecasts weekly.",
                     "By department", "By job role", "By rollout wave"):
        assert expected in text, expected


def test_the_pack_from_the_command_line(org, app, tmp_path):
    _story(org)
    out = tmp_path / "pack.pdf"
    result = app.test_cli_runner().invoke(args=["lms", "governance", "pack", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-") and "Wrote the governance pack" in result.output


def test_without_weasyprint_the_button_says_so_and_the_rest_works(org, client, factory, app, monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    _story(org)
    login(client, factory.person(permissions=["sponsor"]))
    page = client.get("/governance/").get_data(as_text=True)
    assert "The governance pack (PDF) cannot be made on this server." in page and "libpango" in page
    assert "Download the governance pack" not in page
    refused = client.get("/governance/pack.pdf")
    assert refused.status_code == 503 and "apt-get install" in refused.get_data(as_text=True)
    for url in ("/governance/gaps", "/governance/goals", "/governance/meetings"):
        assert client.get(url).status_code == 200, url
    result = app.test_cli_runner().invoke(args=["lms", "governance", "pack", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "needs WeasyPrint" in result.output
