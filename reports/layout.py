"""The report laid out as a bilingual document, Vietnamese first with English beside it.

Both renderers (:mod:`reports.render_html`, :mod:`reports.render_pdf`) draw the same
:class:`Document`, so the HTML and the PDF always say the same thing. Times are shown in the
report's time zone as ``HH:MM dd/mm/yyyy``; headways as ``m:ss``; a change as ``+2``/``−1``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from reports.model import (
    COUNT_FIELDS,
    AlarmPerformanceFacts,
    CrewFacts,
    ForecastFacts,
    Gap,
    HandoverFacts,
    OutlookFacts,
    RegularityFacts,
    ReportKind,
    ServiceFacts,
    SituationReport,
)


@dataclass(frozen=True, slots=True)
class Row:
    """One fact: a label in both languages, its value, and its change since the last report."""

    vi: str
    en: str
    value: str
    change: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Columns are (vi, en) pairs; a cell may hold two lines (``\\n``: Vietnamese, English)."""

    vi: str
    en: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Note:
    vi: str
    en: str
    warn: bool = False


Block = Facts | Table | Note


@dataclass(frozen=True, slots=True)
class Section:
    vi: str
    en: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Document:
    title_vi: str
    title_en: str
    meta: tuple[Row, ...]
    sections: tuple[Section, ...]
    footer: str


PRIORITIES = {
    "critical": ("Khẩn cấp", "Critical"),
    "high": ("Cao", "High"),
    "medium": ("Trung bình", "Medium"),
    "low": ("Thấp", "Low"),
}
ROLES = {
    "driver": ("Lái tàu", "Drivers"),
    "technician": ("Kỹ thuật viên", "Technicians"),
    "occ_operator": ("Điều độ viên", "Control-centre operators"),
}
COUNTS = {
    "f0": ("F0 (đang cách ly)", "F0 (isolating)"),
    "f1": ("F1 (cách ly/theo dõi)", "F1 (quarantine)"),
    "sick": ("Ốm (khác)", "Sick (other)"),
    "leave": ("Nghỉ phép", "On leave"),
    "on_site": ("Làm việc 3 tại chỗ", "3-on-site"),
    "available": ("Sẵn sàng làm việc", "Available for duty"),
    "staff": ("Tổng số", "Total staff"),
}
LEVELS = {
    "timetable": ("Đủ biểu đồ chạy tàu", "Full timetable"),
    "peak_headway": ("Giữ giãn cách giờ cao điểm", "Peak headway kept"),
    "headway_10min": ("Giãn cách ≤ 10 phút", "Headway ≤ 10 min"),
    "headway_15min": ("Giãn cách ≤ 15 phút", "Headway ≤ 15 min"),
    "service": ("Còn chạy tàu", "Some service"),
}
DIRECTIONS = {1: ("Chiều đi", "Outbound"), 2: ("Chiều về", "Inbound")}
NONE = "—"


def nfc(text: str) -> str:
    """Composed Unicode: one code point per Vietnamese letter, as fonts and PDFs expect."""
    return unicodedata.normalize("NFC", text)


class _Fmt:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def dt(self, ms: int | None) -> str:
        if ms is None:
            return NONE
        return datetime.fromtimestamp(ms / 1000, self.tz).strftime("%H:%M %d/%m/%Y")

    def hm(self, ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, self.tz).strftime("%H:%M")

    @staticmethod
    def day(d: date | None) -> str:
        return NONE if d is None else d.strftime("%d/%m/%Y")

    @staticmethod
    def headway(s: float | None) -> str:
        if s is None:
            return NONE
        whole = round(s)
        return f"{whole // 60}:{whole % 60:02d}"

    @staticmethod
    def num(x: float | None, digits: int = 0) -> str:
        if x is None:
            return NONE
        return f"{x:.{digits}f}" if digits else str(round(x))

    @staticmethod
    def change(n: int) -> str:
        return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "0")


def _gap_note(g: Gap | None) -> tuple[Block, ...]:
    if g is None:
        return ()
    return (Note(g.vi, g.en, warn=True),)


