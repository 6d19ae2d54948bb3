"""The ``campaign`` mail renderer: the host's workers call it with a batch of a campaign's outbox rows when they
send them (``Plugin.mail_renderers``), so 100,000 recipients cost 100,000 small rows, not 100,000 stored bodies.

Each mail is personalised for its recipient then and there (their due courses as of the sending moment), with
links signed for that row. Someone who left the category since the campaign started is skipped.
"""
from __future__ import annotations

from collections import defaultdict

from comms.compose import TemplateProblem
from comms.mailing import composer, links_for, opted_out, recipients
from comms.models import Campaign
from lms.errors import DomainError
from lms.extensions import db
from lms.mail.rendering import MailToRender, NotSent, RenderedMail


def render(mails: list[MailToRender]) -> dict[int, RenderedMail | NotSent]:
    by_campaign: dict[int | None, list[MailToRender]] = defaultdict(list)
    for mail in mails:
        by_campaign[mail.source_id].append(mail)
    found: dict[int, RenderedMail | NotSent] = {}
    for campaign_id, group in by_campaign.items():
        campaign = db.session.get(Campaign, campaign_id) if campaign_id is not None else None
        if campaign is None:
            found.update({m.id: NotSent("failed", "the campaign no longer exists") for m in group})
            continue
        try:
            compose = composer_for(campaign)
        except DomainError as exc:
            found.update({m.id: NotSent("failed", f"template error: {exc.message}") for m in group})
            continue
        people = recipients([m.person_id for m in group if m.person_id is not None])
        left = opted_out(people, campaign.category)
        for mail in group:
            person = people.get(mail.person_id)
            if person is None:
                found[mail.id] = NotSent("skipped", "the person no longer exists")
            elif mail.person_id in left:
                found[mail.id] = NotSent("skipped", f"the person left {campaign.category} mail")
            else:
                try:
                    found[mail.id] = compose.render(person, links=links_for(mail.id, mail.person_id, mail.category))
                except (TemplateProblem, DomainError) as exc:
                    found[mail.id] = NotSent("failed", f"template error: {exc.message}")
    return found


def composer_for(campaign: Campaign):
    from comms.campaigns import message

    return composer(message(campaign))
