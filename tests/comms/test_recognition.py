"""Recognition: the program office writes kudos about anyone or a team, managers about their own team only; every
signed-in person sees the wall (newest first, paged); the author and the program office delete; the newsletter
block and comms.api."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from comms import api
from comms.models_lifecycle import Kudos
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission
from lms.types import utcnow
from tests.conftest import login, post_form


def _org(factory):
    office = factory.person(permissions=[Permission.PROGRAM_OFFICE, Permission.LEARNER], name="Olive Office",
                            email="olive@example.com")
    maria = factory.person(permissions=[Permission.MANAGER, Permission.LEARNER], name="Maria Manager",
                           email="maria@example.com")
    omar = factory.person(permissions=[Permission.MANAGER, Permission.LEARNER], name="Omar Other",
                          email="omar@example.com")
    rep = factory.person(name="Rita Rep", manager=maria, email="rita@example.com")
    deep = factory.person(name="Dan Deep", manager=rep, email="dan@example.com")  # Rita leads a small team too
    other = factory.person(name="Otto Outsider", manager=omar, email="otto@example.com")
    return office, maria, omar, rep, deep, other


def _suggested(client, typed: str) -> list[str]:
    response = client.get("/comms/recognition/people.json", query_string={"q": typed},
                          headers={"Accept": "application/json"})
    assert response.status_code == 200
    return [person["label"] for person in response.json["people"]]


def test_a_learner_sees_the_wall_but_cannot_post(app, client, factory):
    office, maria, _, rep, _, _ = _org(factory)
    api.post_kudos(author_id=office.id, text="First wave live!", team_manager_id=maria.id)
    db.session.commit()
    login(client, rep)
    wall = client.get("/comms/recognition/")
    assert wall.status_code == 200
    body = wall.get_data(as_text=True)
    assert "Maria Manager&#39;s team" in body and "First wave live!" in body and "From Olive Office" in body
    assert "Write kudos" not in body and "Delete" not in body
    assert client.get("/comms/recognition/new").status_code == 403
    response = client.post("/comms/recognition/new", data={"text": "x", "person": str(rep.id)})
    assert response.status_code in (400, 403)
    assert db.session.scalar(select(func.count()).select_from(Kudos)) == 1


def test_a_manager_writes_about_their_team_only(app, client, factory):
    _, maria, omar, rep, deep, other = _org(factory)
    login(client, maria)
    form = client.get("/comms/recognition/new").get_data(as_text=True)
    assert "Maria Manager&#39;s team" in form and "Omar Other&#39;s team" not in form
    # Her suggestions are her reporting line (any depth), never someone else's people.
    assert _suggested(client, "Rep") == ["Rita Rep (rita@example.com)"]
    assert _suggested(client, "dan") == ["Dan Deep (dan@example.com)"]
    assert _suggested(client, "Otto") == [] and _suggested(client, "otto@example.com") == []
    for typed in ("Otto Outsider", "otto@example.com", str(other.id)):
        response = post_form(client, "/comms/recognition/new", {"person": typed, "text": "Nice work"})
        assert response.status_code == 400
        assert "in your reporting line" in response.get_data(as_text=True)
    # Even a hand-made post about someone outside the team is refused by the service.
    from comms import recognition

    try:
        recognition.write(maria, text="Nice", person_id=other.id, team_manager_id=None)
    except DomainError as error:
        assert error.status_code == 403 and "own team" in error.message
    else:
        raise AssertionError("a manager wrote kudos about someone outside their team")
    response = post_form(client, "/comms/recognition/new", {"person": "Dan Deep (dan@example.com)",
                                                           "text": "Closed the Q4 deal."})
    assert response.status_code == 302
    response = post_form(client, "/comms/recognition/new", {"team": str(maria.id), "text": "Team on fire."})
    assert response.status_code == 302
    response = post_form(client, "/comms/recognition/new", {"person": "rita@example.com", "team": str(maria.id),
                                                           "text": "Both"})
    assert response.status_code == 400 and "either a person or a team" in response.get_data(as_text=True)
    response = post_form(client, "/comms/recognition/new", {"person": "Rita Rep", "text": "x" * 1001})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Kudos)) == 2


def test_the_wall_is_newest_first_and_paged(app, client, factory):
    office, _, _, rep, _, _ = _org(factory)
    now = utcnow()
    for n in range(25):
        db.session.add(Kudos(author_id=office.id, person_id=rep.id, text=f"kudos number {n:02d}",
                             created_at=now - timedelta(hours=25 - n)))
    db.session.commit()
    login(client, rep)
    first = client.get("/comms/recognition/").get_data(as_text=True)
    numbers = re.findall(r"kudos number (\d\d)", first)
    assert numbers == [f"{n:02d}" for n in range(24, 4, -1)]
    second = client.get("/comms/recognition/?page=2").get_data(as_text=True)
    assert re.findall(r"kudos number (\d\d)", second) == ["04", "03", "02", "01", "00"]


def test_the_author_and_the_program_office_delete_others_cannot(app, client, factory):
    office, maria, omar, rep, _, _ = _org(factory)
    mine = api.post_kudos(author_id=maria.id, text="By Maria", person_id=rep.id)
    db.session.commit()
    login(client, omar)
    assert "Delete" not in client.get("/comms/recognition/").get_data(as_text=True)
    response = post_form(client, f"/comms/recognition/{mine}/delete", {}, form_url="/comms/recognition/new")
    assert response.status_code == 403  # refused, saying why: not a redirect with a flash
    assert "Only its author and the program office can delete a kudos." in response.get_data(as_text=True)
    assert "<h1>403</h1>" in response.get_data(as_text=True)
    response = post_form(client, f"/comms/recognition/{mine}/delete", {}, form_url="/comms/recognition/new",
                         headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json == {"error": "Only its author and the program office can delete a kudos."}
    assert db.session.get(Kudos, mine) is not None
    client = app.test_client()
    login(client, maria)
    response = post_form(client, f"/comms/recognition/{mine}/delete", {}, form_url="/comms/recognition/")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Kudos, mine) is None
    theirs = api.post_kudos(author_id=maria.id, text="Again", person_id=rep.id)
    db.session.commit()
    client = app.test_client()
    login(client, office)
    post_form(client, f"/comms/recognition/{theirs}/delete", {}, form_url="/comms/recognition/")
    db.session.expire_all()
    assert db.session.get(Kudos, theirs) is None


def test_api_counts_urls_and_the_newsletter_block(app, client, factory):
    office, maria, omar, rep, deep, other = _org(factory)
    api.post_kudos(author_id=office.id, text="Great *pipeline* [work](https://evil.example)", person_id=rep.id)
    api.post_kudos(author_id=office.id, text="Team!", team_manager_id=maria.id)
    api.post_kudos(author_id=office.id, text="Rita's team", team_manager_id=rep.id)
    db.session.commit()
    # Rita: one about her, one about the team she is in (Maria's), one about the team she leads.
    assert api.kudos_received([rep.id, deep.id, maria.id, other.id]) == {rep.id: 3, deep.id: 1, maria.id: 1,
                                                                         other.id: 0}
    url = api.kudos_url(rep.id, "Well done on go-live")
    assert url.startswith("/comms/recognition/new?")
    login(client, office)
    form = client.get(url).get_data(as_text=True)
    assert "Well done on go-live</textarea>" in form
    assert 'value="Rita Rep (rita@example.com)"' in form  # the person field comes filled in
    recent = api.recent_kudos(utcnow() - timedelta(days=1))
    assert [k.text for k in recent][-1].startswith("Great *pipeline*")
    assert recent[0].about == "Rita Rep's team"
    block = api.recognition_markdown(utcnow() - timedelta(days=1))
    assert block.startswith("## Recognition")
    assert r"Great \*pipeline\* \[work\]\(https://evil\.example\)" in block
    assert "http://localhost/comms/recognition/" in block
    assert api.recognition_markdown(utcnow() + timedelta(days=1)) == ""
    from courses.api import render_markdown

    html = render_markdown(block)
    assert "evil.example" not in re.findall(r'href="([^"]+)"', html)[0] and "<em>" in html
    try:
        api.post_kudos(author_id=office.id, text="   ", person_id=rep.id)
    except DomainError as error:
        assert "few words" in error.message
    else:
        raise AssertionError("empty kudos accepted")


def test_the_person_field_takes_a_name_or_an_email_and_says_which_it_cannot_tell(app, client, factory):
    office, _, _, rep, _, _ = _org(factory)
    first = factory.person(name="Sam Lee", email="sam.lee@example.com")
    second = factory.person(name="Sam Lee", email="samuel.lee@example.com")
    for n in range(12):
        factory.person(name=f"Suggested {n:02d}", email=f"suggested{n:02d}@example.com")
    factory.person(name="Gone Person", email="gone@example.com", active=False)
    login(client, office)
    form = client.get("/comms/recognition/new").get_data(as_text=True)
    assert '<select id="person"' not in form  # no drop-down of everyone: a text field with suggestions
    assert re.search(r'<input[^>]*id="person"[^>]*type="text"', form)
    assert 'list="kudos-people"' in form and '<datalist id="kudos-people"></datalist>' in form
    assert 'data-search-url="/comms/recognition/people.json"' in form and "recognition.js" in form
    assert "rita@example.com" not in form and "Sam Lee" not in form  # (Rita Rep's team is offered: she has one)
    assert _suggested(client, "sam") == ["Sam Lee (sam.lee@example.com)", "Sam Lee (samuel.lee@example.com)"]
    assert len(_suggested(client, "suggested")) == 10  # a few suggestions, never the whole organisation
    assert _suggested(client, "s") == []  # two letters at least
    assert _suggested(client, "%") == [] and _suggested(client, "__") == []  # typed wildcards are letters
    assert _suggested(client, "gone") == []  # deactivated people are not offered

    def post(person: str):
        return post_form(client, "/comms/recognition/new", {"person": person, "text": "Well done"})

    response = post("Sam Lee")
    assert response.status_code == 400
    assert "2 people are called “Sam Lee”: type their email" in response.get_data(as_text=True)
    response = post("Nobody Here")
    assert response.status_code == 400
    assert "There is nobody called “Nobody Here” in the organisation" in response.get_data(as_text=True)
    assert post("gone@example.com").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Kudos)) == 0
    assert post("Sam Lee (samuel.lee@example.com)").status_code == 302
    assert post("  SAM.LEE@example.com ").status_code == 302
    assert post("rita rep").status_code == 302  # one person of that name, whatever the case
    about = list(db.session.scalars(select(Kudos.person_id).order_by(Kudos.id)))
    assert about == [second.id, first.id, rep.id]


def test_only_writers_of_kudos_may_search_people(app, client, factory):
    _, _, _, rep, _, _ = _org(factory)
    assert client.get("/comms/recognition/people.json?q=rita").status_code in (302, 401)
    login(client, rep)  # a learner
    response = client.get("/comms/recognition/people.json?q=rita", headers={"Accept": "application/json"})
    assert response.status_code == 403 and "people" not in response.json
