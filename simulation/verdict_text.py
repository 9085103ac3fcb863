"""A run's verdict as sentences for the command line, in English or Vietnamese.

The verdict itself is codes and parameters (:mod:`simulation.verdict`); the web UI words it in
``web/js/verdict.js``. This is the terminal's wording of the same codes, so a planner at the
command line reads the verdict first too. Dates are dd/mm (the year when the run spans two).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

Lang = Literal["en", "vi"]

_LEVEL: dict[Lang, dict[str, str]] = {
    "en": {
        "timetable": "the full timetable",
        "peak_headway": "{h}-minute peaks",
        "headway_10min": "service every 10 minutes or better",
        "headway_15min": "service every 15 minutes or better",
        "service": "some service in every period",
    },
    "vi": {
        "timetable": "biểu đồ chạy tàu đầy đủ",
        "peak_headway": "giãn cách cao điểm {h} phút",
        "headway_10min": "giãn cách không quá 10 phút",
        "headway_15min": "giãn cách không quá 15 phút",
        "service": "có tàu chạy ở mọi khung giờ",
    },
}

_RESOURCE: dict[Lang, dict[str, str]] = {
    "en": {
        "drivers_early": "drivers on the early shift",
        "drivers_late": "drivers on the late shift",
        "trains": "trains fit for service",
        "technicians": "technicians for the night inspection",
        "control_centre": "control-centre staff",
        "station_staff": "station staff",
    },
    "vi": {
        "drivers_early": "lái tàu ca sáng",
        "drivers_late": "lái tàu ca chiều",
        "trains": "đoàn tàu sẵn sàng",
        "technicians": "kỹ thuật viên kiểm tra ban đêm",
        "control_centre": "nhân sự trung tâm điều hành",
        "station_staff": "nhân viên nhà ga",
    },
}


def _num(v: Any) -> str:
    if v is None:
        return "—"
    f = float(v)
    return f"{f:,.0f}" if abs(f - round(f)) < 0.05 else f"{f:,.1f}"


def verdict_lines(verdict: dict[str, Any], lang: Lang = "en") -> list[str]:
    """The verdict's statements as sentences, in the order the verdict gives them."""
    start = date.fromisoformat(verdict["start_date"])
    end = date.fromisoformat(verdict["end_date"])

    def dm(iso: str | None) -> str:
        if iso is None:
            return "—"
        d = date.fromisoformat(iso)
        return d.strftime("%d/%m/%Y") if start.year != end.year else d.strftime("%d/%m")

    def level(s: dict[str, Any]) -> str:
        h = s.get("headway_s")
        return _LEVEL[lang][s["level"]].format(h=_num(h / 60) if h else "—")

    en = lang == "en"
    words: dict[str, Callable[[dict[str, Any]], str]] = {
        "level_held_throughout": lambda s: (
            f"{level(s).capitalize()}: kept throughout, to {dm(s['until'])}."
            if en
            else f"Giữ được {level(s)} suốt kỳ, đến {dm(s['until'])}."
        ),
        "level_held_until": lambda s: (
            f"{level(s).capitalize()}: kept until {dm(s['date'])} (p50; lost in "
            f"{s['share_lost']:.0%} of runs)."
            if en
            else f"Giữ được {level(s)} đến {dm(s['date'])} (p50; mất ở "
            f"{s['share_lost']:.0%} số lần chạy)."
        ),
        "level_lost_from_start": lambda s: (
            f"{level(s).capitalize()}: lost from the first day, {dm(s['date'])}."
            if en
            else f"Mất {level(s)} ngay từ ngày đầu, {dm(s['date'])}."
        ),
        "level_lost_in_some_runs": lambda s: (
            f"{level(s).capitalize()}: lost in {s['share_lost']:.0%} of runs"
            + (f" (one run in ten by {dm(s['lost_date_p10'])})." if s.get("lost_date_p10") else ".")
            if en
            else f"Mất {level(s)} ở {s['share_lost']:.0%} số lần chạy"
            + (f" (1/10 số lần trước {dm(s['lost_date_p10'])})." if s.get("lost_date_p10") else ".")
        ),
        "trips_lost": lambda s: (
            f"Trips lost: {_num(s['p50'])} of {_num(s['planned'])} (p50; p10–p90 "
            f"{_num(s['p10'])}–{_num(s['p90'])}); on average {_num(s.get('crew_mean'))} "
            f"for want of crew, {_num(s.get('fleet_mean'))} to train faults."
            if en
            else f"Chuyến bị hủy: {_num(s['p50'])}/{_num(s['planned'])} (p50; p10–p90 "
            f"{_num(s['p10'])}–{_num(s['p90'])}); trung bình {_num(s.get('crew_mean'))} do "
            f"thiếu nhân sự, {_num(s.get('fleet_mean'))} do sự cố tàu."
        ),
        "overtime": lambda s: (
            f"Overtime: {_num(s['hours_p50'])} h in all (p50); the most anyone works in a "
            f"month {_num(s['person_month_max_p50'])} h."
            if en
            else f"Làm thêm giờ: tổng {_num(s['hours_p50'])} giờ (p50); người nhiều nhất "
            f"{_num(s['person_month_max_p50'])} giờ/tháng."
        ),
        "binding": lambda s: (
            f"The binding constraint is {_RESOURCE['en'][s['resource']]} "
            f"({s['share_of_days']:.0%} of run-days)."
            if en
            else f"Ràng buộc chính: {_RESOURCE['vi'][s['resource']]} "
            f"({s['share_of_days']:.0%} số ngày-lần chạy)."
        ),
        "binding_none": lambda s: (
            "No resource forced a cut in any day's service plan."
            if en
            else "Không nguồn lực nào buộc phải cắt giảm kế hoạch chạy tàu của ngày nào."
        ),
        "binding_not_recorded": lambda s: (
            "This result does not record what limited the service."
            if en
            else "Kết quả này không ghi lại điều gì hạn chế việc chạy tàu."
        ),
    }
    return [words[s["code"]](s) for s in verdict["statements"] if s["code"] in words]