def _service(s: ServiceFacts, f: _Fmt) -> tuple[Section, Section]:
    t, h, a = s.trips, s.headway, s.alarms
    share = f"{100 * t.run / (t.run + t.lost):.1f} %" if t.run + t.lost else NONE
    blocks: list[Block] = [
        Facts(
            (
                Row("Chuyến theo kế hoạch trong kỳ", "Trips planned in the period", str(t.planned)),
                Row("Chuyến đã chạy", "Trips run", str(t.run)),
                Row("Chuyến bị mất", "Trips lost", str(t.lost)),
                Row("Chuyến chưa đến hạn xác nhận", "Trips not yet judged", str(t.pending)),
                Row("Tỷ lệ chuyến thực hiện", "Share of due trips run", share),
                Row(
                    "Giãn cách theo biểu đồ hiện tại", "Planned headway now", f.headway(h.planned_s)
                ),
                *(
                    Row(
                        f"Giãn cách thực tế hiện tại, đường {k}",
                        f"Mean headway now, track {k}",
                        f.headway(v),
                    )
                    for k, v in sorted(h.mean_now_s.items())
                ),
            )
        )
    ]
    if t.monitoring_since_ms is not None:
        blocks.append(
            Note(
                f"Sổ chuyến tính từ {f.dt(t.monitoring_since_ms)} (bắt đầu giám sát ngày "
                f"{f.day(t.service_date)}).",
                f"Trips counted from {f.dt(t.monitoring_since_ms)} (monitoring began on "
                f"service day {f.day(t.service_date)}).",
            )
        )
    if h.by_direction:
        blocks.append(
            Table(
                "Giãn cách giữ được trong kỳ",
                "Headway kept in the period",
                (
                    ("Chiều", "Direction"),
                    ("Chuyến đã chạy", "Trips run"),
                    ("Giãn cách kế hoạch", "Planned headway"),
                    ("Giãn cách thực tế", "Actual headway"),
                ),
                tuple(
                    (
                        "\n".join(DIRECTIONS.get(d.direction, (str(d.direction),) * 2)),
                        str(d.departures),
                        f.headway(d.planned_mean_s),
                        f.headway(d.actual_mean_s),
                    )
                    for d in h.by_direction
                ),
            )
        )
    if t.lost_trips:
        blocks.append(
            Table(
                "Chuyến bị mất",
                "Trips lost",
                (("Chuyến", "Trip"), ("Chiều", "Direction"), ("Giờ xuất phát", "Departure")),
                tuple(
                    (
                        x.trip_id,
                        "\n".join(DIRECTIONS.get(x.direction, (str(x.direction),) * 2)),
                        f.hm(x.depart_ms),
                    )
                    for x in t.lost_trips
                ),
            )
        )
    if s.regularity is not None:
        blocks += _regularity(s.regularity, f)
    service = Section(
        "Tình hình chạy tàu từ báo cáo trước", "Service since the last report", tuple(blocks)
    )

    alarm_blocks: list[Block] = [
        Facts(
            (
                Row("Cảnh báo phát sinh trong kỳ", "Alarms raised in the period", str(a.raised)),
                Row("Sự cố (khẩn cấp và cao)", "Incidents (critical and high)", str(a.incidents)),
                Row("Cảnh báo đang hoạt động", "Alarms active now", str(a.active)),
                Row("Chưa xác nhận", "Unacknowledged", str(a.unacked)),
                Row("Đang tạm ẩn", "Shelved", str(a.shelved)),
            )
        ),
        Table(
            "Theo mức ưu tiên",
            "By priority",
            (("Mức", "Priority"), ("Phát sinh trong kỳ", "Raised"), ("Đang hoạt động", "Active")),
            tuple(
                (
                    "\n".join(PRIORITIES[p]),
                    str(a.raised_by_priority.get(p, 0)),
                    str(a.active_by_priority.get(p, 0)),
                )
                for p in PRIORITIES
            ),
        ),
    ]
    if a.flood:
        alarm_blocks.append(
            Note("Đang có lũ cảnh báo (EEMUA 191).", "An alarm flood is in progress.", warn=True)
        )
    if a.top:
        alarm_blocks.append(
            Table(
                "Các cảnh báo chính",
                "Main alarms",
                (
                    ("Số", "No."),
                    ("Mức", "Priority"),
                    ("Lúc", "Raised"),
                    ("Nội dung", "Message"),
                    ("Trạng thái", "State"),
                ),
                tuple(
                    (
                        str(x.id),
                        "\n".join(PRIORITIES.get(x.priority, (x.priority, x.priority))),
                        f.dt(x.raised_ms),
                        f"{x.message}\n{x.message_en}",
                        ("đang hoạt động\nactive" if x.active else "đã hết\ncleared"),
                    )
                    for x in a.top
                ),
            )
        )
    if a.performance is not None:
        alarm_blocks += _alarm_performance(a.performance)
    alarms = Section("Sự cố và cảnh báo", "Incidents and alarms", tuple(alarm_blocks))
    return service, alarms


