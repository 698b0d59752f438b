"""`python -m bench.voice [--runs 3] [--taps 5] [--skip-engines]`: the voice pipeline and what a member waits.

Prints JSON lines, each with the machine's load (1-minute load average, cores):

1. `engines`: a ~1,100-word resolution summary per engine and speed: seconds to normalise,
   synthesise and encode, minutes of audio, bytes per minute, bitrate, the render through
   `VoiceRenderer` cold (synthesis) and warm (cache hit). gTTS cannot be timed here (Google is
   unreachable): the requests the summary needs and the client-side cost per request against
   the recorded response.
2. `synthesis_300`: a 300-word summary synthesised, normalised (loudness) and encoded to OGG/Opus
   through `VoiceRenderer` with an empty cache, wall and CPU seconds (every thread of the
   process), with libopus called directly and with libsndfile's encoder (the fallback).
3. `presynthesis`: a 300-word notice published to a cell whose listeners chose three variants:
   seconds from the publishing transaction's commit until the background worker has cached all three.
4. `tap`: through the real bot, polling the sandbox (a local Telegram Bot API) over HTTP: a
   sandbox person presses «🔊 Nghe» under the notice and the time until the voice note is in
   their chat. `cached` (read ahead: the first press uploads the file, the next ones send it by
   Telegram's file id), `uncached` (another 300-word notice nobody read ahead: synthesis in the
   tap), and `cached_during_presynthesis` (a cached press while the worker reads another
   notice ahead: the bot is not starved).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from voice.engines import (
    EspeakSpeaker,
    GttsSpeaker,
    HttpReply,
    HttpRequest,
    split_for_gtts,
)
from voice.normalize import normalize
from voice.opus import encode_voice
from voice.service import VoiceRenderer, split_parts

SUMMARY = """\
TÓM TẮT NGHỊ QUYẾT HỘI NGHỊ LẦN THỨ TÁM BAN CHẤP HÀNH ĐẢNG BỘ XÃ KHÓA XIV, NHIỆM KỲ 2025-2030
I. TÌNH HÌNH VÀ KẾT QUẢ
Ngày 12/02/2026, BCH Đảng bộ xã họp Hội nghị lần thứ 8 để quán triệt Nghị quyết số 21-NQ/TW ngày 16/6/2022 \
của BCH Trung ương Đảng khóa XIII về tăng cường củng cố, xây dựng tổ chức cơ sở đảng và nâng cao chất lượng \
đội ngũ đảng viên trong giai đoạn mới, Quy định 339-QĐ/TW về quản lý đảng viên và Kế hoạch 98-KH/HU của Ban \
Thường vụ Huyện ủy. Dự hội nghị có 19/21 đồng chí Ủy viên BCH, đạt 90,5%; đồng chí Bí thư Đảng ủy chủ trì.
Năm 2025, toàn Đảng bộ có 43 tổ chức cơ sở đảng với 938 đảng viên, trong đó 112 đảng viên được miễn sinh hoạt. \
Đảng bộ kết nạp 27 đảng viên mới, đạt 135% chỉ tiêu Nghị quyết; 98,5% đảng viên được xếp loại hoàn thành tốt \
nhiệm vụ trở lên; không có đảng viên vi phạm đến mức phải xử lý kỷ luật. Tỷ lệ chi bộ sinh hoạt thường kỳ đúng \
quy định đạt 100%, tỷ lệ đảng viên dự sinh hoạt bình quân đạt 92,3%, tăng 4,1% so với năm 2024.
Kinh tế tiếp tục tăng trưởng khá. Tổng giá trị sản xuất ước đạt 1.250 tỷ đồng; thu nhập bình quân đầu người \
đạt 42.500.000 đồng/người/năm, tăng 3,2 triệu đồng so với năm trước. Toàn xã trồng mới 320 ha quế và 150 ha \
rừng sản xuất; tỷ lệ che phủ rừng đạt 61,7%. Tỷ lệ hộ nghèo giảm từ 18,4% xuống còn 13,9%, vượt 1,5% so với \
kế hoạch; 100% hộ nghèo được cấp thẻ BHYT. Xã hoàn thành 12 km đường giao thông nông thôn, 3 nhà văn hóa thôn \
và 1 điểm trường mầm non, với tổng vốn đầu tư 18.600.000.000 đồng.
Công tác phát triển đảng viên có chuyển biến: 27 đảng viên mới đều dưới 35 tuổi, 11 đồng chí là người dân \
tộc Mông, Dao; 6 chi bộ thôn trước đây nhiều năm không kết nạp được đảng viên nay đã kết nạp. Đảng bộ xét \
công nhận đảng viên chính thức cho 19/19 đảng viên dự bị đủ điều kiện; trao Huy hiệu 30, 40, 50 năm tuổi \
Đảng cho 24 đồng chí nhân dịp kỷ niệm 95 năm Ngày thành lập Đảng (3/2/1930 - 3/2/2025). Chi bộ bản Nậm \
Nhừ, nơi sóng điện thoại yếu, được hỗ trợ 1 điểm truy cập Internet tại nhà văn hóa để đảng viên nhận thông \
báo mời họp và tài liệu trên điện thoại.
Công tác bảo đảm QP-AN được giữ vững; Ban Chỉ huy Quân sự xã tổ chức huấn luyện cho 45 chiến sĩ dân quân; \
tình hình an ninh chính trị, trật tự an toàn xã hội ổn định, không để xảy ra điểm nóng.
Bên cạnh kết quả đạt được, vẫn còn hạn chế: chất lượng sinh hoạt ở một số chi bộ thôn vùng cao chưa cao, \
nội dung còn đơn điệu; 2/3 số chi bộ chưa tổ chức sinh hoạt chuyên đề đủ 4 lần trong năm; việc học tập nghị \
quyết của đảng viên cao tuổi, đảng viên là người dân tộc thiểu số còn gặp khó khăn do sóng 4G yếu và nhiều \
đồng chí đọc chữ phổ thông chưa thạo.
II. MỤC TIÊU, NHIỆM VỤ NĂM 2026
Hội nghị thống nhất mục tiêu: xây dựng Đảng bộ trong sạch, vững mạnh; phấn đấu đến ngày 31/12/2026 có ít \
nhất 85% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên, kết nạp từ 25-30 đảng viên mới, tốc độ tăng \
trưởng giá trị sản xuất đạt 10% mỗi năm, giảm tỷ lệ hộ nghèo từ 3-4% và xây dựng thêm 2 thôn đạt chuẩn NTM \
kiểu mẫu trong giai đoạn 2026-2030.
Thứ nhất, đổi mới nội dung, phương thức sinh hoạt chi bộ. Chi bộ sinh hoạt thường kỳ vào ngày mùng 4 hằng \
tháng, bắt đầu lúc 19h30; sinh hoạt chuyên đề ít nhất mỗi quý một lần theo Hướng dẫn 12-HD/BTCTW. Tài liệu \
họp được gửi trước qua Sổ tay đảng viên điện tử để đảng viên đọc và nghe trước khi đến họp.
Thứ hai, đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh gắn với Chỉ thị 05-CT/TW. \
Mỗi đảng viên đăng ký ít nhất 1 việc làm cụ thể; chi bộ đánh giá kết quả vào Quý IV/2026.
Thứ ba, nâng cao chất lượng học tập nghị quyết. Các chi bộ thôn vùng cao tổ chức nghe tóm tắt nghị quyết \
bằng giọng nói, thảo luận nhóm nhỏ từ 5-7 người, có đảng viên trẻ hỗ trợ đảng viên cao tuổi. Đảng ủy tổ chức \
hội thi tìm hiểu Nghị quyết Đại hội XIV của Đảng từ 01/7/2026 đến 15/7/2026.
Thứ tư, phát triển kinh tế gắn với giữ rừng. Khuyến khích thành lập thêm 2 HTX trồng và chế biến quế, sơn \
tra; phối hợp với UBND xã, MTTQ và các đoàn thể vận động nhân dân chuyển đổi cây trồng trên 200 ha đất dốc; \
mỗi năm trồng mới ít nhất 100 ha rừng.
Thứ năm, tăng cường công tác kiểm tra, giám sát theo Quy định 22-QĐ/TW; thực hiện nghiêm việc đảng viên \
thường xuyên giữ mối liên hệ với chi ủy và nhân dân nơi cư trú; kịp thời biểu dương đảng viên tiêu biểu.
III. TỔ CHỨC THỰC HIỆN
Ban Thường vụ Đảng ủy ban hành Kế hoạch 12-KH/ĐU triển khai Nghị quyết trước ngày 28/02/2026. Các chi bộ \
tổ chức quán triệt đến 100% đảng viên trong tháng 3/2026; đảng viên vắng họp được gửi kết luận và bản ghi \
âm tóm tắt. Văn phòng Đảng ủy theo dõi, tổng hợp, báo cáo BTV Đảng ủy định kỳ 6 tháng, 1 năm.
Đ/c nào cần hỗ trợ cài đặt Sổ tay đảng viên điện tử liên hệ đồng chí Phó Bí thư thường trực qua số \
0912 345 678 trong giờ hành chính, từ 7h30 đến 11h30 và từ 13h30 đến 17h, các ngày từ thứ 2 đến thứ 6.
"""


async def measure_espeak(speed: str) -> dict[str, Any]:
    speaker = EspeakSpeaker()
    started = time.perf_counter()
    spoken = normalize(SUMMARY)
    normalise_seconds = time.perf_counter() - started
    parts = split_parts(spoken, speed=speed)
    synthesis_seconds = encoding_seconds = synthesis_cpu = encoding_cpu = audio_seconds = 0.0
    total_bytes = 0
    for part in parts:
        # CPU seconds as well as wall seconds: on a shared machine only the former are stable.
        started, started_cpu = time.perf_counter(), time.process_time()
        pcm = await speaker.synthesize(part, voice="vi", speed=speed)
        synthesis_seconds += time.perf_counter() - started
        synthesis_cpu += time.process_time() - started_cpu
        started, started_cpu = time.perf_counter(), time.process_time()
        note = encode_voice(pcm)
        encoding_seconds += time.perf_counter() - started
        encoding_cpu += time.process_time() - started_cpu
        total_bytes += len(note.data)
        audio_seconds += note.duration_seconds

    with tempfile.TemporaryDirectory() as cache_dir:
        renderer = VoiceRenderer(EspeakSpeaker(), cache_dir)
        started = time.perf_counter()
        notes = await renderer.render(SUMMARY, voice="vi", speed=speed)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        await renderer.render(SUMMARY, voice="vi", speed=speed)
        warm = time.perf_counter() - started

    return {
        "engine": "espeak",
        "speed": speed,
        "available": True,
        "words": len(SUMMARY.split()),
        "spoken_words": len(spoken.split()),
        "normalise_seconds": round(normalise_seconds, 4),
        "synthesis_seconds": round(synthesis_seconds, 3),
        "encoding_seconds": round(encoding_seconds, 3),
        "synthesis_cpu_seconds": round(synthesis_cpu, 3),
        "encoding_cpu_seconds": round(encoding_cpu, 3),
        "parts": len(parts),
        "part_minutes": [round(n.duration_seconds / 60, 2) for n in notes],
        "audio_minutes": round(audio_seconds / 60, 2),
        "syllables_per_minute": round(len(spoken.split()) / (audio_seconds / 60)),
        "bytes": total_bytes,
        "bytes_per_minute": round(total_bytes / (audio_seconds / 60)),
        "kbps": round(total_bytes * 8 / 1000 / audio_seconds, 1),
        "synthesis_realtime_factor_per_cpu": round(audio_seconds / synthesis_cpu),
        "encoding_realtime_factor_per_cpu": round(audio_seconds / encoding_cpu, 1),
        "render_cold_seconds": round(cold, 2),
        "render_warm_seconds": round(warm, 4),
    }


async def measure_gtts_offline() -> dict[str, Any]:
    """Only the client side: Google's latency, rate limits and audio cannot be measured offline."""
    recorded = (Path(__file__).resolve().parent.parent / "tests/unit/voice/fixtures/gtts_batchexecute.txt").read_bytes()

    def replay(request: HttpRequest, timeout: float) -> HttpReply:
        return HttpReply(200, recorded)

    spoken = normalize(SUMMARY)
    chunks = split_for_gtts(spoken)
    speaker = GttsSpeaker(replay)
    started = time.perf_counter()
    await speaker.synthesize(spoken, voice="vi", speed="normal")
    client_seconds = time.perf_counter() - started
    return {
        "engine": "gtts",
        "available": False,
        "reason": "Google's endpoint is unreachable from this machine; audio figures need a real response",
        "requests_needed": len(chunks),
        "mean_chunk_chars": round(sum(map(len, chunks)) / len(chunks), 1),
        "client_seconds_per_request_replayed": round(client_seconds / len(chunks), 4),
    }


