"""Monthly figures and reports: the tables."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, UTCDateTime, utcnow
from core.orgs.models import _enum


class ReportState(str, enum.Enum):
    DRAFT = "draft"  # drafted automatically, waiting for the secretary
    SENT = "sent"  # sent to the committee above
    ACKNOWLEDGED = "acknowledged"  # the committee above took it in (final)
    RETURNED = "returned"  # the committee sent it back with a comment: the cell corrects and sends again


class MonthlyReport(Base):
    """A cell's monthly report (báo cáo tháng) to the committee directly above."""

    __tablename__ = "monthly_reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)  # the first day of the month
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")  # the secretary's own words
    state: Mapped[ReportState] = mapped_column(_enum(ReportState, "report_state"), default=ReportState.DRAFT)
    drafted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Read by the committee above (the first committee member who opened it).
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # acknowledged or returned
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    review_comment: Mapped[str] = mapped_column(Text, default="")  # why it was returned

    __table_args__ = (UniqueConstraint("cell_id", "month"), Index("ix_monthly_reports_month_state", "month", "state"))


class AnnualState(str, enum.Enum):
    SENT = "sent"  # sent to the committee above, waiting for it
    ACKNOWLEDGED = "acknowledged"  # the committee above took this version in


class AnnualReportSent(Base):
    """An organisation's annual report (báo cáo năm) as sent to the committee directly above: one row per
    (organisation, year), its figures frozen as sent. Sending again after the figures or the note changed
    replaces them and raises `version`; the committee acknowledges one version (the audit trail keeps each)."""

    __tablename__ = "annual_reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[AnnualState] = mapped_column(_enum(AnnualState, "annual_report_state"), default=AnnualState.SENT)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # core.reporting.annual_sent.snapshot
    note: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # this version, by the committee above
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("org_id", "year"), Index("ix_annual_reports_year_state", "year", "state"))


class OrgMonthFigures(Base):
    """One organisation's own figures for one local month (rows of its own: a cell's members,
    meetings and studies; feedback addressed to a committee).

    A committee's figures are the sum over its subtree: reading 20,000 of these rows is what lets
    a province's monthly rollup answer in a fraction of a second instead of scanning a year of
    invitations. Kept exact, never a snapshot: a month's rows are built once from the raw rows
    (`FiguresMonth`), then every transaction that changes what they count recomputes the changed
    organisations' rows before it commits (core.reporting.figures, `settle`).
    """

    __tablename__ = "org_month_figures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    members: Mapped[int] = mapped_column(Integer, default=0)
    exempt: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[int] = mapped_column(Integer, default=0)
    meetings_held: Mapped[int] = mapped_column(Integer, default=0)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[int] = mapped_column(Integer, default=0)
    absent_excused: Mapped[int] = mapped_column(Integer, default=0)
    absent_unexcused: Mapped[int] = mapped_column(Integer, default=0)
    study_assigned: Mapped[int] = mapped_column(Integer, default=0)
    study_done: Mapped[int] = mapped_column(Integer, default=0)
    quiz_done: Mapped[int] = mapped_column(Integer, default=0)
    quiz_correct: Mapped[int] = mapped_column(Integer, default=0)
    quiz_questions: Mapped[int] = mapped_column(Integer, default=0)
    feedback_received: Mapped[int] = mapped_column(Integer, default=0)
    feedback_answered: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("month", "org_id"),)


class FiguresMonth(Base):
    """A month whose `OrgMonthFigures` are complete and kept fresh (built at `built_at`, changed
    with every counted change since). Months without a row are computed live."""

    __tablename__ = "figures_months"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


__all__ = ["AnnualReportSent", "AnnualState", "FiguresMonth", "MonthlyReport", "OrgMonthFigures", "ReportState"]
