"""Documents, study campaigns and quizzes as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Day, Id, StrictInt
from core.resolutions import study
from core.resolutions.models import Document, DocumentKind, DocumentState, QuizQuestion, StudyCampaign
from core.resolutions.summarize import MAX_SUMMARY_CHARS

VoiceName = Literal["vi", "vi-vn-x-central", "vi-vn-x-south"]
Speed = Literal["normal", "slow"]


class OriginalOut(BaseModel):
    filename: str = Field(examples=["21-NQ-TW.pdf"])
    mime_type: str = Field(examples=["application/pdf"])
    size: int = Field(description="Bytes", examples=[183_422])


class DocumentOut(BaseModel):
    id: int = Field(examples=[5])
    kind: DocumentKind = Field(description="NQ, CT, QĐ, KL, HD, KH, TB, ĐA or CV")
    code: str | None = Field(examples=["21-NQ/TW"])
    issued_on: dt.date | None = Field(examples=["2022-06-16"])
    title: str = Field(examples=["Về tăng cường củng cố, xây dựng tổ chức cơ sở đảng"])
    org_id: int = Field(description="Published to this organisation and everything below it", examples=[4])
    state: DocumentState
    published_at: AwareDatetime | None
    original: OriginalOut | None = Field(description="The uploaded file, when there is one (GET …/original)")

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        original = (
            OriginalOut(filename=document.file_name or "", mime_type=document.file_mime or "", size=document.file_size or 0)
            if document.file_name else None
        )
        return cls(
            id=document.id, kind=document.kind, code=document.code, issued_on=document.issued_on, title=document.title,
            org_id=document.org_id, state=document.state, published_at=document.published_at, original=original,
        )


class DocumentDetail(DocumentOut):
    summary: str = Field(description="One sentence a line", examples=["Phấn đấu đến năm 2030 có trên 75% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ."])
    full_text: str
    recipients: int = Field(description="Members it was sent to when published", examples=[148])

    @classmethod
    def of(cls, document: Document) -> DocumentDetail:  # type: ignore[override]
        base = DocumentOut.of(document).model_dump()
        return cls(**base, summary=document.summary, full_text=document.full_text, recipients=document.recipients)


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    page: int = Field(examples=[1])
    pages: int = Field(examples=[3])
    total: int = Field(examples=[12])


class DocumentPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"summary": "Chi bộ học tập Nghị quyết 21.\nMỗi đảng viên nghiên cứu và thực hiện."}]})

    summary: str | None = Field(None, max_length=MAX_SUMMARY_CHARS, description="Replaces the drafted summary; not empty")
    title: str | None = Field(None, max_length=500)
    code: str | None = Field(None, max_length=64, description="Empty string removes the code")
    kind: DocumentKind | None = None
    issued_on: Day | None = None
    org_id: Id | None = Field(None, description="Where it will be published (an organisation the caller manages)")


class AudienceOut(BaseModel):
    org_id: int
    recipients: int = Field(description="Members it would be sent to (not the publisher)", examples=[148])
    unlinked: int = Field(description="Of those, members without a Telegram account", examples=[6])


class PublishOut(BaseModel):
    document: DocumentOut
    recipients: int = Field(examples=[148])
    queued: int = Field(description="Summary messages queued in the outbox (linked members)", examples=[142])
    unlinked: int = Field(examples=[6])
    voice_variants: int = Field(description="(voice, speed) renderings synthesised, one each whatever the number of members", examples=[2])


class BookmarkOut(BaseModel):
    bookmarked: bool
    changed: bool


class StudiedOut(BaseModel):
    studied: bool = True
    changed: bool = Field(description="False when it had been confirmed before")


# ---------------------------------------------------------------- study


class QuestionIn(BaseModel):
    text: str = Field(min_length=1, max_length=study.MAX_QUESTION_CHARS, examples=["Nghị quyết 21 đặt mục tiêu đến năm nào?"])
    options: list[str] = Field(min_length=2, max_length=study.MAX_OPTIONS, examples=[["2025", "2030", "2045"]])
    correct: StrictInt = Field(ge=0, le=study.MAX_OPTIONS - 1, description="Index of the right option", examples=[1])


class CampaignCreate(BaseModel):
    document_id: Id
    org_id: Id = Field(description="Whose members study: an organisation the caller manages that the document reaches")
    deadline: Day = Field(description="Last local day (Vietnam), after today", examples=["2026-12-15"])
    questions: list[QuestionIn] = Field(default_factory=list, max_length=study.MAX_QUESTIONS)


class CampaignOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 3, "document_id": 5, "org_id": 4, "deadline": "2026-12-15T16:59:59Z", "opened_at": "2026-11-23T03:00:00Z",
                          "closed_at": None, "question_count": 3}]
        }
    )

    id: int
    document_id: int
    org_id: int
    deadline: AwareDatetime = Field(description="The end of the last day")
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    question_count: int

    @classmethod
    def of(cls, campaign: StudyCampaign) -> CampaignOut:
        return cls(
            id=campaign.id, document_id=campaign.document_id, org_id=campaign.org_id, deadline=campaign.deadline,
            opened_at=campaign.opened_at, closed_at=campaign.closed_at, question_count=campaign.question_count,
        )


class CampaignOpened(BaseModel):
    campaign: CampaignOut
    members: int = Field(description="Members asked to study (obliged: not exempt)", examples=[146])
    queued: int = Field(description="Notices queued (linked members)", examples=[140])


class ResultOut(BaseModel):
    total: int
    studied: int
    quiz_done: int
    average_score: float | None = Field(description="Out of 10, over members who finished the quiz", examples=[8.5])

    @classmethod
    def of(cls, line: study.ResultLine, questions: int) -> ResultOut:
        score = line.score(questions)
        return cls(total=line.total, studied=line.studied, quiz_done=line.quiz_done, average_score=None if score is None else round(score, 2))


class CellResultOut(ResultOut):
    org_id: int
    name: str


class CampaignResultsOut(BaseModel):
    campaign: CampaignOut
    org_id: int = Field(description="The part shown: the campaign's organisation or the part the caller manages")
    totals: ResultOut
    cells: list[CellResultOut]


class MemberResultOut(BaseModel):
    member_id: int
    name: str
    cell: str
    studied_at: AwareDatetime | None
    quiz_answered: int
    quiz_correct: int
    quiz_completed_at: AwareDatetime | None


class QuizQuestionOut(BaseModel):
    id: int
    position: int
    text: str
    options: list[str]

    @classmethod
    def of(cls, question: QuizQuestion) -> QuizQuestionOut:
        return cls(id=question.id, position=question.position, text=question.text, options=list(question.options))


class QuizOut(BaseModel):
    campaign: CampaignOut
    pending: list[QuizQuestionOut] = Field(description="Questions not answered yet, without their answers")
    answered: int
    correct: int
    total: int


class AnswerIn(BaseModel):
    option: StrictInt = Field(ge=0, le=study.MAX_OPTIONS - 1, examples=[1])


class AnswerOut(BaseModel):
    correct: bool
    answered: int
    correct_total: int
    total: int
    finished: bool
