"""Open Badges 3.0: a badge earned by the rule is issued as an OpenBadgeCredential that validates against the
vendored 1EdTech schema, its VC-JWT verifies with the key the issuer publishes (checked here independently with
``cryptography``), a tampered credential fails, a revoked one is reported revoked, and the downloads work."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from PIL import Image
from sqlalchemy import select

from adoption import badges, incentives
from adoption.models import Award
from lms.extensions import db
from tests.adoption.conftest import signout
from tests.conftest import login, post_form

SCHEMA = json.loads((Path(__file__).parent / "schema" / "achievementcredential.json").read_text())


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verify_independently(token: str, jwk: dict) -> bool:
    head, body, signature = token.split(".")
    key = ec.EllipticCurvePublicNumbers(int.from_bytes(_b64(jwk["x"]), "big"), int.from_bytes(_b64(jwk["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    raw = _b64(signature)
    try:
        key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                   f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@pytest.fixture()
def award(org) -> Award:
    from courses import api as courses_api

    path = next(p for p in courses_api.catalogue().paths if p.slug == "sales")
    incentives.save_rule(incentives.RuleInfo("Sales path finisher", "", "path", path_id=path.id))
    db.session.commit()
    assert incentives.award_due() == 4  # t1, t2, t4, o1 completed the sales path
    db.session.commit()
    return db.session.scalar(select(Award).where(Award.person_id == org.id("t1")))


def test_the_credential_validates_against_the_open_badges_schema(award):
    credential = badges.credential_of(award)
    jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(credential)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSubject"]["achievement"]["name"] == "Sales path finisher"


def test_signature_verifies_with_the_published_key_and_tampering_fails(award, client):
    profile = client.get("/badges/issuer.json").get_json()
    kid = json.loads(_b64(award.jwt.split(".")[0]))["kid"].rpartition("#")[2]
    [jwk] = [k for k in profile["publicKey"] if k["kid"] == kid]
    assert _verify_independently(award.jwt, jwk)
    head, body, signature = award.jwt.split(".")
    payload = json.loads(_b64(body))
    payload["vc"]["name"] = "Grand master of everything"
    forged = f"{head}.{base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b'=').decode()}.{signature}"
    assert not _verify_independently(forged, jwk)
    assert badges.verify(forged).status == "invalid"
    assert badges.verify(award.jwt).status == "valid"
    assert "BEGIN" not in json.dumps(profile)  # only the public half is published


def test_public_verification_page_and_json_then_revocation(award, client, org, factory):
    url = f"/badges/credentials/{award.uid}"
    page = client.get(url)  # nobody signed in
    assert page.status_code == 200 and "Valid" in page.get_data(as_text=True)
    assert client.get(url + ".json").get_json()["status"] == "valid"

    office = factory.person(permissions=["program_office"])
    login(client, office)
    response = post_form(client, f"/adoption/badges/awards/{award.id}/revoke", {"reason": "Awarded by mistake"},
                         form_url="/adoption/badges")
    assert response.status_code == 302
    signout(client)
    status = client.get(url + ".json").get_json()
    assert (status["status"], status["revoked"]) == ("revoked", True)
    assert "Revoked" in client.get(url).get_data(as_text=True)
    assert "Awarded by mistake" in status["message"]


def test_downloads_the_credential_and_a_baked_badge_image(award, client):
    jwt = client.get(f"/badges/credentials/{award.uid}/credential.jwt")
    assert jwt.status_code == 200 and jwt.get_data(as_text=True) == award.jwt
    png = client.get(f"/badges/credentials/{award.uid}/image.png")
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and image.size == (256, 256)
    assert image.text["openbadgecredential"] == award.jwt


def test_awarding_records_an_xapi_statement(award, org):
    from tracking import api as tracking_api

    tracking_api.catch_up()
    achievement = badges.credential_of(award)["credentialSubject"]["achievement"]["id"]
    facts = tracking_api.progress_of([org.id("t1")], [achievement])
    assert [f.activity_id for f in facts] == [achievement]


def test_a_badge_is_awarded_once(award, org):
    assert incentives.award_due() == 0


def test_an_award_offers_a_kudos_post_on_the_recognition_wall(award, client, org, factory):
    from comms import api as comms_api

    login(client, factory.person(permissions=["program_office"]))
    page = client.get("/adoption/badges").get_data(as_text=True)
    wanted = comms_api.kudos_url(org.id("t1"), "T1 earned the “Sales path finisher” badge. Well done!")
    assert wanted.replace("&", "&amp;") in page
    signout(client)
    login(client, org.people["t1"])
    mine = client.get("/adoption/me").get_data(as_text=True)
    assert "post kudos about it" in mine and "download the credential" in mine
