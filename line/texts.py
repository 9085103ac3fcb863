"""The catalogue's texts: every code the back end uses, in Vietnamese and English.

One table so a translator (or the test that every code has both languages and the same
fields) reads it in one place; the mechanism is :mod:`line.catalogue`. Each code starts with
the part of the system that raises it. Fields are ``str.format`` fields; ``{detail}``,
``{limit}`` and the like take a nested message or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Template = str | Mapping[Literal["one", "other"], str]
Entry = Mapping[Literal["vi", "en"], Template]


def _t(vi: str, en: Template) -> Entry:
    return {"vi": vi, "en": en}


TEXTS: Final[Mapping[str, Entry]] = {
    # --- alarms of the live line (telemetry) ------------------------------------------------
    "alarm.detail": _t(" — {text}", " — {text}"),
    # an alarm saved before the catalogue existed: its two texts as they were
    "alarm.saved_text": _t("{vi}", "{en}"),
    "alarm.train.fault": _t(
        "Tàu {train}: lỗi {fault}{detail}", "Train {train}: fault {fault}{detail}"
    ),
    # what each fault code of the ICD's table is (telemetry.faults; docs/icd.md)
    "alarm.fault.trc_012": _t("biến tần kéo quá nhiệt", "traction inverter over-temperature"),
    "alarm.fault.trc_031": _t(
        "cảm biến tốc độ động cơ kéo có sự cố", "traction motor speed sensor"
    ),
    "alarm.fault.brk_021": _t("áp suất xi lanh phanh thấp", "brake cylinder pressure low"),
    "alarm.fault.brk_050": _t("hở mạch vòng phanh khẩn cấp", "emergency brake loop open"),
    "alarm.fault.dor_003": _t("cửa số 3 chưa đóng và khóa", "door 3 not closed and locked"),
    "alarm.fault.hva_101": _t(
        "máy nén điều hòa tổ máy số 1 bị ngắt", "HVAC unit 1 compressor trip"
    ),
    "alarm.fault.atc_007": _t(
        "mất liên lạc vô tuyến ATO/ATP (quá thời gian chờ)", "ATO/ATP radio link timeout"
    ),
    "alarm.fault.aux_004": _t("bộ biến đổi nguồn phụ có sự cố", "auxiliary converter fault"),
    "alarm.train.fault_no_code": _t(
        "Tàu {train}: lỗi (không rõ mã){detail}", "Train {train}: fault (no code){detail}"
    ),
    "alarm.train.emergency_brake": _t(
        "Tàu {train}: phanh khẩn cấp", "Train {train}: emergency brake"
    ),
    "alarm.train.door_obstruction": _t("Tàu {train}: kẹt cửa", "Train {train}: door obstruction"),
    "alarm.train.passenger_alarm": _t(
        "Tàu {train}: báo động hành khách", "Train {train}: passenger alarm"
    ),
    "alarm.train.driver_not_cleared": _t(
        "Tàu {train}: lái tàu {driver} chưa đủ điều kiện — {reasons}",
        "Train {train}: driver {driver} not cleared — {reasons}",
    ),
    "alarm.train.offline": _t(
        "Tàu {train}: mất kết nối thiết bị trên tàu", "Train {train}: on-board unit offline"
    ),
    "alarm.train.stale": _t(
        "Tàu {train}: mất tín hiệu {age_s:.0f} s", "Train {train}: no telemetry for {age_s:.0f} s"
    ),
    "alarm.train.seq_loss": _t(
        "Tàu {train}: mất {n} bản tin (seq {ranges})",
        {
            "one": "Train {train}: {n} message lost (seq {ranges})",
            "other": "Train {train}: {n} messages lost (seq {ranges})",
        },
    ),
    "alarm.train.no_driver": _t(
        "Tàu {train}: đang chạy nhưng không có lái tàu đăng nhập",
        "Train {train}: in service with no driver logged on",
    ),
    "alarm.headway.gap": _t(
        "Giãn cách lớn: {leader} → {follower} {minutes:.1f} phút (kế hoạch {planned_min:.0f})",
        "Headway gap: {leader} → {follower} {minutes:.1f} min (planned {planned_min:.0f})",
    ),
    "alarm.headway.bunching": _t(
        "Dồn tàu: {leader} → {follower} {minutes:.1f} phút (kế hoạch {planned_min:.0f})",
        "Bunching: {leader} → {follower} {minutes:.1f} min (planned {planned_min:.0f})",
    ),
    "alarm.substation.limit": _t(
        "{name}: {point} = {value:g} {unit}{limit}", "{device}: {point} = {value:g} {unit}{limit}"
    ),
    # the substation points that alarm (telemetry/data/registers.toml), by name
    "alarm.point.dc_bus_voltage": _t("điện áp thanh cái DC", "DC bus voltage"),
    "alarm.point.feeder_current": _t("dòng điện xuất tuyến", "feeder current"),
    "alarm.point.transformer_temp": _t("nhiệt độ máy biến áp", "transformer temperature"),
    "alarm.point.main_breaker_closed": _t("máy cắt chính đóng", "main breaker closed"),
    "alarm.point.earth_fault": _t("chạm đất", "earth fault"),
    "alarm.point.alarm_word": _t("từ cảnh báo của thiết bị", "device alarm word"),
    "alarm.substation.limit_value": _t(" (giới hạn {limit:g} {unit})", " (limit {limit:g} {unit})"),
    "alarm.substation.stale": _t(
        "{name}: mất dữ liệu ({reason})", "{device}: telemetry stale ({reason})"
    ),
    "alarm.substation.stale.no_answer": _t("không trả lời", "not answering"),
    "alarm.substation.stale.frozen_heartbeat": _t("heartbeat đứng yên", "heartbeat frozen"),
    "alarm.clock.skew": _t(
        "{unit}: đồng hồ thiết bị lệch {skew_s:+.0f} s so với máy chủ",
        "{unit}: unit clock off by {skew_s:+.0f} s from the server",
    ),
    # --- alarms of the application (dependencies, crew outlook) ------------------------------
    "alarm.crew.shift_short": _t(
        "Thiếu người {shift} {start}: {roles}", "Short of staff on {shift} {start}: {roles}"
    ),
    # --- the crew's shifts by name, inside a sentence (crew.duties' default shift ids) ---------
    "shift.early": _t("ca sớm", "the early shift"),
    "shift.late": _t("ca muộn", "the late shift"),
    "shift.occ_day": _t("ca ngày", "the day shift"),
    "shift.occ_late": _t("ca chiều", "the late shift"),
    "shift.occ_night": _t("ca đêm", "the night shift"),
    "shift.tech_day": _t("ca ngày", "the day shift"),
    "shift.tech_late": _t("ca chiều", "the late shift"),
    "shift.tech_night": _t("ca đêm", "the night shift"),
    "alarm.crew.role_missing": _t("{role} {n}", "{role} {n}"),
    "alarm.dependency.broker": _t(
        "Mất kết nối MQTT broker: dữ liệu tàu không cập nhật "
        "(báo động mất tín hiệu từng tàu được gộp vào đây)",
        "MQTT broker unreachable: train data not updating "
        "(per-train telemetry alarms grouped here)",
    ),
    "alarm.dependency.database": _t(
        "Cơ sở dữ liệu không truy cập được: không ghi được dữ liệu kíp lái, "
        "nhật ký vận hành chưa được lưu{detail}",
        "Database unavailable: crew writes refused, operating record not saved{detail}",
    ),
    "alarm.dependency.history": _t(
        "Kho lịch sử lỗi: dữ liệu lịch sử không được lưu{detail}",
        "History store failing: history points are not stored{detail}",
    ),
    "alarm.dependency.influx": _t(
        "InfluxDB không truy cập được: dữ liệu đang lưu tạm trên đĩa{detail}",
        "InfluxDB unreachable: points spooled to disk for later{detail}",
    ),
    "alarm.dependency.other": _t("{name}: không hoạt động{detail}", "{name}: not working{detail}"),
    # --- what the crew store refuses (crew.store.errors) ---------------------------------------
    "crew.entity.staff": _t("nhân viên", "staff"),
    "crew.entity.group": _t("nhóm tiếp xúc", "group"),
    "crew.entity.cohort": _t("kíp 3 tại chỗ", "cohort"),
    "crew.entity.work": _t("giờ làm ghi nhận", "work record"),
    "crew.entity.test_result": _t("kết quả xét nghiệm", "test result"),
    "crew.entity.status_event": _t("sự kiện trạng thái", "status event"),
    "crew.entity.roster": _t("danh sách nhân sự", "roster"),
    "crew.refused.not_found": _t("Không có {entity} {id}", "no {entity} {id}"),
    "crew.refused.version": _t(
        "Người khác vừa sửa {entity} {id} (bạn sửa phiên bản {expected}, hiện là {current}) — "
        "hãy tải lại",
        "someone else changed {entity} {id} (you edited version {expected}, it is now version "
        "{current}) — reload",
    ),
    "crew.refused.id_exists": _t("{entity} {id} đã có", "{entity} {id}: already exists"),
    "crew.refused.id_other_content": _t(
        "{entity} {id} đã được ghi với nội dung khác",
        "{entity} {id}: already recorded with other content",
    ),
    "crew.refused.id_in_use": _t(
        "{entity} {id}: mã đã được một nhóm tiếp xúc hoặc kíp dùng",
        "{entity} {id}: already used by a contact group or cohort",
    ),
    "crew.refused.cohort_drops": _t(
        "Kíp {cohort} có nhân viên mà danh sách mới bỏ đi: {staff}",
        "cohort {cohort} names staff the new roster drops: {staff}",
    ),
    "crew.refused.group_is_cohort": _t(
        "Mã nhóm {id} đã là mã của một kíp", "group id {id} is already a cohort's id"
    ),
    "crew.refused.unknown_staff": _t("Không có nhân viên: {staff}", "unknown staff {staff}"),
    # --- what the crew records and routes refuse (crew.model, api.routes.crew) ---------------
    "crew.refused.needs_until": _t(
        "Trạng thái “{state}” cần thời điểm kết thúc", "the state “{state}” needs `until`"
    ),
    "crew.refused.available_until": _t(
        "Trạng thái sẵn sàng không có thời điểm kết thúc", "an available event has no `until`"
    ),
    "crew.refused.until_before_effective": _t(
        "Thời điểm kết thúc phải sau thời điểm bắt đầu", "`until` must be after `effective`"
    ),
    "crew.refused.f0_needs_case": _t(
        "{staff} chưa là F0 lúc đó: ca F0 mới phải được khai báo (Khai báo ca F0, "
        "POST /api/crew/cases) để đánh dấu F1 những người tiếp xúc; sự kiện trạng thái chỉ "
        "gia hạn hoặc sửa cách ly của người đã là F0",
        "{staff} is not F0 then: a new F0 is declared as a case (POST /api/crew/cases), which "
        "marks the contacts F1; a status event only extends or corrects the isolation of "
        "someone already F0",
    ),
    "crew.refused.test_in_future": _t(
        "Thời điểm lấy mẫu không được muộn hơn hiện tại (cho phép lệch đồng hồ {skew_min} phút)",
        "a test cannot be taken in the future (more than {skew_min} minutes from now)",
    ),
    "crew.refused.case_in_future": _t(
        "Thời điểm ca F0 không được muộn hơn hiện tại (cho phép lệch đồng hồ {skew_min} phút)",
        "a case cannot be declared for the future (more than {skew_min} minutes from now)",
    ),
    "crew.refused.out_of_range": _t(
        "phải nằm trong khoảng {first} đến {last}", "must be between {first} and {last}"
    ),
    "crew.refused.unreadable": _t(
        "{entity} {id} đã lưu có giá trị không đọc được ({why}) — hãy xoá hoặc nhập lại",
        "{entity} {id} is stored with a value that cannot be read ({why}) — delete it or "
        "enter it again",
    ),
    # --- access (api.auth) ------------------------------------------------------------------
    "auth.forbidden": _t(
        "{user} có vai trò {role}; việc này cần vai trò {needs}",
        "{user} has the {role} role; this needs the {needs} role",
    ),
    # the roles a refused request needs, as a sentence lists them: "a, b or c"
    "auth.roles.list": _t("{a}, {b}", "{a}, {b}"),
    "auth.roles.or": _t("{a} hoặc {b}", "{a} or {b}"),
    "auth.role.admin": _t("Quản trị", "administrator"),
    "auth.role.crew_manager": _t("Quản lý tổ lái", "crew manager"),
    "auth.role.operator": _t("Điều độ viên", "operator"),
    "auth.role.planner": _t("Kế hoạch", "planner"),
    # --- refusals before any route runs (sign-in, session, request body) -------------------
    "auth.bad_header": _t(
        "Tiêu đề Authorization phải có dạng `Bearer <token>`",
        "the Authorization header must be `Bearer <token>`",
    ),
    "auth.unknown_token": _t(
        "Mã truy cập không đúng hoặc đã bị thu hồi", "unknown or revoked token"
    ),
    "auth.session_ended": _t(
        "Phiên làm việc đã kết thúc (đã đăng xuất hoặc lâu không dùng): hãy đăng nhập lại",
        "your session has ended (signed out or idle too long): sign in",
    ),
    "auth.not_signed_in": _t(
        "Chưa đăng nhập: hãy đăng nhập, hoặc gửi `Authorization: Bearer <token>`",
        "not signed in: send `Authorization: Bearer <token>`",
    ),
    "auth.csrf": _t(
        "Thiếu mã chống giả mạo (CSRF) hoặc mã không đúng: hãy tải lại trang",
        "CSRF token missing or wrong",
    ),
    "auth.wrong_password": _t("Sai tên đăng nhập hoặc mật khẩu", "wrong user name or password"),
    "auth.rate_limited": _t(
        "Đăng nhập sai quá nhiều lần từ địa chỉ của bạn: thử lại sau {seconds:,} giây",
        "too many failed sign-ins from your address: try again in {seconds:,} s",
    ),
    "auth.locked": _t(
        "Đăng nhập sai quá nhiều lần với tên đăng nhập này: thử lại sau {seconds:,} giây,"
        " hoặc nhờ quản trị viên mở khóa",
        "too many failed sign-ins for this user name: try again in {seconds:,} s,"
        " or ask an administrator to unlock it",
    ),
    "http.too_large": _t(
        "Nội dung yêu cầu quá lớn: tối đa {limit:,} byte",
        "request body too large: at most {limit:,} bytes",
    ),
    "http.bad_content_length": _t(
        "Content-Length không phải là số", "Content-Length is not a number"
    ),
    "http.invalid_json": _t(
        "không phải JSON hợp lệ (không nhận NaN, Infinity và số vượt ±1,7e308):"
        " lỗi ở dòng {line}, cột {column}",
        "not valid JSON (NaN, Infinity and numbers beyond ±1.7e308 are refused):"
        " error at line {line}, column {column}",
    ),
    "history.unknown_train": _t("Không có tàu {train}", "unknown train {train}"),
    "history.unknown_substation": _t(
        "Không có trạm biến áp {device}", "unknown substation {device}"
    ),
    # --- the audit log in words (accounts.audit_text) ------------------------------------------
    "audit.detail.item": _t("{name}: {value}", "{name}: {value}"),
    "audit.detail.list": _t("{items}", "{items}"),
    "audit.detail.count": _t("{what} {n}", "{what} {n}"),
    "audit.value.yes": _t("có", "yes"),
    "audit.value.no": _t("không", "no"),
    "audit.action.login": _t("Đăng nhập", "Sign-in"),
    "audit.action.login.failures": _t(
        "Đăng nhập sai nhiều lần (tổng hợp)", "Failed sign-ins (summary)"
    ),
    "audit.action.logout": _t("Đăng xuất", "Sign-out"),
    "audit.action.access.denied": _t("Truy cập bị từ chối", "Access refused"),
    "audit.action.csrf.rejected": _t(
        "Chặn yêu cầu giả mạo (CSRF)", "Forged request blocked (CSRF)"
    ),
    "audit.action.alarm.ack": _t("Xác nhận báo động", "Alarm acknowledged"),
    "audit.action.alarm.ack_bulk": _t("Xác nhận hàng loạt báo động", "Alarms acknowledged in bulk"),
    "audit.action.alarm.comment": _t("Ghi chú báo động", "Alarm comment"),
    "audit.action.alarm.shelve": _t("Tạm ẩn báo động", "Alarm shelved"),
    "audit.action.alarm.shelve_approve": _t("Phê duyệt tạm ẩn báo động", "Alarm shelve approved"),
    "audit.action.alarm.unshelve": _t("Bỏ tạm ẩn báo động", "Alarm unshelved"),
    "audit.action.crew.create_staff": _t("Thêm nhân viên", "Staff member added"),
    "audit.action.crew.update_staff": _t("Sửa nhân viên", "Staff member changed"),
    "audit.action.crew.delete_staff": _t("Xóa nhân viên", "Staff member deleted"),
    "audit.action.crew.create_group": _t("Thêm nhóm tiếp xúc", "Contact group added"),
    "audit.action.crew.update_group": _t("Sửa nhóm tiếp xúc", "Contact group changed"),
    "audit.action.crew.delete_group": _t("Xóa nhóm tiếp xúc", "Contact group deleted"),
    "audit.action.crew.create_cohort": _t("Thêm kíp 3 tại chỗ", "3-on-site cohort added"),
    "audit.action.crew.update_cohort": _t("Sửa kíp 3 tại chỗ", "3-on-site cohort changed"),
    "audit.action.crew.delete_cohort": _t("Xóa kíp 3 tại chỗ", "3-on-site cohort deleted"),
    "audit.action.crew.record_status_event": _t(
        "Ghi trạng thái nhân viên", "Staff status recorded"
    ),
    "audit.action.crew.record_test": _t("Ghi kết quả xét nghiệm", "Test result recorded"),
    "audit.action.crew.declare_case": _t("Khai báo ca F0", "F0 case declared"),
    "audit.action.crew.record_work": _t("Ghi giờ làm", "Work hours recorded"),
    "audit.action.crew.import_roster": _t("Nhập danh sách nhân sự", "Roster imported"),
    "audit.action.simulation.run": _t("Chạy mô phỏng giả định", "What-if run started"),
    "audit.action.simulation.cancel": _t("Hủy mô phỏng giả định", "What-if run cancelled"),
    "audit.action.simulation.sweep": _t("Chạy phân tích độ nhạy", "Sensitivity sweep started"),
    "audit.action.simulation.sweep_cancel": _t(
        "Hủy phân tích độ nhạy", "Sensitivity sweep cancelled"
    ),
    "audit.action.user.add": _t("Thêm người dùng", "User added"),
    "audit.action.user.disable": _t("Khóa tài khoản", "Account disabled"),
    "audit.action.user.enable": _t("Mở lại tài khoản", "Account enabled"),
    "audit.action.user.passwd": _t("Đổi mật khẩu", "Password changed"),
    "audit.action.user.role": _t("Đổi vai trò", "Role changed"),
    "audit.action.user.token": _t("Cấp mã truy cập API", "API token issued"),
    "audit.action.user.token_revoke": _t("Thu hồi mã truy cập API", "API tokens revoked"),
    "audit.action.user.unlock": _t("Mở khóa đăng nhập", "Sign-in unlocked"),
    "audit.action.incident.create": _t("Tạo sự cố", "Incident created"),
    "audit.action.incident.note": _t("Ghi chú sự cố", "Incident note added"),
    "audit.action.incident.close": _t("Đóng sự cố", "Incident closed"),
    "audit.action.incident.export": _t("Xuất hồ sơ sự cố", "Incident exported"),
    "audit.action.log.write": _t("Ghi sổ ca", "Shift log entry written"),
    "audit.action.log.export": _t("Xuất sổ ca", "Shift log exported"),
    "audit.action.report.make": _t("Lập báo cáo", "Report made"),
    "audit.action.handover.open": _t("Mở bàn giao ca", "Handover opened"),
    "audit.action.handover.edit": _t("Sửa bàn giao ca", "Handover edited"),
    "audit.action.handover.sign": _t("Ký bàn giao ca", "Handover signed"),
    "audit.action.handover.ack": _t("Xác nhận mục bàn giao", "Handover item acknowledged"),
    "audit.action.handover.accept": _t("Nhận bàn giao ca", "Handover accepted"),
    "audit.action.timetable.decide": _t("Quyết định biểu đồ chạy tàu", "Timetable decision"),
    "audit.action.audit.prune": _t("Dọn nhật ký kiểm toán cũ", "Old audit records pruned"),
    "audit.result.ok": _t("Thành công", "Done"),
    "audit.result.fail": _t("Đăng nhập sai", "Failed sign-in"),
    "audit.result.locked": _t("Bị khóa", "Locked"),
    "audit.result.rate_limited": _t("Quá nhiều lần thử", "Too many attempts"),
    "audit.result.denied": _t("Không có quyền", "Not allowed"),
    "audit.result.not_found": _t("Không tìm thấy", "Not found"),
    "audit.result.conflict": _t("Xung đột dữ liệu", "Conflict"),
    "audit.result.invalid": _t("Dữ liệu không hợp lệ", "Invalid input"),
    "audit.result.error": _t("Lỗi hệ thống", "System error"),
    "audit.field.target": _t("tài khoản", "account"),
    "audit.field.role": _t("vai trò", "role"),
    "audit.field.rehashed": _t("băm lại mật khẩu", "password rehashed"),
    "audit.field.reason": _t("lý do", "reason"),
    "audit.field.retry_after_s": _t("thử lại sau", "retry after"),
    "audit.field.count": _t("số lần", "count"),
    "audit.field.outcomes": _t("kết quả", "outcomes"),
    "audit.field.names": _t("tên đã thử", "names tried"),
    "audit.field.distinct_names": _t("số tên khác nhau", "distinct names"),
    "audit.field.first_ms": _t("lần đầu", "first"),
    "audit.field.last_ms": _t("lần cuối", "last"),
    "audit.field.window_s": _t("khoảng thời gian", "window"),
    "audit.field.recorded_separately": _t("đã ghi riêng", "recorded separately"),
    "audit.field.priorities": _t("mức ưu tiên", "priorities"),
    "audit.field.alarm_ids": _t("báo động", "alarms"),
    "audit.field.refused": _t("bị từ chối", "refused"),
    "audit.field.alarm_id": _t("báo động", "alarm"),
    "audit.field.minutes": _t("thời gian", "for"),
    "audit.field.text": _t("nội dung", "text"),
    "audit.field.error": _t("lỗi", "error"),
    "audit.field.path": _t("đường dẫn", "path"),
    "audit.field.params": _t("tham số", "parameters"),
    "audit.field.status": _t("mã trả lời", "status"),
    "audit.field.id": _t("số", "number"),
    "audit.field.staff_id": _t("nhân viên", "staff"),
    "audit.field.event_id": _t("sự kiện", "event"),
    "audit.field.test_id": _t("xét nghiệm", "test"),
    "audit.field.work_id": _t("giờ làm", "work record"),
    "audit.field.needs": _t("cần vai trò", "needs role"),
    "audit.field.shift": _t("ca", "shift"),
    "audit.field.new": _t("mới mở", "newly opened"),
    "audit.field.state": _t("trạng thái", "state"),
    "audit.field.item": _t("mục", "item"),
    "audit.field.title": _t("tiêu đề", "title"),
    "audit.field.start_ms": _t("từ", "from"),
    "audit.field.end_ms": _t("đến", "to"),
    "audit.field.note_id": _t("ghi chú", "note"),
    "audit.field.format": _t("định dạng", "format"),
    "audit.field.events": _t("số sự kiện", "events"),
    "audit.field.category": _t("nhóm", "category"),
    "audit.field.corrects": _t("đính chính mục", "corrects entry"),
    "audit.field.since": _t("từ", "from"),
    "audit.field.until": _t("đến", "to"),
    "audit.field.rows": _t("số dòng", "rows"),
    "audit.field.scenario": _t("kịch bản", "scenario"),
    "audit.field.days": _t("số ngày", "days"),
    "audit.field.replications": _t("số lần lặp", "replications"),
    "audit.field.seed": _t("hạt giống ngẫu nhiên", "seed"),
    "audit.field.design": _t("cách phối hợp", "design"),
    "audit.field.factors": _t("tham số thay đổi", "parameters varied"),
    "audit.field.runs": _t("số lần chạy", "runs"),
    "audit.field.degraded": _t("biểu đồ suy giảm", "degraded"),
    "audit.field.headway_min": _t("giãn cách (phút)", "headway (min)"),
    "audit.field.from": _t("từ", "from"),
    "audit.field.before_ms": _t("trước", "before"),
    "audit.field.removed": _t("đã xóa", "removed"),
    "audit.field.export_file": _t("tệp xuất", "export file"),
    "audit.field.label": _t("nhãn", "label"),
    # --- operator actions on alarms the book refuses (telemetry.alarms) ---------------------
    "alarm.refused.required": _t("Cần có {what}", "{what} is required"),
    "alarm.required.user_ack": _t("người xác nhận", "the acknowledging user"),
    "alarm.required.user_shelve": _t("người tạm ẩn", "the shelving user"),
    "alarm.required.reason": _t("lý do tạm ẩn", "a reason for shelving"),
    "alarm.required.user_approve": _t("người phê duyệt", "the approving user"),
    "alarm.required.user_unshelve": _t("người bỏ tạm ẩn", "the unshelving user"),
    "alarm.required.user_comment": _t("người ghi chú", "the commenting user"),
    "alarm.required.comment": _t("nội dung ghi chú", "comment text"),
    "alarm.refused.already_acked": _t(
        "Báo động #{id} đã được xác nhận (bởi {user})",
        "alarm {id} is already acknowledged (by {user})",
    ),
    "alarm.refused.normal_ack": _t(
        "Báo động #{id} đã trở về bình thường và đã được xác nhận",
        "alarm {id} has already returned to normal and been acknowledged",
    ),
    "alarm.refused.shelved_ack": _t(
        "Báo động #{id} đang tạm ẩn (bởi {user}); hãy bỏ tạm ẩn rồi mới xác nhận",
        "alarm {id} is shelved (by {user}); unshelve it to acknowledge it",
    ),
    "alarm.refused.no_request": _t(
        "Báo động #{id} không có yêu cầu tạm ẩn nào chờ phê duyệt",
        "alarm {id} has no shelve request to approve",
    ),
    "alarm.refused.request_lapsed": _t(
        "Yêu cầu tạm ẩn báo động #{id} đã hết hạn sau {ttl}; hãy yêu cầu lại",
        "the shelve request for alarm {id} lapsed after {ttl}; ask again",
    ),
    "alarm.refused.second_person": _t(
        "Tạm ẩn báo động P{p} cần người thứ hai: {user} đã yêu cầu, một điều độ viên khác "
        "phải phê duyệt",
        "shelving a P{p} alarm needs a second person: {user} asked, another operator must approve",
    ),
    "alarm.refused.already_shelved": _t(
        "Báo động #{id} đang tạm ẩn (bởi {user}); hãy bỏ tạm ẩn trước",
        "alarm {id} is already shelved (by {user}); unshelve it first",
    ),
    "alarm.refused.nothing_to_shelve": _t(
        "Báo động #{id} đã trở về bình thường và đã được xác nhận; không còn gì để tạm ẩn",
        "alarm {id} has returned to normal and been acknowledged; nothing to shelve",
    ),
    "alarm.refused.expiry_past": _t(
        "Thời điểm hết tạm ẩn phải ở tương lai (thời điểm đã chọn là {ago} trước)",
        "shelve expiry must be in the future (it is {ago} ago)",
    ),
    "alarm.refused.too_long_p": _t(
        "Báo động P{p} chỉ được tạm ẩn tối đa {limit}; đã yêu cầu {asked}",
        "P{p} alarms can be shelved for at most {limit}; asked for {asked}",
    ),
    "alarm.refused.too_long": _t(
        "Báo động chỉ được tạm ẩn tối đa {limit}; đã yêu cầu {asked}",
        "alarms can be shelved for at most {limit}; asked for {asked}",
    ),
    "alarm.refused.not_shelved": _t(
        "Báo động #{id} không ở trạng thái tạm ẩn", "alarm {id} is not shelved"
    ),
    "alarm.refused.not_found": _t(
        "Không có báo động #{id} (không tồn tại, hoặc đã quá thời hạn lưu lịch sử)",
        "alarm {id} not found (unknown, or aged out of history)",
    ),
    "alarm.refused.reason_short": _t(
        "Báo động P1/P2 cần lý do dài ít nhất {min} ký tự (mới có {got}): nêu lý do và việc "
        "đang làm",
        "a P1/P2 alarm needs a reason of at least {min} characters (got {got}): say why, and "
        "what is being done",
    ),
    "alarm.refused.reason_filler": _t(
        "Báo động P1/P2 cần lý do viết thành lời, không phải ký tự lặp lại hay vô nghĩa",
        "a P1/P2 alarm needs a reason in words, not repeated or filler characters",
    ),
    # --- what the system adds to an alarm's journal (telemetry.alarms) -----------------------
    "alarm.journal.train_out": _t(
        "bị chặn: tàu không chạy khách (ở depot hoặc ngừng khai thác)",
        "suppressed: train out of service (in the depot or off)",
    ),
    "alarm.journal.train_in": _t("tàu chạy khách trở lại", "train back in service"),
    "alarm.journal.asked_by": _t("theo yêu cầu của {user}", "asked by {user}"),
    "alarm.journal.shelved_by": _t("{user} đã tạm ẩn", "shelved by {user}"),
    "alarm.journal.no_telemetry": _t("mất dữ liệu: {trains}", "no telemetry: {trains}"),
    "alarm.journal.nothing": _t("không có", "nothing"),
    "alarm.detail.list": _t("{items}", "{items}"),
    # --- durations in texts ---------------------------------------------------------------
    "time.duration.hm": _t("{h} giờ {m} phút", "{h} h {m} min"),
    "time.duration.h": _t("{h} giờ", "{h} h"),
    "time.duration.m": _t("{m} phút", "{m} min"),
    "time.duration.s": _t("{s} giây", "{s} s"),
    # --- passenger alerts of the GTFS-RT feed (feeds.alerts) --------------------------------
    "feeds.alert.train_stopped": _t(
        "Tàu dừng giữa ga {a} và ga {b}", "Train stopped between {a} and {b}"
    ),
    "feeds.alert.train_stopped.detail": _t(
        "Một đoàn tàu hướng đi {towards} đang dừng giữa ga {a} và ga {b} do sự cố. Các chuyến "
        "tàu trên tuyến có thể bị chậm. Xin quý khách vui lòng theo dõi thông báo tại nhà ga.",
        "A train towards {towards} is stopped between {a} and {b} because of an incident. "
        "Trains on the line may be delayed. Please follow the announcements in the stations.",
    ),
    "feeds.alert.between": _t("từ ga {a} đến ga {b}", "between {a} and {b}"),
    "feeds.alert.at": _t("tại ga {a}", "at {a}"),
    "feeds.alert.power_loss": _t("Tạm dừng chạy tàu {where}", "Service suspended {where}"),
    "feeds.alert.power_loss.detail": _t(
        "Do sự cố cấp điện, tàu tạm dừng chạy {where}. Xin quý khách vui lòng sử dụng "
        "phương tiện khác và theo dõi thông báo tại nhà ga.",
        "Because of a power supply failure, trains are not running {where}. Please "
        "use other transport and follow the announcements in the stations.",
    ),
    "feeds.alert.reduced": _t(
        "Giảm tần suất chạy tàu từ {from} đến {to}", "Reduced service from {from} to {to}"
    ),
    "feeds.alert.reduced.detail": _t(
        "Do thiếu nhân lực lái tàu, {n} chuyến tàu hôm nay bị hủy và thời gian chờ tàu dài "
        "hơn bình thường. Xin quý khách thông cảm.",
        {
            "one": "For lack of train crew, {n} trip is cancelled today and waits are longer "
            "than usual. We apologise for the inconvenience.",
            "other": "For lack of train crew, {n} trips are cancelled today and waits are longer "
            "than usual. We apologise for the inconvenience.",
        },
    ),
    # --- a what-if run's verdict on the command line (simulation.verdict_text) ---------------
    # (the English level starts a sentence, the Vietnamese one sits inside it)
    "verdict.level.timetable": _t("biểu đồ chạy tàu đầy đủ", "The full timetable"),
    "verdict.level.peak_headway": _t("giãn cách cao điểm {h} phút", "{h}-minute peaks"),
    "verdict.level.headway_10min": _t(
        "giãn cách không quá 10 phút", "Service every 10 minutes or better"
    ),
    "verdict.level.headway_15min": _t(
        "giãn cách không quá 15 phút", "Service every 15 minutes or better"
    ),
    "verdict.level.service": _t("có tàu chạy ở mọi khung giờ", "Some service in every period"),
    "verdict.resource.drivers_early": _t("lái tàu ca sáng", "drivers on the early shift"),
    "verdict.resource.drivers_late": _t("lái tàu ca chiều", "drivers on the late shift"),
    "verdict.resource.trains": _t("đoàn tàu sẵn sàng", "trains fit for service"),
    "verdict.resource.technicians": _t(
        "kỹ thuật viên kiểm tra ban đêm", "technicians for the night inspection"
    ),
    "verdict.resource.control_centre": _t("nhân sự trung tâm điều hành", "control-centre staff"),
    "verdict.resource.station_staff": _t("nhân viên nhà ga", "station staff"),
    "verdict.level_held_throughout": _t(
        "Giữ được {level} suốt kỳ, đến {until}.", "{level}: kept throughout, to {until}."
    ),
    "verdict.level_held_until": _t(
        "Giữ được {level} đến {date} (p50; mất ở {share_lost:.0%} số lần chạy).",
        "{level}: kept until {date} (p50; lost in {share_lost:.0%} of runs).",
    ),
    "verdict.level_lost_from_start": _t(
        "Mất {level} ngay từ ngày đầu, {date}.", "{level}: lost from the first day, {date}."
    ),
    "verdict.level_lost_in_some_runs": _t(
        "Mất {level} ở {share_lost:.0%} số lần chạy{p10}.",
        "{level}: lost in {share_lost:.0%} of runs{p10}.",
    ),
    "verdict.lost_p10": _t(" (1/10 số lần trước {date})", " (one run in ten by {date})"),
    # --- `metro-ops simulate`: the figures table under the verdict (simulation/cli.py) -------
    "simulate.cli.title": _t(
        "{scenario}: {days} ngày từ {start}", "{scenario}: {days} days from {start}"
    ),
    "simulate.cli.figure": _t("chỉ số", "figure"),
    "simulate.cli.trips_planned": _t("chuyến theo kế hoạch", "trips planned"),
    "simulate.cli.trips_operated": _t("chuyến đã chạy", "trips operated"),
    "simulate.cli.trips_cancelled": _t("chuyến bị hủy", "trips cancelled"),
    "simulate.cli.cancelled_crew": _t("  do thiếu nhân sự", "  for want of crew"),
    "simulate.cli.cancelled_fleet": _t("  do sự cố tàu", "  to train faults"),
    "simulate.cli.overtime_h": _t("làm thêm giờ (giờ)", "overtime (h)"),
    "simulate.cli.legal_breaches": _t("vượt giới hạn luật lao động", "legal-limit breaches"),
    "simulate.cli.cases": _t("ca F0 trong nhân viên", "F0 cases among staff"),
    "simulate.cli.first_lost": _t(
        "ngày đầu mất {level} ({share:.0%} số lần chạy)",
        "{level}: first day lost ({share:.0%} of runs)",
    ),
    "simulate.cli.never": _t("không mất", "never"),
    "simulate.cli.footer": _t(
        "{n} lần chạy, seed {seed}, {workers} tiến trình, {wall} giây",
        {
            "one": "{n} replication, seed {seed}, {workers} workers, {wall} s wall",
            "other": "{n} replications, seed {seed}, {workers} workers, {wall} s wall",
        },
    ),
    "simulate.cli.mode_fixed": _t("số lần chạy cố định", "fixed"),
    "simulate.cli.mode_adaptive": _t("tự dừng khi ổn định", "adaptive"),
    "simulate.cli.stable": _t("ổn định", "stable"),
    "simulate.cli.not_stable": _t("CHƯA ổn định", "NOT yet stable"),
    "simulate.cli.stability": _t(
        "kết quả chính {state} ({mode}): chuyến bị hủy p50 {trips}; ngày đầu mất {level} p50 {day}",
        "headline {state} ({mode}): trips lost p50 {trips}; first day lost ({level}) p50 {day}",
    ),
    "simulate.cli.margin": _t("{v} ± {hw} (90 %)", "{v} ± {hw} (90 %)"),
    "simulate.cli.no_margin": _t(
        "{v} (một lần chạy: chưa có biên sai số)", "{v} (one replication: no margin yet)"
    ),
    "simulate.cli.days": _t("{date} ± {n} ngày (90 %)", "{date} ± {n} days (90 %)"),
    "verdict.trips_lost": _t(
        "Chuyến bị hủy: {p50}/{planned} (p50; p10–p90 {p10}–{p90}); trung bình {crew_mean} do "
        "thiếu nhân sự, {fleet_mean} do sự cố tàu.",
        "Trips lost: {p50} of {planned} (p50; p10–p90 {p10}–{p90}); on average {crew_mean} "
        "for want of crew, {fleet_mean} to train faults.",
    ),
    "verdict.overtime": _t(
        "Làm thêm giờ: tổng {hours_p50} giờ (p50); người nhiều nhất {person_month_max_p50} "
        "giờ/tháng.",
        "Overtime: {hours_p50} h in all (p50); the most anyone works in a month "
        "{person_month_max_p50} h.",
    ),
    "verdict.binding": _t(
        "Ràng buộc chính: {resource} ({share_of_days:.0%} số ngày-lần chạy).",
        "The binding constraint is {resource} ({share_of_days:.0%} of run-days).",
    ),
    "verdict.binding_none": _t(
        "Không nguồn lực nào buộc phải cắt giảm kế hoạch chạy tàu của ngày nào.",
        "No resource forced a cut in any day's service plan.",
    ),
    "verdict.binding_not_recorded": _t(
        "Kết quả này không ghi lại điều gì hạn chế việc chạy tàu.",
        "This result does not record what limited the service.",
    ),
    # --- what-if inputs refused (simulation.scenario, simulation.setup) ----------------------
    "scenario.refused.no_series": _t(
        "Không có chuỗi số ca mắc “{name}”; các chuỗi có: {known}",
        "no incidence series {name}; known: {known}",
    ),
    "scenario.refused.growth_twice": _t(
        "Chỉ nhập một trong hai: số ngày tăng gấp đôi hoặc tốc độ tăng mỗi ngày",
        "give doubling_days or growth_per_day, not both",
    ),
    "scenario.refused.growth_not_positive": _t(
        "Tốc độ tăng mỗi ngày phải là số lớn hơn 0", "growth_per_day must be a number above 0"
    ),
    "scenario.refused.start_above_peak": _t(
        "Mức ca mắc ban đầu cao hơn mức đỉnh", "incidence starts above its peak"
    ),
    "scenario.refused.series_starts_late": _t(
        "Chuỗi số ca mắc {series} bắt đầu từ {first}, sau ngày {on}",
        "incidence series {series} starts {first}, after {on}",
    ),
    "scenario.refused.series_ends_early": _t(
        "Chuỗi số ca mắc {series} kết thúc ngày {last}, trước ngày bắt đầu mô phỏng ({start})",
        "incidence series {series} ends {last}, before the run starts ({start})",
    ),
    "scenario.refused.no_staff": _t(
        "Hồ sơ nhân sự không có nhân viên nào: chưa nhập danh sách nhân sự, hoặc sai địa chỉ "
        "cơ sở dữ liệu",
        "the crew record has no staff: no roster imported, or the wrong crew database",
    ),
    "scenario.refused.trace_probability": _t(
        "Xác suất truy vết nhóm {kind} phải trong khoảng 0 đến 1",
        "trace probability of {kind} must be within 0 and 1",
    ),
    "scenario.refused.headway_steps": _t(
        "Các bậc giãn cách phải dương và tăng dần", "headway steps must be positive and increasing"
    ),
    "scenario.refused.split_peak": _t(
        "Chuyến cuối của ca cao điểm chia đôi xuất phát sau khi ca kết thúc",
        "a split peak duty's last departure is after its end",
    ),
    "scenario.refused.mtbf_low": _t(
        "Phải ít nhất {min_h} giờ: mọi đoàn tàu hỏng nhiều hơn mỗi giờ một lần thì lần chạy "
        "không thể kết thúc",
        "must be at least {min_h} h: every train failing more often than once an hour makes "
        "a run that cannot finish",
    ),
    "scenario.refused.inspection_low": _t("Phải ít nhất {min_h} giờ", "must be at least {min_h} h"),
    "scenario.refused.station_absence_order": _t(
        "Đợt vắng mặt của nhân viên nhà ga kết thúc trước khi bắt đầu",
        "a station absence ends before it starts",
    ),
    "scenario.refused.station_absence_count": _t(
        "{count} nhân viên nhà ga {station} vắng mặt, nhưng mỗi ga chỉ có {per_station}",
        "absence of {count} station staff at {station}: a station has {per_station}",
    ),
    "scenario.refused.rule_dates": _t(
        "Các thay đổi quy định phải có ngày tăng dần", "rule changes must have increasing dates"
    ),
    "scenario.refused.long_shift": _t(
        "Ca kéo dài {hours} giờ vượt mức tối đa {most} giờ một ngày của quy định tổ lái",
        "service.long_shift_h {hours} h is above the crew policy's daily maximum of {most} h",
    ),
    "scenario.refused.absence_count": _t(
        "Đợt vắng mặt {k}: {count} người vắng mặt, nhưng danh sách chỉ có {heads} {role}",
        "absence {k}: {count} absent, but the roster has {heads} ({role})",
    ),
    "scenario.refused.absence_after_end": _t(
        "Đợt vắng mặt {k} bắt đầu ngày {day}, sau ngày cuối của lần chạy ({last})",
        "absence {k} starts on day {day}, after the run's last day ({last})",
    ),
    "scenario.refused.absence_order": _t(
        "Đợt vắng mặt {k} kết thúc (ngày {to_day}) trước khi bắt đầu ({from_day})",
        "absence {k} ends (day {to_day}) before it starts ({from_day})",
    ),
    "scenario.refused.seed_after_end": _t(
        "Ca bệnh đầu tiên {k} vào ngày {day}, sau ngày cuối của lần chạy ({last})",
        "index case {k} on day {day} is after the run's last day ({last})",
    ),
    "scenario.refused.seed_count": _t(
        "Ca bệnh đầu tiên {k}: {count} ca, nhưng danh sách chỉ có {pool} {who}",
        "index case {k}: {count} cases, but the roster has {pool} ({who})",
    ),
    "scenario.refused.seed_no_cohort": _t(
        "Ca bệnh đầu tiên {k} nằm trong nhóm đang ở lại nơi làm việc, nhưng kịch bản không có "
        "nhóm “3 tại chỗ”",
        "index case {k} is inside the cohort on site, but the scenario has no 3-on-site cohorts",
    ),
    "scenario.refused.who_staff": _t("nhân viên", "staff"),
    "simulation.refused.too_large": _t(
        "Số ngày × số lần lặp tối đa {most:,} ({days} ngày: tối đa {reps:,} lần lặp)",
        "days x replications is at most {most:,} ({days} days: at most {reps:,} replications)",
    ),
    "whatif.status.queued": _t("đang chờ", "queued"),
    "whatif.status.running": _t("đang chạy", "running"),
    "whatif.status.done": _t("đã xong", "done"),
    "whatif.status.failed": _t("bị lỗi", "failed"),
    "whatif.status.cancelled": _t("đã hủy", "cancelled"),
    "whatif.refused.no_run": _t("Không có lần chạy mô phỏng {id}", "no simulation run {id}"),
    "whatif.refused.no_result": _t(
        "Lần chạy {id} {status}: chưa có kết quả", "run {id} is {status}: it has no result"
    ),
    "whatif.refused.ended": _t(
        "Lần chạy {id} đã kết thúc ({status}): không còn gì để dừng",
        "run {id} is {status}: it has already ended",
    ),
    "whatif.refused.queue_total": _t(
        "Đang có {n} lần chạy chờ hoặc đang chạy (simulation.queue_total): thử lại khi có lần"
        " chạy xong",
        "{n} runs are queued or running (simulation.queue_total): retry when one has finished",
    ),
    "whatif.refused.queue_mine": _t(
        "Bạn đang có {n} lần chạy chờ hoặc đang chạy (simulation.queue_per_user): chờ một lần"
        " xong hoặc hủy một lần",
        "you have {n} runs queued or running (simulation.queue_per_user): wait for one to"
        " finish or cancel one",
    ),
    "sweep.refused.no_sweep": _t("Không có lần quét độ nhạy {id}", "no sweep {id}"),
    "sweep.refused.ended": _t(
        "Lần quét {id} đã kết thúc ({status}): không còn gì để dừng",
        "sweep {id} is {status}: it has already ended",
    ),
    "sweep.refused.queue_full": _t(
        "Đã có {n} lần quét đang chờ: thử lại sau",
        "{n} sweeps are already waiting: try again later",
    ),
    "sweep.refused.no_chart": _t(
        "Lần quét {id} {status}: chưa có biểu đồ", "sweep {id} is {status}: no chart yet"
    ),
    "sweep.refused.too_large": _t(
        "Số lần chạy × số ngày × số lần lặp tối đa {most:,} (lần quét này: {size:,})",
        "runs x days x replications is at most {most:,} (this sweep: {size:,})",
    ),
    # --- crew: why someone may not work a shift (crew.eligibility) -----------------------------
    "crew.problem.not_on_roster": _t("không có trong danh sách", "not on the roster"),
    "crew.problem.role": _t(
        "là {role}, nhiệm vụ cần {needed}", "is a {role}, duty needs a {needed}"
    ),
    "crew.problem.discipline": _t(
        "chuyên môn {discipline}, nhiệm vụ cần {needed}",
        "discipline {discipline}, duty needs {needed}",
    ),
    "crew.problem.line": _t(
        "làm ở tuyến {line}, không phải {needed}", "works on line {line}, not {needed}"
    ),
    "crew.problem.qualification_expired": _t(
        "{kind} {scope} hết hạn {until}", "{kind} {scope}: expired {until}"
    ),
    "crew.problem.qualification_missing": _t("không có {kind} {scope}", "{kind} {scope}: not held"),
    "crew.problem.status": _t("đang {state}", "{state}"),
    "crew.problem.status_until": _t("đang {state} đến {until}", "{state} until {until}"),
    "crew.problem.status_release_test": _t(
        "đang {state} (hết cách ly, chưa có xét nghiệm âm tính)",
        "{state} (isolation over, no negative test yet)",
    ),
    "crew.problem.test_positive": _t(
        "{kind} dương tính lúc {taken_at}", "positive {kind} at {taken_at}"
    ),
    "crew.problem.test_missing": _t(
        "chưa có xét nghiệm âm tính trong {hours:g} giờ trước ca",
        "no negative test in the {hours:g} h before",
    ),
    "crew.problem.not_on_site": _t(
        "không ở trong nhóm 3 tại chỗ đang hoạt động", "not in an active 3-on-site cohort"
    ),
    "crew.problem.rest": _t(
        "ca {start}–{end} không để đủ {hours:g} giờ nghỉ giữa ca",
        "shift {start}–{end} leaves under {hours:g} h rest",
    ),
    "crew.problem.day_already_worked": _t(
        "đã làm một ca ngày {day}", "already works a shift on {day}"
    ),
    "crew.problem.day_hours": _t(
        "{hours:g} giờ > {limit:g} giờ trong ngày", "{hours:g} h > {limit:g} h"
    ),
    "crew.problem.week_days": _t(
        "đã làm {days} ngày trong tuần này", "already {days} days this week"
    ),
    "crew.problem.overtime_not_allowed": _t(
        "không được làm thêm giờ (ca thêm {hours:g} giờ)", "shift adds {hours:g} h overtime"
    ),
    "crew.problem.overtime_month": _t(
        "làm thêm {hours:g} giờ > {limit:g} giờ trong tháng", "{hours:g} h > {limit:g} h this month"
    ),
    "crew.problem.overtime_year": _t(
        "làm thêm {hours:g} giờ > {limit:g} giờ trong năm", "{hours:g} h > {limit:g} h this year"
    ),
    # --- crew: names used inside the texts above ----------------------------------------------
    "crew.role.driver": _t("lái tàu", "driver"),
    "crew.role.technician": _t("kỹ thuật viên", "technician"),
    "crew.role.occ_operator": _t("điều độ viên", "control-centre operator"),
    "crew.state.available": _t("sẵn sàng", "available"),
    "crew.state.on_shift": _t("đang làm ca", "on shift"),
    "crew.state.rest": _t("nghỉ giữa ca", "resting"),
    "crew.state.leave": _t("nghỉ phép", "on leave"),
    "crew.state.f1_quarantine": _t("F1 cách ly", "F1 in quarantine"),
    "crew.state.f0_isolation": _t("F0 cách ly", "F0 in isolation"),
    "crew.state.sick_other": _t("ốm", "sick"),
    "crew.qualification.line_licence": _t("giấy phép lái tàu tuyến", "line licence"),
    "crew.qualification.route_knowledge": _t("kiến thức tuyến", "route knowledge"),
    "crew.qualification.rolling_stock": _t("chứng chỉ đoàn tàu", "rolling stock"),
    "crew.qualification.discipline_cert": _t("chứng chỉ chuyên môn", "discipline certificate"),
    "crew.qualification.occ_post": _t("chứng chỉ vị trí điều độ", "control-centre post"),
    "crew.test_kind.rapid": _t("test nhanh", "rapid test"),
    "crew.test_kind.pcr": _t("xét nghiệm PCR", "PCR test"),
    "crew.group_kind.shift_team": _t("tổ/kíp", "shift team"),
    "crew.group_kind.dormitory_room": _t("phòng ký túc xá", "dormitory room"),
    "crew.group_kind.onsite_cohort": _t("nhóm 3 tại chỗ", "onsite cohort"),
    # --- crew: contact tracing and cohorts (crew.rules) ----------------------------------------
    "crew.trace.shares_group": _t(
        "cùng {kind} {group} ({name}) với F0 {case}",
        "shares {kind} {group} ({name}) with F0 {case}",
    ),
    "crew.trace.already_f0": _t("đã là F0; {why}", "already F0; {why}"),
    "crew.cohort.too_long": _t(
        "nhóm {cohort} dài hơn {days} ngày", "cohort {cohort} lasts longer than {days} days"
    ),
    "crew.cohort.overlap": _t(
        "nhóm {a} và {b} trùng thời gian và có chung người: {members}",
        "cohorts {a} and {b} overlap in time and share {members}",
    ),
    # --- the shift log's own entries (services.shiftlog_feed) ------------------------------
    "log.alarm.raised": _t(
        "Báo động P{priority} #{alarm_id}: {text}", "P{priority} alarm #{alarm_id}: {text}"
    ),
    "log.alarm.reactivated": _t(
        "Báo động P{priority} #{alarm_id} lại xuất hiện: {text}",
        "P{priority} alarm #{alarm_id} again: {text}",
    ),
    "log.alarm.shelved": _t(
        "Báo động #{alarm_id} được {user} tạm ẩn {minutes} phút ({reason}): {text}",
        "Alarm #{alarm_id} shelved by {user} for {minutes} min ({reason}): {text}",
    ),
    "log.crew.status": _t(
        "{staff} {name}: {state} từ {effective}{source}",
        "{staff} {name}: {state} from {effective}{source}",
    ),
    "log.crew.source": _t(" ({text})", " ({text})"),
    # --- incident timelines (services.incident_sources) ------------------------------------
    "incident.alarm": _t(
        "Cảnh báo #{alarm_id} (P{priority}) {what}{user}: {text}{detail}",
        "Alarm #{alarm_id} (P{priority}) {what}{user}: {text}{detail}",
    ),
    "incident.alarm.by": _t(" bởi {user}", " by {user}"),
    "incident.alarm.comment": _t(
        "{user} ghi chú cảnh báo #{alarm_id}: {comment}",
        "{user} commented on alarm #{alarm_id}: {comment}",
    ),
    "incident.alarm.detail_note": _t(" — {text} ({note})", " — {text} ({note})"),
    "incident.alarm.note": _t(" — {note}", " — {note}"),
    "incident.refused.start_not_finite": _t(
        "Thời điểm bắt đầu phải là một thời điểm hữu hạn",
        "the window's start must be a finite time",
    ),
    "incident.refused.end_not_finite": _t(
        "Thời điểm kết thúc phải là một thời điểm hữu hạn",
        "the window's end must be a finite time",
    ),
    "incident.refused.start_out_of_range": _t(
        "Thời điểm bắt đầu nằm ngoài phạm vi", "the window's start is out of range"
    ),
    "incident.refused.end_out_of_range": _t(
        "Thời điểm kết thúc nằm ngoài phạm vi", "the window's end is out of range"
    ),
    "incident.refused.end_before_start": _t(
        "Thời điểm kết thúc phải sau thời điểm bắt đầu", "the window must end after it starts"
    ),
    "incident.refused.window_long": _t(
        "Khoảng thời gian dài tối đa {days} ngày", "a window is at most {days} days long"
    ),
    "incident.refused.not_found": _t("Không có sự cố #{id}", "no incident {id}"),
    "incident.refused.closed_no_notes": _t(
        "Sự cố #{id} đã đóng: không thêm ghi chú được nữa",
        "incident {id} is closed: it takes no more notes",
    ),
    "incident.refused.already_closed": _t(
        "Sự cố #{id} đã đóng rồi", "incident {id} is already closed"
    ),
    "incident.refused.empty": _t("{what} đang để trống", "{what} is empty"),
    "incident.refused.too_long": _t(
        "{what} dài tối đa {max} ký tự (đang có {got})",
        "{what} is at most {max} characters (got {got})",
    ),
    "incident.refused.nul": _t(
        "{what} không được chứa ký tự NUL", "{what} must not contain NUL characters"
    ),
    "incident.field.title": _t("Tiêu đề", "the title"),
    "incident.field.author": _t("Người viết", "the author"),
    "incident.field.note": _t("Ghi chú", "a note"),
    "incident.what.raised": _t("xuất hiện", "raised"),
    "incident.what.reactivated": _t("xuất hiện lại", "raised again"),
    "incident.what.cleared": _t("hết", "cleared"),
    "incident.what.acked": _t("được xác nhận", "acknowledged"),
    "incident.what.shelved": _t("bị tạm ẩn", "shelved"),
    "incident.what.unshelved": _t("hết tạm ẩn", "unshelved"),
    "incident.what.shelve_expired": _t("hết hạn tạm ẩn", "shelve expired"),
    "incident.what.returned_while_shelved": _t(
        "xuất hiện lại khi đang tạm ẩn", "returned while shelved"
    ),
    "incident.what.grouped": _t("gộp cảnh báo liên quan", "grouped consequential alarms"),
    "incident.audit": _t(
        "{user}: {action} ({result}){detail}", "{user}: {action} ({result}){detail}"
    ),
    "incident.trip.lost": _t(
        "Chuyến {trip} ({origin} {depart}) không chạy", "Trip {trip} ({origin} {depart}) not run"
    ),
    "log.trips.cancelled": _t(
        "Ngày {date}: {n} chuyến bị hủy do thiếu lái tàu (thêm {added}, chạy lại {restored})",
        {
            "one": "{date}: {n} trip cancelled for want of drivers "
            "({added} more, {restored} restored)",
            "other": "{date}: {n} trips cancelled for want of drivers "
            "({added} more, {restored} restored)",
        },
    ),
    # --- handovers (shiftlog.handovers, services.handover_draft) ------------------------------
    "log.handover.signed": _t(
        "Bàn giao {shift} ({when}): {user} đã ký, {items} mục ({must} cần xác nhận)",
        "Handover of {shift} ({when}): signed by {user}, {items} items ({must} to acknowledge)",
    ),
    "log.handover.accepted": _t(
        "Bàn giao {shift} ({when}): {user} đã nhận bàn giao từ {by}",
        "Handover of {shift} ({when}): accepted by {user} from {by}",
    ),
    "log.handover.missing": _t(
        "Hết {shift} ({when}) mà không có bàn giao",
        "No handover at the end of {shift} ({when})",
    ),
    "log.timetable.degraded": _t(
        "{user} công bố biểu đồ chạy tàu suy giảm: giãn cách {headway} phút từ {from} ({reason})",
        "{user} declared a degraded timetable: headway {headway} min from {from} ({reason})",
    ),
    "log.timetable.normal": _t(
        "{user} công bố trở lại biểu đồ chạy tàu bình thường từ {from} ({reason})",
        "{user} declared the normal timetable again from {from} ({reason})",
    ),
    "log.refused.no_text": _t("Mục nhật ký cần có nội dung", "an entry needs text"),
    "log.refused.too_long": _t(
        "Mục nhật ký dài tối đa {max} ký tự (đang có {got})",
        "an entry is at most {max} characters (got {got})",
    ),
    "log.refused.no_author": _t("Mục nhật ký cần có người viết", "an entry needs an author"),
    "log.refused.no_entry": _t("Không có mục nhật ký #{id}", "no shift log entry {id}"),
    "log.refused.no_entry_to_correct": _t(
        "Không có mục nhật ký #{id} để đính chính", "no shift log entry {id} to correct"
    ),
    "log.refused.correction_category": _t(
        "Mục đính chính giữ nhóm của mục được đính chính ({original}), không phải {given}",
        "a correction keeps the category of the entry it corrects ({original}), not {given}",
    ),
    "log.refused.no_category": _t(
        "Cần chọn nhóm cho mục nhật ký: {choices}", "category is required: {choices}"
    ),
    "log.refused.category_writer": _t(
        "Mục nhóm {category} do {allowed} viết, không phải {role}",
        "{category} entries are written by {allowed}, not {role}",
    ),
    "log.refused.unknown_train": _t("Không có tàu {train}", "unknown train {train}"),
    "log.refused.no_alarm": _t("Không có cảnh báo #{id} để liên kết", "no alarm {id} to link to"),
    "log.refused.unknown_staff": _t(
        "Không có nhân viên mã {staff} trong danh sách tổ lái",
        "no staff member {staff} on the crew roster",
    ),
    "log.refused.staff_format": _t(
        "Mã nhân viên gồm chữ, số và . _ - (tối đa 32 ký tự), không phải {staff}",
        "a staff id is letters, digits and . _ - (at most 32 characters), not {staff}",
    ),
    "audit.refused.until_before_since": _t(
        "Thời điểm kết thúc phải sau thời điểm bắt đầu", "until must be after since"
    ),
    "log.refused.until_before_since": _t(
        "Thời điểm kết thúc phải sau thời điểm bắt đầu", "until must be after since"
    ),
    "log.refused.export_too_long": _t(
        "Mỗi lần xuất tối đa {days} ngày", "export at most {days} days at once"
    ),
    "log.category.operations": _t("Vận hành", "operations"),
    "log.category.crew": _t("Tổ lái", "crew"),
    "log.category.equipment": _t("Thiết bị", "equipment"),
    "log.category.safety": _t("An toàn", "safety"),
    "log.category.other": _t("Khác", "other"),
    "timetable.refused.no_reason": _t("Quyết định cần có lý do", "a decision needs its reason"),
    "timetable.refused.reason_long": _t(
        "Lý do dài tối đa {max} ký tự", "a reason is at most {max} characters"
    ),
    "timetable.refused.no_headway": _t(
        "Biểu đồ suy giảm cần có giãn cách chạy tàu", "a degraded timetable needs its headway"
    ),
    "handover.state.draft": _t("đang soạn", "draft"),
    "handover.state.signed": _t("đã ký", "signed"),
    "handover.state.accepted": _t("đã được nhận", "accepted"),
    "handover.refused.not_found": _t("Không có biên bản giao ca #{id}", "no handover {id}"),
    "handover.refused.no_item": _t(
        "Biên bản giao ca #{id} không có mục {key}", "handover {id} has no item {key}"
    ),
    "handover.refused.state": _t("{why} (biên bản {state})", "{why} (the handover is {state})"),
    "handover.refused.edit_draft": _t(
        "Chỉ sửa được biên bản đang soạn", "only a draft can be edited"
    ),
    "handover.refused.sign_draft": _t(
        "Chỉ ký được biên bản đang soạn", "only a draft can be signed"
    ),
    "handover.refused.accept_signed": _t(
        "Chỉ nhận được biên bản đã ký", "only a signed handover can be accepted"
    ),
    "handover.refused.summary_long": _t(
        "Phần tóm tắt dài tối đa {max} ký tự", "a summary is at most {max} characters"
    ),
    "handover.refused.ack_signed": _t(
        "Chỉ xác nhận các mục trên biên bản đã ký (biên bản này {state})",
        "items are acknowledged on a signed handover (this one is {state})",
    ),
    "handover.refused.unacked": _t(
        "Hãy xác nhận trước mọi mục bắt buộc: {keys}",
        "acknowledge every item that requires it first: {keys}",
    ),
    "handover.refused.not_opener_edit": _t(
        "Chỉ {user}, người mở biên bản, được sửa biên bản giao ca này",
        "only {user}, who opened it, edits this handover",
    ),
    "handover.refused.not_opener_sign": _t(
        "Chỉ {user}, người mở biên bản, được ký biên bản giao ca này",
        "only {user}, who opened it, signs this handover",
    ),
    "handover.refused.incoming": _t(
        "Ca nhận xác nhận: phải là người khác với người giao ca",
        "the incoming shift acknowledges: another user than the one handing over",
    ),
    "handover.item.timetable": _t(
        "Đang chạy biểu đồ suy giảm: giãn cách {headway} phút từ {from} ({reason}; {user})",
        "Degraded timetable in force: headway {headway} min from {from} ({reason}; {user})",
    ),
    "handover.item.incident": _t(
        "Sự cố #{id} đang mở: {title} (từ {start}, {user})",
        "Incident #{id} open: {title} (since {start}, {user})",
    ),
    "handover.item.alarm": _t(
        "P{priority} #{alarm_id}: {text}{acked}", "P{priority} #{alarm_id}: {text}{acked}"
    ),
    "handover.item.acked": _t(" (đã xác nhận: {user})", " (acknowledged: {user})"),
    "handover.item.unacked": _t(" (chưa xác nhận)", " (not acknowledged)"),
    "handover.item.shelved": _t(
        "P{priority} #{alarm_id}: {text} — tạm ẩn bởi {user} đến {until} ({reason})",
        "P{priority} #{alarm_id}: {text} — shelved by {user} until {until} ({reason})",
    ),
    "handover.item.trips_lost": _t(
        "Hôm nay mất {lost} chuyến: {cancelled} bị hủy do thiếu lái tàu, {not_run} không chạy"
        " (không ghi nhận xuất phát tại ga đầu){list}",
        "Trips lost today: {lost}: {cancelled} cancelled for want of drivers, {not_run} not run"
        " (no departure recorded at the origin){list}",
    ),
    "handover.item.trips_none": _t("Hôm nay không mất chuyến nào", "No trips lost today"),
    "handover.item.crew_short": _t(
        "Thiếu {n} {role} {shift} ({start})", "{n} {role} short on {shift} ({start})"
    ),
    "handover.item.crew_ok": _t("Ca sau đủ người", "The next shift is fully staffed"),
    "handover.item.crew_unknown": _t(
        "Chưa có số liệu nhân sự ca sau", "No crew coverage of the next shift yet"
    ),
    "handover.item.log": _t(
        "Sổ ca #{id} ({author}, {at}): {text}", "Log #{id} ({author}, {at}): {text}"
    ),
    "handover.summary": _t(
        "Bàn giao {shift} ({when}). Báo động đang mở: {alarms} (P1/P2: {urgent}),"
        " tạm ẩn: {shelved}. Chuyến mất hôm nay: {lost}."
        " Thiếu người ca sau: {short}. Việc cần theo dõi: {open}.",
        "Handover of {shift} ({when}). Open alarms: {alarms} (P1/P2: {urgent}),"
        " shelved: {shelved}. Trips lost today: {lost}."
        " Short on the next shift: {short}. Open log items: {open}.",
    ),
}
