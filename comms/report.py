"""A campaign's report: recipients, delivered, failed, opened, clicked and unsubscribed, in total and by
department and by rollout wave (the recipient's as of now), with a CSV export.

Opened counts deliveries whose pixel loaded or whose links were followed (a click implies the mail was read, even
with images blocked). With per-person tracking off there are no per-delivery engagement rows: opened and clicked
are then unknown per group and the totals are events (opens and clicks counted, not people).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import case, func, literal_column, select

from comms.campaigns import SOURCE
from comms.mailing import tracking_people
from comms.models import Campaign, Engagement, LinkClicks, OptOut, Tally
from lms.extensions import db
from lms.mail.models import OutgoingMail
from lms.people.models import Department, Person, RolloutWave


@dataclass(frozen=True)
class Row:
    label: str
    recipients: int
    delivered: int
    failed: int
    opened: int | None
    clicked: int | None
    unsubscribed: int

    def rate(self, value: int | None) -> str:
        if value is None or not self.delivered:
            return "–"
        return f"{100 * value / self.delivered:.0f}%"


@dataclass(frozen=True)
class Report:
    campaign: Campaign
    tracked: bool
    total: Row
    by_department: tuple[Row, ...]
    by_wave: tuple[Row, ...]
    links: tuple[tuple[str, int], ...]
    open_events: int
    click_events: int


def _rows(campaign_id: int, label_column, tracked: bool) -> list[Row]:
    engaged = (Engagement.opens > 0) | (Engagement.clicks > 0)
    label = label_column if label_column is not None else literal_column("'All recipients'")
    query = (select(label, func.count(OutgoingMail.id),
                    func.sum(case((OutgoingMail.status == "sent", 1), else_=0)),
                    func.sum(case((OutgoingMail.status.in_(("failed", "bounced")), 1), else_=0)),
                    func.sum(case((engaged, 1), else_=0)), func.sum(case((Engagement.clicks > 0, 1), else_=0)),
                    func.count(OptOut.person_id))
             .select_from(OutgoingMail)
             .outerjoin(Engagement, Engagement.mail_id == OutgoingMail.id)
             .outerjoin(OptOut, OptOut.via_mail_id == OutgoingMail.id)
             .outerjoin(Person, Person.id == OutgoingMail.person_id)
             .outerjoin(Department, Department.id == Person.department_id)
             .outerjoin(RolloutWave, RolloutWave.id == Person.wave_id)
             .where(OutgoingMail.source == SOURCE, OutgoingMail.source_id == campaign_id))
    if label_column is not None:
        query = query.group_by(label_column).order_by(label_column)
    return [Row(label or "(none)", int(n), int(sent or 0), int(failed or 0), int(opened or 0) if tracked else None,
                int(clicked or 0) if tracked else None, int(unsubscribed or 0))
            for label, n, sent, failed, opened, clicked, unsubscribed in db.session.execute(query)]


def campaign_report(campaign: Campaign) -> Report:
    tracked = tracking_people()
    [total_row] = _rows(campaign.id, None, tracked)
    tally = db.session.get(Tally, campaign.id)
    clicks = tuple(tuple(r) for r in db.session.execute(select(LinkClicks.url, LinkClicks.clicks).where(
        LinkClicks.campaign_id == campaign.id).order_by(LinkClicks.clicks.desc(), LinkClicks.url)).all())
    return Report(campaign, tracked, total_row, tuple(_rows(campaign.id, Department.name, tracked)),
                  tuple(_rows(campaign.id, RolloutWave.name, tracked)), clicks,
                  tally.opens if tally else 0, tally.clicks if tally else 0)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell starting with = + - @ (or tab / carriage return) as a formula: quote it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["grouping", "group", "recipients", "delivered", "failed", "opened", "clicked", "unsubscribed"])
    for grouping, rows in (("total", (report.total,)), ("department", report.by_department),
                           ("wave", report.by_wave)):
        for row in rows:
            writer.writerow([_cell(v) for v in (grouping, row.label, row.recipients, row.delivered, row.failed,
                                                row.opened, row.clicked, row.unsubscribed)])
    return out.getvalue()