CONSOLES = {
    "traffic": ("Chạy tàu", "Traffic"),
    "power": ("Cấp điện", "Traction power"),
    "crew": ("Tổ lái", "Crew"),
    "systems": ("Hệ thống", "Systems"),
}


def _alarm_performance(p: AlarmPerformanceFacts) -> list[Block]:
    """ISA-18.2 §16 figures: rate per console, floods, chattering, stale, bad actors."""
    blocks: list[Block] = [
        Facts(
            (
                Row(
                    "Thời gian tràn cảnh báo (khoảng 10 phút > 10 cảnh báo)",
                    "Time in flood (10-minute periods over 10 alarms)",
                    f"{p.flood_pct:.1f} % ({p.periods_in_flood}/{p.periods})",
                ),
                Row("Cảnh báo dao động", "Chattering alarms", str(p.chattering)),
                Row("Cảnh báo tồn đọng (> 24 giờ)", "Stale alarms (> 24 h)", str(p.stale)),
                Row(
                    "Tỷ trọng 10 cảnh báo nhiều nhất",
                    "Top 10 alarms' share",
                    f"{p.top10_share_pct:.0f} %",
                ),
            )
        ),
        Table(
            # ISA-18.2's benchmarks are for the mean (an average rate per console); the max is
            # the busiest single 10 minutes (the web page's tile shows both the same way)
            "Cảnh báo mỗi 10 phút theo bàn (trung bình — ISA-18.2: ~1 chấp nhận được, ~2 tối đa;"
            " cao nhất: 10 phút nhiều nhất)",
            "Alarms per 10 minutes by console (mean — ISA-18.2: ~1 acceptable, ~2 the most;"
            " max: the busiest 10 minutes)",
            (
                ("Bàn", "Console"),
                ("Tổng", "Total"),
                ("Trung bình / 10 phút", "Mean / 10 min"),
                ("Cao nhất / 10 phút", "Max / 10 min"),
            ),
            tuple(
                (
                    "\n".join(CONSOLES.get(c.console, (c.console, c.console))),
                    str(c.total),
                    f"{c.mean_per_10min:.2f}",
                    str(c.max_per_10min),
                )
                for c in p.consoles
            ),
        ),
    ]
    if p.bad_actors:
        blocks.append(
            Table(
                "Cảnh báo xuất hiện nhiều nhất",
                "Most frequent alarms",
                (("Nội dung", "Message"), ("Số lần", "Occurrences")),
                tuple((f"{vi}\n{en}", str(n)) for vi, en, n in p.bad_actors),
            )
        )
    return blocks


def _ewt(s: float | None) -> str:
    if s is None:
        return NONE
    return ("+" if s >= 0 else "−") + _Fmt.headway(abs(s))


