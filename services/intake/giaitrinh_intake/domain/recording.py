"""Requests an official records for a person who asked directly, by hotline, at a voter meeting
or by mail (*tiếp nhận trực tiếp*): they take the same path as every submission, with the
channel they came by and the official who received them.

Only those four channels: the portal, the API, Open311 and other systems name themselves, so an
official cannot file a request as if the person had typed it. The day it was received may be
earlier than the day it is recorded (a letter opened today, a meeting last week), never later.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from giaitrinh_intake.domain.model import Channel
from giaitrinh_intake.domain.validation import Problem

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # "today" is the official's day, not UTC's
STAFF_CHANNELS = (Channel.DIRECT, Channel.HOTLINE, Channel.VOTER_MEETING, Channel.MAIL)


def received_on(text: str) -> date | None:
    """The day as given (call after :func:`recording_problems`); None when none was given."""
    return date.fromisoformat(text.strip()) if text.strip() else None


def recording_problems(channel: str, received_on_text: str, today: date) -> list[Problem]:
    """What is wrong with how the request came in, each problem naming its field."""
    out = []
    if channel not in {c.value for c in STAFF_CHANNELS}:
        allowed = ", ".join(c.value for c in STAFF_CHANNELS)
        out.append(Problem("channel", "invalid_choice",
                           f"Kênh tiếp nhận phải là một trong: {allowed}.",
                           f"channel must be one of: {allowed}."))
    text = received_on_text.strip()
    if text:
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            out.append(Problem("received_on", "invalid_date", "Ngày tiếp nhận phải có dạng YYYY-MM-DD.",
                               "received_on must be a date, YYYY-MM-DD."))
        elif day > today:
            out.append(Problem("received_on", "in_the_future", "Ngày tiếp nhận không thể sau hôm nay.",
                               "received_on cannot be later than today."))
    return out
