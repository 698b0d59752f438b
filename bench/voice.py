"""`python -m bench.voice`: a ~1,000-word resolution summary through the voice pipeline.

Per engine and speed: seconds to normalise, synthesise and encode, minutes of audio, bytes per
minute, bitrate, and the render through `VoiceRenderer` cold (synthesis) and warm (cache hit).
gTTS cannot be timed here (Google is unreachable); what can be measured offline is reported: how
many requests the summary needs and the client-side cost per request against the recorded
response. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

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


async def main() -> None:
    loads = os.getloadavg()
    results = [await measure_espeak("normal"), await measure_espeak("slow"), await measure_gtts_offline()]
    print(json.dumps({"benchmark": "voice", "cpus": os.cpu_count(), "load_average_1min": round(loads[0], 2),
                      "engines": results}, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