def _regularity(r: RegularityFacts, f: _Fmt) -> list[Block]:
    """Excess waiting time, bunching and gaps: the day so far, then the period's hours."""
    names = {0: ("cả hai chiều", "both directions"), **DIRECTIONS}
    rows = [
        Row(
            f"EWT từ đầu ngày, {names[d.direction][0].lower()}",
            f"EWT today, {names[d.direction][1].lower()}",
            f"{_ewt(d.ewt_s)} ({f.headway(d.awt_s)} / {f.headway(d.swt_s)})",
        )
        for d in r.day
    ]
    both = next((d for d in r.day if d.direction == 0), None)
    if both is not None:
        rows += [
            Row(
                "Dồn tàu từ đầu ngày",
                "Bunching today",
                str(both.bunching),
            ),
            Row(
                "Giãn cách lớn từ đầu ngày",
                "Gaps today",
                str(both.gaps),
            ),
        ]
    out: list[Block] = [
        Facts(tuple(rows)),
        Note(
            "EWT (thời gian chờ vượt mức) = thời gian chờ trung bình thực tế − theo biểu đồ "
            "(trong ngoặc: thực tế / biểu đồ), đo từ các lần tàu rời ga ở mọi ga và chiều "
            f"(định nghĩa của TfL). Dồn tàu: giãn cách dưới {r.bunch_factor:.0%} kế hoạch; "
            f"giãn cách lớn: trên {r.gap_factor:.0%}.",
            "EWT (excess waiting time) = actual minus scheduled mean wait (in brackets: actual "
            "/ scheduled), from the departures at every station and direction (TfL's "
            f"definition). Bunching: a headway below {r.bunch_factor:.0%} of the timetable's; "
            f"gap: above {r.gap_factor:.0%}.",
        ),
    ]
    if r.hours:
        out.append(
            Table(
                "Độ đều giãn cách theo giờ",
                "Headway regularity by hour",
                (
                    ("Giờ", "Hour"),
                    ("Giãn cách đo được", "Headways"),
                    ("EWT", "EWT"),
                    ("Dồn tàu", "Bunching"),
                    ("Giãn cách lớn", "Gaps"),
                ),
                tuple(
                    (
                        f"{h.hour:02d}:00–{(h.hour + 1) % 24:02d}:00",
                        str(h.headways),
                        _ewt(h.ewt_s),
                        str(h.bunching),
                        str(h.gaps),
                    )
                    for h in r.hours
                ),
            )
        )
    return out


def _crew(c: CrewFacts) -> Section:
    return Section(
        "Nhân sự",
        "Crew",
        (
            Facts(
                (
                    Row("F0 mới trong kỳ", "New F0 cases in the period", str(c.new_f0)),
                    Row("F1 mới trong kỳ", "New F1 contacts in the period", str(c.new_f1)),
                )
            ),
            Table(
                "Số người",
                "Head counts",
                (
                    ("", ""),
                    ("Kỳ trước", "Previous"),
                    ("Hiện tại", "Now"),
                    ("Thay đổi", "Change"),
                ),
                tuple(
                    (
                        "\n".join(COUNTS[k]),
                        str(getattr(c.before, k)),
                        str(getattr(c.now, k)),
                        _Fmt.change(c.change(k)),
                    )
                    for k in COUNT_FIELDS
                ),
            ),
            Table(
                "Theo chức danh",
                "By role",
                (
                    ("Chức danh", "Role"),
                    ("Tổng số", "Staff"),
                    ("F0", "F0"),
                    ("F1", "F1"),
                    ("3 tại chỗ", "On site"),
                    ("Sẵn sàng", "Available"),
                ),
                tuple(
                    (
                        "\n".join(ROLES.get(r, (r, r))),
                        str(n.staff),
                        str(n.f0),
                        str(n.f1),
                        str(n.on_site),
                        str(n.available),
                    )
                    for r, n in c.by_role.items()
                ),
            ),
        ),
    )


