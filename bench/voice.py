"""`python -m bench.voice`: normalisation, synthesis and encoding of a ~1,000-word summary.

Prints one JSON object: per engine, seconds for each stage, audio minutes and bytes per minute.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time

from voice.engines import EspeakSpeaker, Pcm
from voice.normalize import normalize
from voice.opus import encode_voice
from voice.service import split_parts

PARAGRAPHS = [
    "Thực hiện Nghị quyết số 21-NQ/TW ngày 16/6/2022 của Ban Chấp hành Trung ương Đảng khóa XIII về tăng cường củng cố, "
    "xây dựng tổ chức cơ sở đảng và nâng cao chất lượng đội ngũ đảng viên trong giai đoạn mới, Đảng bộ xã đã ban hành "
    "Kế hoạch 12-KH/ĐU ngày 04/8/2022 và chỉ đạo 43 chi bộ trực thuộc tổ chức quán triệt đến 938 đảng viên.",
    "Năm 2025, toàn Đảng bộ kết nạp 27 đảng viên mới, đạt 135% chỉ tiêu; 98,5% đảng viên được xếp loại hoàn thành tốt "
    "nhiệm vụ trở lên; tỷ lệ chi bộ sinh hoạt thường kỳ đúng quy định đạt 100%. Thu nhập bình quân đầu người đạt "
    "42.500.000 đồng mỗi năm, tăng 3,2 triệu đồng so với năm 2024.",
    "Theo Quy định 339-QĐ/TW, mỗi đảng viên được cập nhật chín trường thông tin trên Sổ tay đảng viên điện tử; "
    "BCH Đảng bộ giao Văn phòng Đảng ủy phối hợp với UBND xã, MTTQ và các đoàn thể hướng dẫn đảng viên cài đặt, "
    "sử dụng, bảo đảm an toàn thông tin và bí mật nhà nước.",
    "Chi bộ sinh hoạt thường kỳ vào ngày mùng 4 hằng tháng, bắt đầu lúc 19h30; sinh hoạt chuyên đề ít nhất mỗi quý "
    "một lần. Đảng viên cao tuổi, sức khỏe yếu được miễn sinh hoạt theo Hướng dẫn 02-HD/BTCTW, nhưng vẫn được "
    "thông tin đầy đủ về nghị quyết, chủ trương của Đảng và chính sách, pháp luật của Nhà nước.",
    "Hội nghị Trung ương lần thứ 8 khóa XIII đã thảo luận và cho ý kiến về các văn kiện trình Đại hội XIV của Đảng; "
    "giai đoạn 2026-2030 đặt mục tiêu tốc độ tăng trưởng kinh tế bình quân 10% mỗi năm, phát triển KT-XH nhanh, bền vững, "
    "giữ vững QP-AN, nâng cao đời sống vật chất và tinh thần của nhân dân.",
    "Các chi bộ thôn vùng cao chú trọng đổi mới phương thức học tập nghị quyết: đọc tóm tắt bằng giọng nói, "
    "tổ chức thảo luận nhóm nhỏ, gắn nghị quyết với việc làm cụ thể như phát triển cây quế, cây sơn tra, "
    "chăn nuôi đại gia súc, giữ rừng đầu nguồn và xây dựng nông thôn mới.",
]
SUMMARY = " ".join(PARAGRAPHS * 3)  # about 1,100 words


async def measure_espeak(text: str) -> dict[str, float | int | str]:
    speaker = EspeakSpeaker()
    started = time.perf_counter()
    spoken = normalize(text)
    normalise_seconds = time.perf_counter() - started
    parts = split_parts(spoken, speed="normal")
    synth_seconds = encode_seconds = 0.0
    total_bytes = 0
    audio_seconds = 0.0
    for part in parts:
        started = time.perf_counter()
        pcm: Pcm = await speaker.synthesize(part, voice="vi", speed="normal")
        synth_seconds += time.perf_counter() - started
        started = time.perf_counter()
        encoded = encode_voice(pcm)
        encode_seconds += time.perf_counter() - started
        total_bytes += len(encoded.data)
        audio_seconds += encoded.duration_seconds
    return {
        "engine": "espeak",
        "words": len(text.split()),
        "normalise_seconds": round(normalise_seconds, 4),
        "synthesis_seconds": round(synth_seconds, 3),
        "encoding_seconds": round(encode_seconds, 3),
        "parts": len(parts),
        "audio_minutes": round(audio_seconds / 60, 2),
        "bytes": total_bytes,
        "bytes_per_minute": round(total_bytes / (audio_seconds / 60)),
        "kbps": round(total_bytes * 8 / 1000 / audio_seconds, 1),
        "realtime_factor": round(audio_seconds / (synth_seconds + encode_seconds), 1),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory():
        espeak = await measure_espeak(SUMMARY)
    print(json.dumps({
        "engines": [espeak, {"engine": "gtts", "available": False, "reason": "Google's endpoint is not reachable from this machine"}],
    }, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