TOKEN = "7000023:BENCHvoiceTapLatency000000000000000"
LISTENER = 1003  # cell A's first member (tests/factories.py): listens slowly in the southern voice
DEPUTY = 1002  # Vietnamese voice, normal speed


def load() -> dict[str, Any]:
    one, five, _ = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "cores": os.cpu_count()}


def emit(**fields: Any) -> None:
    print(json.dumps({"benchmark": "voice", **fields, **load()}, ensure_ascii=False), flush=True)


def words(count: int, *, offset: int = 0) -> str:
    """`count` words of the summary's running text (headings left out), from word `offset` on."""
    body = " ".join(line for line in SUMMARY.splitlines() if not line.isupper())
    tokens = body.split()
    return " ".join((tokens[offset:] + tokens)[:count])


async def measure_synthesis_300(runs: int) -> None:
    from voice import ogg

    text = words(300)
    for encoder in ("libopus", "libsndfile"):
        if encoder == "libopus" and not ogg.available():
            emit(phase="synthesis_300", encoder=encoder, available=False)
            continue
        original = ogg.available
        ogg.available = (lambda: True) if encoder == "libopus" else (lambda: False)  # type: ignore[assignment]
        try:
            walls, cpus, audio, parts = [], [], 0.0, 0
            for _ in range(runs):
                with tempfile.TemporaryDirectory() as cache_dir:
                    renderer = VoiceRenderer(EspeakSpeaker(), cache_dir)
                    started, started_cpu = time.perf_counter(), time.process_time()
                    notes = await renderer.render(text, voice="vi", speed="normal")
                    walls.append(time.perf_counter() - started)
                    cpus.append(time.process_time() - started_cpu)
                    audio, parts = sum(n.duration_seconds for n in notes), len(notes)
        finally:
            ogg.available = original  # type: ignore[assignment]
        emit(phase="synthesis_300", encoder=encoder, words=300, runs=runs, parts=parts, audio_seconds=round(audio, 1),
             wall_seconds_median=round(statistics.median(walls), 2), wall_seconds_min=round(min(walls), 2),
             cpu_seconds_median=round(statistics.median(cpus), 2),
             realtime_factor_per_cpu_second=round(audio / statistics.median(cpus), 1))


