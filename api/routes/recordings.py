"""/api/v1: a person's recordings of a document's summary (the web console uploads them), the
languages members listen in (the committee extends the list), and named readers.

Every rule is core.recordings.service's; the upload is prepared (decoded, made OGG/Opus) off the
event loop before the one writing call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AuditDep, ClockDep, CurrentActor, RuntimeDep, SessionDep
from api.errors import error_responses
from api.schemas.common import Id, id_path
from core.recordings import service, subjects
from core.recordings.models import Recording, SubjectKind
from core.orgs.service import Actor
from core.recordings.audio import MAX_BYTES, prepare_recording
from core import texts

router = APIRouter(tags=["recordings"])

DocumentId = Annotated[int, id_path("Document id")]
NoticeId = Annotated[int, id_path("Notice id")]
MeetingId = Annotated[int, id_path("Meeting id")]
LanguageCode = Annotated[str, Path(min_length=1, max_length=16, description="A code from /api/v1/voice-languages", examples=["hmong"])]
UPLOAD_PATH = "/api/v1/documents/{document_id}/recordings/{language}"
NOTICE_UPLOAD_PATH = "/api/v1/notices/{notice_id}/recordings/{language}"
CONCLUSIONS_UPLOAD_PATH = "/api/v1/meetings/{meeting_id}/conclusions/recordings/{language}"
UPLOAD_BODY_LIMIT = MAX_BYTES + 256 * 1024
UPLOAD_FORMATS = "OGG/Opus, MP3, WAV or FLAC, ≤ 20 MB, ≤ 30 min"


class LanguageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "hmn", "name": "Tiếng Hmông"}]})
    code: str
    name: str


class LanguageIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Tiếng Giáy"}]})
    name: str = Field(min_length=2, max_length=60, description="«Tiếng Giáy», or just «Giáy»")


class ListenLanguageIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "hmn"}]})
    code: str = Field(min_length=1, max_length=16)


class RecordingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"language": "vi", "language_name": "Tiếng Việt", "duration": 57, "size": 166000, "recorded_by_id": 12, "queued": 6}]})
    language: str
    language_name: str
    duration: int
    size: int
    recorded_by_id: int
    queued: int | None = Field(None, description="Listeners it was sent to now (published documents)")


class ReaderIn(BaseModel):
    member_id: Id


@router.get("/voice-languages", summary="The languages recordings can be made in and members can listen in")
async def list_languages(session: SessionDep, actor: CurrentActor) -> list[LanguageOut]:
    return [LanguageOut(code=language.code, name=language.name) for language in await service.languages(session)]


@router.post("/voice-languages", status_code=status.HTTP_201_CREATED, responses=error_responses(409),
             summary="A committee member adds a language to the list")
async def add_language(body: LanguageIn, session: SessionDep, actor: CurrentActor, clock: ClockDep, audit_trail: AuditDep) -> LanguageOut:
    language = await service.add_language(session, actor=actor, name=body.name, now=clock.now())
    await audit_trail("api.voice_language.add", org_id=None, target=f"voice_language:{language.code}")
    return LanguageOut(code=language.code, name=language.name)


@router.put("/voice-languages/mine", summary="The language the caller listens in (👤 Hồ sơ)")
async def choose_language(body: ListenLanguageIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                          audit_trail: AuditDep) -> LanguageOut:
    language = await service.set_listen_language(session, member=actor.member, code=body.code, now=clock.now())
    await audit_trail("api.voice_language.choose", org_id=None, target=f"voice_language:{language.code}")
    return LanguageOut(code=language.code, name=language.name)


@router.get("/documents/{document_id}/recordings", summary="The recordings of a document's summary, by language")
async def list_recordings(document_id: DocumentId, session: SessionDep, actor: CurrentActor) -> list[RecordingOut]:
    await service.recordable(session, actor=actor, document_id=document_id)
    return _listing(await service.recordings_of(session, document_id=document_id), await service.language_names(session))


@router.put(
    "/documents/{document_id}/recordings/{language}", responses=error_responses(413),
    summary="Upload a person's reading of the summary (OGG/Opus, MP3, WAV or FLAC, ≤ 20 MB, ≤ 30 min); replaces the one in that "
            "language and, for a published document, goes at once to the listeners it serves",
)
async def upload_recording(
    document_id: DocumentId, language: str, session: SessionDep, actor: CurrentActor, clock: ClockDep, runtime: RuntimeDep,
    audit_trail: AuditDep, file: Annotated[UploadFile, File(description="The recording")],
) -> RecordingOut:
    await service.recordable(session, actor=actor, document_id=document_id)  # refuse before reading 20 MB
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, texts.recordings.TOO_BIG)
    audio = await asyncio.to_thread(prepare_recording, data)
    result = await service.add_recording(
        session, actor=actor, document_id=document_id, language=language, audio=audio,
        store_dir=runtime.settings.data_dir / "recordings", now=clock.now(),
    )
    await audit_trail("api.recording.upload", org_id=None, target=f"document:{document_id}",
                      detail={"language": language, "seconds": audio.duration})
    recording = result.recording
    return RecordingOut(language=recording.language, language_name=result.language_name, duration=recording.duration,
                        size=recording.size, recorded_by_id=recording.recorded_by_id, queued=result.queued)


@router.post("/documents/{document_id}/readers", status_code=status.HTTP_201_CREATED,
             summary="Ask a member of the document's reach to record it (they get a message with the 🎙 button)")
async def name_reader(document_id: DocumentId, body: ReaderIn, session: SessionDep, actor: CurrentActor, clock: ClockDep,
                      audit_trail: AuditDep) -> dict[str, int]:
    reader = await service.name_reader(session, actor=actor, document_id=document_id, member_id=body.member_id, now=clock.now())
    await audit_trail("api.recording.reader", org_id=reader.org_id, target=f"document:{document_id}", detail={"member_id": reader.id})
    return {"member_id": reader.id}


# ---------------------------------------------------------------- notices and meeting conclusions


def _listing(recorded: dict[str, Recording], names: dict[str, str]) -> list[RecordingOut]:
    return [RecordingOut(language=code, language_name=names.get(code, code), duration=r.duration, size=r.size, recorded_by_id=r.recorded_by_id,
                         queued=None)
            for code, r in sorted(recorded.items())]


async def _subject_upload(
    session: SessionDep, actor: Actor, runtime: RuntimeDep, *, kind: str, subject_id: int, language: str, file: UploadFile, now: dt.datetime,
) -> RecordingOut:
    await subjects.recordable(session, actor=actor, kind=kind, subject_id=subject_id)  # refuse before reading 20 MB
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, texts.recordings.TOO_BIG)
    audio = await asyncio.to_thread(prepare_recording, data)
    result = await subjects.add_recording(session, actor=actor, kind=kind, subject_id=subject_id, language=language, audio=audio,
                                          store_dir=runtime.settings.data_dir / "recordings", now=now)
    recording = result.recording
    return RecordingOut(language=recording.language, language_name=result.language_name, duration=recording.duration,
                        size=recording.size, recorded_by_id=recording.recorded_by_id, queued=result.queued)


@router.get("/notices/{notice_id}/recordings", summary="The recordings of a notice, by language (its author and managers)")
async def list_notice_recordings(notice_id: NoticeId, session: SessionDep, actor: CurrentActor) -> list[RecordingOut]:
    recorded = await subjects.recordings(session, actor=actor, kind=SubjectKind.NOTICE, subject_id=notice_id)
    return _listing(recorded, await service.language_names(session))


@router.put(
    "/notices/{notice_id}/recordings/{language}", responses=error_responses(409, 413),
    summary=f"Upload a person's reading of a notice ({UPLOAD_FORMATS}); replaces the one in that language and goes at once "
            "to the recipients who listen and whom it serves (their language, else Vietnamese)",
)
async def upload_notice_recording(
    notice_id: NoticeId, language: LanguageCode, session: SessionDep, actor: CurrentActor, clock: ClockDep, runtime: RuntimeDep,
    audit_trail: AuditDep, file: Annotated[UploadFile, File(description="The recording")],
) -> RecordingOut:
    out = await _subject_upload(session, actor, runtime, kind=SubjectKind.NOTICE, subject_id=notice_id, language=language, file=file,
                                now=clock.now())
    await audit_trail("api.recording.upload", org_id=None, target=f"notice:{notice_id}", detail={"language": language, "seconds": out.duration})
    return out


@router.get("/meetings/{meeting_id}/conclusions/recordings", summary="The recordings of a meeting's conclusions, by language")
async def list_conclusions_recordings(meeting_id: MeetingId, session: SessionDep, actor: CurrentActor) -> list[RecordingOut]:
    recorded = await subjects.recordings(session, actor=actor, kind=SubjectKind.CONCLUSIONS, subject_id=meeting_id)
    return _listing(recorded, await service.language_names(session))


@router.put(
    "/meetings/{meeting_id}/conclusions/recordings/{language}", responses=error_responses(409, 413),
    summary=f"Upload a person's reading of a meeting's conclusions ({UPLOAD_FORMATS}); goes at once to the absent members "
            "who listen and whom it serves. Conclusions sent again start without recordings.",
)
async def upload_conclusions_recording(
    meeting_id: MeetingId, language: LanguageCode, session: SessionDep, actor: CurrentActor, clock: ClockDep, runtime: RuntimeDep,
    audit_trail: AuditDep, file: Annotated[UploadFile, File(description="The recording")],
) -> RecordingOut:
    out = await _subject_upload(session, actor, runtime, kind=SubjectKind.CONCLUSIONS, subject_id=meeting_id, language=language,
                                file=file, now=clock.now())
    await audit_trail("api.recording.upload", org_id=None, target=f"meeting:{meeting_id}:conclusions",
                      detail={"language": language, "seconds": out.duration})
    return out