def _outlook(o: OutlookFacts, f: _Fmt, days: int) -> Section:
    blocks: list[Block] = [
        Facts(
            (
                Row(
                    "Ngày đầu tiên không đủ người",
                    "First day that cannot be staffed",
                    f.day(o.first_unstaffable)
                    if o.first_unstaffable
                    else f"không có / none in {days} days",
                ),
                Row(
                    "Ngày đầu tiên phải giãn cách",
                    "First day with a longer headway",
                    f.day(o.first_degraded) if o.first_degraded else "không có / none",
                ),
            )
        ),
        Table(
            "Theo ngày",
            "By day",
            (
                ("Ngày", "Day"),
                ("Đủ người", "Staffed"),
                ("Cần", "Required"),
                ("Đã xếp", "Assigned"),
                ("Thiếu", "Missing"),
                ("Khung giờ phải giãn cách", "Degraded periods"),
            ),
            tuple(
                (
                    f.day(d.service_date),
                    "đủ\nyes" if d.staffable else "thiếu\nno",
                    str(d.required),
                    str(d.assigned),
                    str(d.missing),
                    str(len(d.degraded)),
                )
                for d in o.days
            ),
        ),
    ]
    short = [(d, s) for d in o.days for s in d.short_shifts]
    if short:
        blocks.append(
            Table(
                "Ca thiếu người",
                "Shifts short of staff",
                (("Ngày", "Day"), ("Ca", "Shift"), ("Bắt đầu", "Start"), ("Thiếu", "Missing")),
                tuple(
                    (
                        f.day(d.service_date),
                        s.shift_id,
                        f.hm(s.start_ms),
                        ", ".join(
                            f"{ROLES.get(r, (r, r))[0]} / {ROLES.get(r, (r, r))[1]}: {n}"
                            for r, n in sorted(s.missing_by_role.items())
                        ),
                    )
                    for d, s in short
                ),
            )
        )
    degraded = [(d, p) for d in o.days for p in d.degraded]
    if degraded:
        blocks.append(
            Table(
                "Khung giờ phải giãn cách",
                "Periods that cannot run their planned headway",
                (
                    ("Ngày", "Day"),
                    ("Khung giờ", "Period"),
                    ("Kế hoạch", "Planned"),
                    ("Chạy được", "Possible"),
                    ("Lái tàu", "Drivers"),
                ),
                tuple(
                    (
                        f.day(d.service_date),
                        f"{p.start}–{p.end}",
                        f.headway(p.planned_headway_s),
                        f.headway(p.headway_s) if p.headway_s else "dừng / none",
                        str(p.drivers),
                    )
                    for d, p in degraded
                ),
            )
        )
    return Section(
        f"Dự báo bố trí nhân lực {days} ngày", f"Coverage outlook, {days} days", tuple(blocks)
    )


def _band(b: object) -> str:
    p10, p50, p90 = (getattr(b, k) for k in ("p10", "p50", "p90"))
    return f"{_Fmt.num(p50)} ({_Fmt.num(p10)}–{_Fmt.num(p90)})"


def _lost_day(x: ForecastFacts, day: float | None, f: _Fmt) -> str:
    """Day index of the run (0: its first day) and its date."""
    if day is None:
        return NONE
    return f"{round(day)} · {f.day(x.start_date + timedelta(days=round(day)))}"


def _forecast(x: ForecastFacts, f: _Fmt) -> Section:
    share = x.min_trips_share
    return Section(
        "Dự báo giả định hiện hành",
        "Current what-if forecast",
        (
            Facts(
                (
                    Row("Kịch bản", "Scenario", x.scenario),
                    Row("Lần chạy", "Run", f"{x.run_id[:12]} ({x.submitted_by})"),
                    Row("Hoàn thành", "Finished", f.dt(x.finished_ms)),
                    Row(
                        "Phạm vi",
                        "Span",
                        f"{x.days} ngày/days từ/from {f.day(x.start_date)}, "
                        f"{x.replications} lần lặp/replications",
                    ),
                    Row(
                        "Chuyến bị hủy, trung vị (p10–p90)",
                        "Trips cancelled, median (p10–p90)",
                        _band(x.trips_cancelled),
                    ),
                    Row(
                        "Ngày xấu nhất: tỷ lệ chuyến chạy",
                        "Worst day: share of trips run",
                        f"{_Fmt.num(None if share.p50 is None else 100 * share.p50, 1)} %",
                    ),
                    Row("Giờ làm thêm (p10–p90)", "Overtime hours (p10–p90)", _band(x.overtime_h)),
                )
            ),
            Table(
                "Khi nào mất mức phục vụ",
                "When a service level is lost",
                (
                    ("Mức phục vụ", "Service level"),
                    ("Ngày (trung vị)", "Day (median)"),
                    ("Tỷ lệ lần lặp mất", "Share of runs losing it"),
                ),
                tuple(
                    (
                        "\n".join(LEVELS.get(lv.level, (lv.level, lv.level))),
                        _lost_day(x, lv.p50_day, f),
                        f"{100 * lv.share_lost:.0f} %",
                    )
                    for lv in x.first_day_lost
                ),
            ),
        ),
    )


HANDOVER_SECTIONS = {
    "alarms": ("Báo động đang mở", "Open alarms"),
    "shelved": ("Báo động tạm ẩn", "Shelved alarms"),
    "trips": ("Chuyến mất", "Trips lost"),
    "crew": ("Thiếu người ca sau", "Short on the next shift"),
    "log": ("Việc cần theo dõi", "Open log items"),
    "incidents": ("Sự cố", "Incidents"),
}
HANDOVER_STATES = {
    "signed": ("Đã ký, chờ nhận", "Signed, awaiting acceptance"),
    "accepted": ("Đã nhận bàn giao", "Accepted"),
}


