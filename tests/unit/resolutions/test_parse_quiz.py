"""A quiz typed at a desk (the console): blocks separated by a blank line, the right option starred."""

import pytest

from core import texts
from core.errors import InvalidInput
from core.resolutions.study import MAX_QUESTIONS, parse_quiz


def test_blocks_become_questions_with_the_starred_option_right() -> None:
    quiz = parse_quiz("Mục tiêu đến năm nào?\r\nA. 2025\r\n* B. 2030\r\n\r\n\r\nTỉ lệ?\n- Trên 50%\n*Trên 75%\n")
    assert [(q.text, q.options, q.correct) for q in quiz] == [
        ("Mục tiêu đến năm nào?", ["2025", "2030"], 1), ("Tỉ lệ?", ["Trên 50%", "Trên 75%"], 1)]
    assert parse_quiz("  \n ") == []


@pytest.mark.parametrize("text", ["Câu?\n2025\n2030", "Câu?\n*2025\n*2030"])
def test_one_right_option_exactly(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_quiz(text)
    assert refused.value.message == texts.resolutions.QUIZ_MARK_ONE_CORRECT.format(question="Câu?")


def test_the_questions_own_rules_still_apply() -> None:
    with pytest.raises(InvalidInput, match="trùng"):
        parse_quiz("Câu?\n*Một\nmột")
    with pytest.raises(InvalidInput):
        parse_quiz("\n\n".join(f"Câu {n}?\n*A\nB" for n in range(MAX_QUESTIONS + 1)))
