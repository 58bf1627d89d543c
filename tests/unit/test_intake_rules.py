"""Intake's domain rules: tracking codes and what a submission must contain."""
import pytest

from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.tracking import (
    ALPHABET,
    is_valid_tracking_code,
    new_tracking_code,
    normalise,
)
from giaitrinh_intake.domain.validation import problems_with


def test_new_tracking_codes_are_valid_and_differ():
    codes = {new_tracking_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(is_valid_tracking_code(c) for c in codes)


def test_a_codes_body_is_its_forty_random_bits_five_to_a_symbol_first_bits_first():
    def body(random: bytes) -> str:
        code = new_tracking_code(lambda n: random[:n])
        assert is_valid_tracking_code(code)
        return code[3:7] + code[8:12]

    assert body(bytes(5)) == "00000000"
    assert body(b"\xff" * 5) == "ZZZZZZZZ"
    assert body((1 << 35).to_bytes(5, "big")) == "10000000"
    assert body(sum(1 << (5 * i) for i in range(8)).to_bytes(5, "big")) == "11111111"
    # Every symbol value at every place: each of the 32 symbols is one 5-bit value.
    for value, symbol in enumerate(ALPHABET):
        assert body(sum(value << (5 * i) for i in range(8)).to_bytes(5, "big")) == symbol * 8


def test_a_new_code_reads_the_secure_source_once():
    reads = []

    def source(n: int) -> bytes:
        reads.append(n)
        return bytes(range(n))

    new_tracking_code(source)
    assert reads == [5]


def test_any_single_mistyped_symbol_is_caught_by_the_check_symbol():
    code = new_tracking_code()
    positions = [i for i, ch in enumerate(code) if ch != "-" and i > 2]  # body and check
    for i in positions:
        for wrong in ALPHABET:
            if wrong != code[i]:
                assert not is_valid_tracking_code(code[:i] + wrong + code[i + 1:])


def test_look_alike_letters_typed_by_people_are_read_as_digits():
    assert normalise(" gt-oo1l-abcd-e ") == "GT-0011-ABCD-E"


def _cmd(**kw):
    base = dict(kind="feedback", channel="api", field="land", locality_code="18880",
                title="Đèn đường", content="Đèn đường hỏng")
    return SubmitRequest(**{**base, **kw})


def test_anonymous_feedback_is_acceptable():
    assert problems_with(_cmd(), locality_known=True) == []


def test_an_accountability_request_must_name_the_requester_and_where_to_answer():
    problems = problems_with(_cmd(kind="accountability_request"), locality_known=True)
    assert {p.field for p in problems} == {"full_name", "address"}
    assert all("Điều 10" in p.vi for p in problems)


def test_an_accountability_request_with_name_and_phone_is_acceptable():
    cmd = _cmd(kind="accountability_request", full_name="Nguyễn Văn A", phone="0912 345 678")
    assert problems_with(cmd, locality_known=True) == []


@pytest.mark.parametrize("changes, field, code", [
    ({"title": ""}, "title", "required"),
    ({"title": "x" * 201}, "title", "too_long"),
    ({"content": "   "}, "content", "required"),
    ({"field": "astrology"}, "field", "invalid_choice"),
    ({"email": "not-an-email"}, "email", "invalid_email"),
    ({"phone": "12"}, "phone", "invalid_phone"),
    ({"wants_notifications": True}, "email", "contact_required"),
])
def test_each_problem_is_named_with_a_message_in_both_languages(changes, field, code):
    problems = problems_with(_cmd(**changes), locality_known=True)
    assert [(p.field, p.code) for p in problems] == [(field, code)]
    assert problems[0].vi and problems[0].en and problems[0].vi != problems[0].en


def test_a_missing_locality_is_asked_for_not_called_unknown():
    [problem] = problems_with(_cmd(locality_code=" "), locality_known=False)
    assert (problem.field, problem.code) == ("locality_code", "required")
    assert "xã/phường" in problem.vi


def test_a_locality_outside_the_served_provinces_is_refused():
    [problem] = problems_with(_cmd(), locality_known=False)
    assert problem.code == "unknown_locality"


def test_swapping_two_neighbouring_symbols_is_caught_except_the_luhn_blind_pair_0_z():
    for _ in range(50):
        code = new_tracking_code()
        body = code[3:7] + code[8:12]
        for i in range(7):
            if body[i] != body[i + 1] and {body[i], body[i + 1]} != {"0", "Z"}:
                swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:]
                assert not is_valid_tracking_code(f"GT-{swapped[:4]}-{swapped[4:]}-{code[-1]}")