def _handover(h: HandoverFacts, f: _Fmt) -> Section:
    state = HANDOVER_STATES.get(h.state, (h.state, h.state))
    rows = [
        Row("Ca", "Shift", f"{h.shift_id} {f.dt(h.shift_start_ms)} → {f.hm(h.shift_end_ms)}"),
        Row("Trạng thái", "State", " / ".join(state)),
        Row("Người ký", "Signed by", f"{h.signed_by or '—'} {f.dt(h.signed_ms)}".strip()),
    ]
    if h.accepted_by:
        rows.append(Row("Người nhận", "Accepted by", f"{h.accepted_by} {f.dt(h.accepted_ms)}"))
    rows.append(Row("Tóm tắt", "Summary", h.summary))
    return Section(
        "Bàn giao ca gần nhất",
        "Latest shift handover",
        (
            Facts(tuple(rows)),
            Table(
                "Các mục bàn giao",
                "Items handed over",
                (("Phần", "Section"), ("Nội dung", "Item"), ("Xác nhận", "Acknowledged")),
                tuple(
                    (
                        "\n".join(HANDOVER_SECTIONS.get(i.section, (i.section, i.section))),
                        f"{i.text}\n{i.text_en}",
                        i.acked_by or ("chưa / not yet" if i.must_ack else "—"),
                    )
                    for i in h.items
                ),
            ),
        ),
    )


def _kind(r: SituationReport, f: _Fmt) -> str:
    if r.kind is ReportKind.SCHEDULED and r.slot_ms is not None:
        return f"Định kỳ / Scheduled {f.hm(r.slot_ms)}"
    if r.kind is ReportKind.OFFLINE:
        return "Ngoại tuyến / Offline"
    return "Theo yêu cầu / On demand"


def layout(r: SituationReport, *, report_id: str = "", outlook_days: int | None = None) -> Document:
    """The report as a bilingual document."""
    f = _Fmt(ZoneInfo(r.timezone))
    sections: list[Section] = []
    if r.service is not None:
        sections += _service(r.service, f)
    else:
        for vi, en in (
            ("Tình hình chạy tàu từ báo cáo trước", "Service since the last report"),
            ("Sự cố và cảnh báo", "Incidents and alarms"),
        ):
            sections.append(Section(vi, en, _gap_note(r.gap("service"))))
    sections.append(
        _crew(r.crew)
        if r.crew is not None
        else Section("Nhân sự", "Crew", _gap_note(r.gap("crew")))
    )
    days = outlook_days or (len(r.outlook.days) if r.outlook else 3)
    sections.append(
        _outlook(r.outlook, f, days)
        if r.outlook is not None
        else Section(
            f"Dự báo bố trí nhân lực {days} ngày",
            f"Coverage outlook, {days} days",
            _gap_note(r.gap("outlook")),
        )
    )
    sections.append(
        _forecast(r.forecast, f)
        if r.forecast is not None
        else Section(
            "Dự báo giả định hiện hành", "Current what-if forecast", _gap_note(r.gap("forecast"))
        )
    )
    sections.append(
        _handover(r.handover, f)
        if r.handover is not None
        else Section(
            "Bàn giao ca gần nhất",
            "Latest shift handover",
            _gap_note(r.gap("handover"))
            or (Note("Chưa có bàn giao ca nào được ký.", "No handover signed yet."),),
        )
    )
    numbered = tuple(Section(f"{i}. {s.vi}", s.en, s.blocks) for i, s in enumerate(sections, 1))
    return Document(
        title_vi=f"Báo cáo tình hình vận hành — {r.line_name}",
        title_en=f"Operations situation report — {r.line_name_en}",
        meta=(
            Row("Thời điểm báo cáo", "As of", f"{f.dt(r.at_ms)} ({r.timezone})"),
            Row("Kỳ báo cáo", "Period", f"{f.dt(r.since_ms)} → {f.dt(r.at_ms)}"),
            Row("Loại báo cáo", "Kind", _kind(r, f)),
        ),
        sections=numbered,
        footer=f"metro-ops · {r.line_id} · {report_id}".rstrip(" ·"),
    )