# ---------------------------------------------------------------- the bot, the sandbox, the worker


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class World:
    """A seeded SQLite database, the sandbox, the bot polling it, and the read-ahead worker."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.shown: dict[tuple[int, int], int] = {}

    async def start(self) -> None:
        from bot.dispatcher import build_dispatcher, create_bot
        from core.clock import SystemClock
        from core.crypto import FieldCipher
        from core.db import create_engine, create_session_factory, transaction
        from core.models import metadata
        from core.orgs.models import SpeechSpeed
        from core.recordings.presynthesis import Presynthesiser
        from tests.factories import make_commune

        self.clock = SystemClock()
        self.engine = create_engine(f"sqlite+aiosqlite:///{self.folder / 'bench.db'}")
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        self.factory = create_session_factory(self.engine)
        cipher = FieldCipher("bench-secret-key-that-is-long-enough-0123456789")
        async with transaction(self.factory) as session:
            commune = await make_commune(session, cipher)
            cell = commune.cells[0]
            slow, central = cell.members[0], cell.members[1]
            slow.voice_name, slow.speech_speed = "vi-vn-x-south", SpeechSpeed.SLOW
            central.voice_name = "vi-vn-x-central"
            self.org_id, self.secretary_id = cell.org.id, cell.secretary.id
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOTAY_")}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
        self.sandbox = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--token", TOKEN], env=env,
                                        stdout=(self.folder / "sandbox.log").open("wb"), stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        self.http = httpx.AsyncClient(base_url=self.base, timeout=60)
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if (await self.http.get("/sandbox/health")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
        for user in (DEPUTY, LISTENER):
            await self.http.post("/sandbox/users", json={"id": user, "first_name": f"Đảng viên {user}"})
        self.renderer = VoiceRenderer(EspeakSpeaker(), self.folder / "audio")
        self.bot = create_bot(TOKEN, self.base)
        self.dispatcher = build_dispatcher(session_factory=self.factory, cipher=cipher, clock=self.clock, files_dir=self.folder / "files",
                                           voice_renderer=self.renderer, settings=SimpleNamespace(data_dir=self.folder, tts="espeak"))
        self.polling = asyncio.create_task(self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False,
                                                                         polling_timeout=10))
        self.presynthesiser = Presynthesiser(self.factory, self.renderer, self.clock, poll_seconds=0.05)
        self.worker_stop = asyncio.Event()
        self.worker = asyncio.create_task(self.presynthesiser.run(self.worker_stop))

    async def stop(self) -> None:
        self.worker_stop.set()
        await self.worker
        with contextlib.suppress(RuntimeError):
            await self.dispatcher.stop_polling()
        await asyncio.wait_for(self.polling, 15)
        await self.bot.session.close()
        await self.http.aclose()
        await self.engine.dispose()
        self.sandbox.terminate()
        self.sandbox.wait(10)

    async def publish(self, text: str) -> int:
        from core.db import transaction
        from core.notices import service as notices
        from core.orgs.models import Member
        from core.orgs.service import load_actor

        async with transaction(self.factory) as session:
            secretary = await session.get(Member, self.secretary_id)
            assert secretary is not None
            notice = await notices.create_notice(session, actor=await load_actor(session, secretary), org_id=self.org_id, text=text,
                                                 now=self.clock.now())
            return notice.id

    async def read_ahead_done(self, notice_id: int) -> None:
        from sqlalchemy import select

        from core.listening.models import VoicePresynthesis

        while True:
            async with self.factory() as session:
                done = await session.scalar(select(VoicePresynthesis.done_at).where(
                    VoicePresynthesis.subject_kind == "notice", VoicePresynthesis.subject_id == notice_id))
            if done is not None:
                return
            await asyncio.sleep(0.02)

    async def tap(self, user: int, notice_id: int) -> tuple[float, float]:
        """Press «🔊 Nghe» under the notice as the sandbox person; (seconds to the first voice note,
        to the last part)."""
        from aiogram.utils.keyboard import InlineKeyboardBuilder

        if (user, notice_id) not in self.shown:  # the notice's message with its «🔊 Nghe», as members get it
            markup = InlineKeyboardBuilder()
            markup.button(text="🔊 Nghe", callback_data=f"rs:listen:notice:{notice_id}:")
            self.shown[(user, notice_id)] = (await self._send_paced(user, f"Thông báo {notice_id}", markup.as_markup())).message_id
        # Telegram's (and the sandbox's) one message a second per chat, with a burst of 3: the chat's
        # budget must be full again (the notice itself, the previous tap's parts), so the figure holds
        # no flood wait left over from before the press.
        await asyncio.sleep(3.3)
        message_id = self.shown[(user, notice_id)]
        version = (await self.http.get(f"/sandbox/bots/{TOKEN}/chats/{user}", params={"after": 0})).json()["version"]
        started = time.perf_counter()
        pressed = asyncio.create_task(self.http.post(f"/sandbox/bots/{TOKEN}/users/{user}/press",
                                                     json={"message_id": message_id, "data": f"rs:listen:notice:{notice_id}:"}))
        first = last = 0.0
        parts = expected = 0
        while not expected or parts < expected:
            answer = (await self.http.get(f"/sandbox/bots/{TOKEN}/chats/{user}", params={"after": version, "wait": 30})).json()
            version = answer["version"]
            for message in answer["messages"]:
                if (message.get("attachment") or {}).get("kind") == "voice":
                    parts += 1
                    last = time.perf_counter() - started
                    first = first or last
                    expected = expected or self._parts_of(message)
        await pressed
        return first, last

    async def _send_paced(self, user: int, text: str, markup: Any) -> Any:
        """The bench's own message, sent as any bot must: after the flood wait the Bot API asks for
        (the outbox may just have delivered the notice to this chat)."""
        from aiogram.exceptions import TelegramRetryAfter

        while True:
            try:
                return await self.bot.send_message(user, text, reply_markup=markup)
            except TelegramRetryAfter as flood:
                await asyncio.sleep(flood.retry_after + 0.1)

    @staticmethod
    def _parts_of(message: dict[str, Any]) -> int:
        import re

        found = re.search(r"\((\d+)/(\d+)\)", message.get("caption") or message.get("text") or "")
        return int(found.group(2)) if found else 1


async def measure_bot(taps: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sotay-bench-voice-") as folder:
        world = World(Path(folder))
        await world.start()
        try:
            started, started_cpu = time.perf_counter(), time.process_time()
            notice_id = await world.publish(words(300))
            await world.read_ahead_done(notice_id)
            emit(phase="presynthesis", words=300, variants=world.presynthesiser.stats.variants,
                 seconds_after_publish=round(time.perf_counter() - started, 2), cpu_seconds=round(time.process_time() - started_cpu, 2))

            cached = [await world.tap(LISTENER, notice_id) for _ in range(taps)]
            emit(phase="tap", case="cached", taps=taps, first_upload_seconds=round(cached[0][0], 3),
                 by_file_id_seconds_median=round(statistics.median(t for t, _ in cached[1:]), 3) if taps > 1 else None,
                 all_seconds=[round(t, 3) for t, _ in cached])

            world.worker_stop.set()  # nobody reads ahead now: the tap synthesises
            await world.worker
            uncached = []
            for index in range(taps):
                fresh = await world.publish(words(300, offset=37 * (index + 1)))
                uncached.append(await world.tap(DEPUTY, fresh))
            emit(phase="tap", case="uncached", taps=taps, words=300,
                 first_voice_seconds_median=round(statistics.median(f for f, _ in uncached), 3),
                 first_voice_seconds=[round(f, 3) for f, _ in uncached])

            world.worker_stop = asyncio.Event()
            world.worker = asyncio.create_task(world.presynthesiser.run(world.worker_stop))
            during = []
            for index in range(taps):
                await world.publish(words(300, offset=11 * (index + 1) + 500))  # read ahead in the background…
                await asyncio.sleep(0.1)
                during.append(await world.tap(LISTENER, notice_id))  # …while a member plays a cached one
            emit(phase="tap", case="cached_during_presynthesis", taps=taps,
                 seconds_median=round(statistics.median(f for f, _ in during), 3), all_seconds=[round(f, 3) for f, _ in during])
        finally:
            await world.stop()


async def main(args: argparse.Namespace) -> None:
    if not args.skip_engines:
        results = [await measure_espeak("normal"), await measure_espeak("slow"), await measure_gtts_offline()]
        emit(phase="engines", engines=results)
    if args.runs:
        await measure_synthesis_300(args.runs)
    await measure_bot(args.taps)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.voice")
    parser.add_argument("--runs", type=int, default=3, help="cold renders of the 300-word summary per encoder (0: none)")
    parser.add_argument("--taps", type=int, default=5, help="presses per case through the bot")
    parser.add_argument("--skip-engines", action="store_true", help="leave out the ~1,100-word engine figures")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
