"""Vietnamese for every label of the UI, keyed by its English text.

`tests/ui/test_i18n.py` fails when a template or view uses a label missing here.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # layout and navigation
    "Provincial SOC": "SOC tỉnh",
    "Provincial SOC platform": "Nền tảng giám sát an toàn thông tin tỉnh",
    "Provincial Security Operations Centre": "Trung tâm Giám sát an toàn thông tin tỉnh",
    "Main menu": "Trình đơn chính",
    "Dashboard": "Tổng quan",
    "Alerts": "Cảnh báo",
    "Cases": "Sự cố",
    "Event search": "Tra cứu sự kiện",
    "Log in": "Đăng nhập",
    "Log out": "Đăng xuất",
    "Times in %(zone)s": "Thời gian theo múi giờ %(zone)s",
    "Back to the dashboard": "Về trang tổng quan",
    "Pages": "Trang",
    "Previous": "Trước",
    "Next": "Sau",
    "%(n)d result": "%(n)d kết quả",
    "page %(page)d of %(last)d": "trang %(page)d/%(last)d",
    # login
    "Use the account issued by the provincial SOC.": (
        "Sử dụng tài khoản do Trung tâm Giám sát tỉnh cấp."
    ),
    "Username": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Wrong username or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Too many failed logins. Try again in a few minutes.": (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau vài phút."
    ),
    # dashboard
    "Events stored": "Sự kiện đã lưu",
    "New alerts": "Cảnh báo mới",
    "All alerts": "Tất cả cảnh báo",
    "Open cases": "Sự cố đang mở",
    "All cases": "Tất cả sự cố",
    "Latest alerts": "Cảnh báo mới nhất",
    "Latest cases": "Sự cố mới nhất",
    "No alerts yet.": "Chưa có cảnh báo.",
    "No cases yet.": "Chưa có sự cố.",
    # common columns and fields
    "Time": "Thời gian",
    "Severity": "Mức độ",
    "Rule": "Luật phát hiện",
    "Agency": "Cơ quan",
    "Status": "Trạng thái",
    "Entity": "Đối tượng",
    "Case": "Sự cố",
    "Title": "Tiêu đề",
    "Assignee": "Người xử lý",
    "Updated": "Cập nhật",
    "Opened": "Mở lúc",
    "Closed": "Đóng lúc",
    "Description": "Mô tả",
    "Summary": "Tóm tắt",
    "Tags": "Nhãn",
    "Details": "Chi tiết",
    "Unassigned": "Chưa phân công",
    "Filter": "Lọc",
    "All agencies": "Tất cả cơ quan",
    "All my agencies": "Tất cả cơ quan của tôi",
    "All severities": "Mọi mức độ",
    "All statuses": "Mọi trạng thái",
    "All rules": "Mọi luật",
    # alert queue and triage
    "Alert queue": "Hàng đợi cảnh báo",
    "Select all": "Chọn tất cả",
    "Select": "Chọn",
    "No alerts match these filters.": "Không có cảnh báo phù hợp bộ lọc.",
    "Triage": "Xử lý",
    "Action": "Thao tác",
    "Acknowledge": "Xác nhận đã xem",
    "Escalate to a case": "Chuyển thành sự cố",
    "Existing case": "Sự cố có sẵn",
    "— new case —": "— sự cố mới —",
    "New case title": "Tiêu đề sự cố mới",
    "Title for a new case": "Tiêu đề cho sự cố mới",
    "Escalate": "Chuyển sự cố",
    "Close": "Đóng",
    "Verdict": "Kết luận",
    "Reason": "Lý do",
    "Why this verdict": "Lý do kết luận",
    "Matched events": "Sự kiện khớp",
    "Select at least one alert.": "Hãy chọn ít nhất một cảnh báo.",
    "Choose an existing case or give a new case title.": (
        "Hãy chọn một sự cố có sẵn hoặc nhập tiêu đề cho sự cố mới."
    ),
    "%(n)d alert acknowledged.": "Đã xác nhận %(n)d cảnh báo.",
    "%(n)d alert closed.": "Đã đóng %(n)d cảnh báo.",
    "%(n)d alert escalated to case #%(id)d.": "Đã chuyển %(n)d cảnh báo vào sự cố #%(id)d.",
    # cases
    "No cases match these filters.": "Không có sự cố phù hợp bộ lọc.",
    "Linked alerts": "Cảnh báo liên quan",
    "No linked alerts.": "Không có cảnh báo liên quan.",
    "Comments": "Bình luận",
    "Comment": "Bình luận",
    "No comments yet.": "Chưa có bình luận.",
    "Add a comment": "Thêm bình luận",
    "Post comment": "Gửi bình luận",
    "Update case": "Cập nhật sự cố",
    "Save": "Lưu",
    "History": "Lịch sử",
    "No history.": "Chưa có lịch sử.",
    "alert": "cảnh báo",
    "Case updated.": "Đã cập nhật sự cố.",
    "Comment added.": "Đã thêm bình luận.",
    # event search
    "Query (Lucene syntax)": "Truy vấn (cú pháp Lucene)",
    "From": "Từ",
    "To": "Đến",
    "Search": "Tìm kiếm",
    "Dataset": "Nguồn dữ liệu",
    "Source": "Nguồn",
    "Destination": "Đích",
    "User": "Người dùng",
    "Host": "Máy",
    "Event": "Sự kiện",
    "Full document": "Toàn bộ bản ghi",
    "No events.": "Không có sự kiện.",
    # detection rules
    "Rules": "Luật",
    "Detection rules": "Luật phát hiện",
    "Detection is not running in this process.": "Tiến trình này không chạy phát hiện.",
    "Error": "Lỗi",
    "Kind": "Loại",
    "Last run": "Lần chạy gần nhất",
    "Last matches": "Khớp lần gần nhất",
    "Total matches": "Tổng số khớp",
    "Title, id or tag": "Tiêu đề, mã hoặc nhãn",
    "ATT&CK": "ATT&CK",
    "No rules match these filters.": "Không có luật phù hợp bộ lọc.",
    "Rule id": "Mã luật",
    "Source file": "Tệp nguồn",
    "Checkpoint": "Mốc đã quét",
    "Sigma rule": "Luật Sigma",
    "The rule file cannot be read.": "Không đọc được tệp luật.",
    "Compiled SQL": "SQL đã biên dịch",
    "Recent alerts": "Cảnh báo gần đây",
    "Detection": "Phát hiện",
    "Enabled": "Bật",
    "Enable": "Bật",
    "Disable": "Tắt",
    "Why it is switched off": "Lý do tắt luật",
    "Rule enabled. Events ingested while it was off were not examined.": (
        "Đã bật luật. Các sự kiện nhận được trong thời gian luật bị tắt chưa được quét."
    ),
    "Rule disabled. Detection stops running it within one pass.": (
        "Đã tắt luật. Bộ phát hiện ngừng chạy luật này từ lượt quét kế tiếp."
    ),
    "Detection skips this rule since its last run failed. Retry once the cause is fixed.": (
        "Bộ phát hiện đang bỏ qua luật này vì lần chạy gần nhất bị lỗi. "
        "Hãy chạy lại sau khi đã khắc phục nguyên nhân."
    ),
    "Retry the rule": "Chạy lại luật",
    "The rule runs again on the next detection pass.": (
        "Luật sẽ được chạy lại ở lượt phát hiện kế tiếp."
    ),
    "No such rule.": "Không có luật này.",
    # retro-hunt
    "Retro-hunt": "Truy quét hồi tố",
    "Run retro-hunt": "Chạy truy quét hồi tố",
    "Retro-hunt selected rules": "Truy quét hồi tố các luật đã chọn",
    "Run the selected rules over a past period of event time (@timestamp). "
    "Alerts already raised are not raised twice.": (
        "Chạy các luật đã chọn trên một khoảng thời gian xảy ra sự kiện (@timestamp) trong quá "
        "khứ. Cảnh báo đã có sẽ không bị tạo lại."
    ),
    "Event time (@timestamp). Alerts already raised are not raised twice.": (
        "Theo thời gian xảy ra sự kiện (@timestamp). Cảnh báo đã có sẽ không bị tạo lại."
    ),
    "Recent retro-hunts": "Các lần truy quét hồi tố gần đây",
    "Select at least one rule.": "Hãy chọn ít nhất một luật.",
    "The end of the window must come after its start.": (
        "Thời điểm kết thúc phải sau thời điểm bắt đầu."
    ),
    "Submitted": "Gửi lúc",
    "By": "Người yêu cầu",
    "Window": "Khoảng thời gian",
    "Progress": "Tiến độ",
    "Finished": "Hoàn tất lúc",
    "This page reloads until the hunt is over.": "Trang tự tải lại cho đến khi truy quét xong.",
    "Matches": "Số khớp",
    "Total": "Tổng",
    # remote sites
    "Remote sites": "Điểm thu thập từ xa",
    "A site runs `soc collect` inside an agency network and forwards its logs here over HTTPS. "
    "Every event a site sends belongs to the site's agency.": (
        "Điểm thu thập chạy `soc collect` trong mạng của cơ quan và chuyển nhật ký về đây qua "
        "HTTPS. Mọi sự kiện do một điểm gửi lên đều thuộc về cơ quan của điểm đó."
    ),
    "Token for site %(id)s": "Mã truy cập của điểm %(id)s",
    "Copy it now: it is shown only once. Store it on the site's machine in a file readable "
    "only by the collector.": (
        "Hãy sao chép ngay: mã chỉ hiển thị một lần. Lưu mã trên máy của điểm thu thập, trong "
        "một tệp chỉ bộ thu thập được đọc."
    ),
    "Command on the site": "Lệnh chạy tại điểm thu thập",
    "Site ID": "Mã điểm",
    "Site name": "Tên điểm",
    "Last report": "Lần báo gần nhất",
    "Events since start": "Sự kiện từ khi khởi động",
    "Spooled batches": "Lô đang chờ gửi",
    "Reported from": "Địa chỉ gửi",
    "Token issued": "Cấp mã lúc",
    "Site revoked": "Đã thu hồi",
    "Site silent": "Mất tín hiệu",
    "Site reporting": "Đang gửi",
    "Never reported": "Chưa từng gửi",
    "New token": "Cấp mã mới",
    "Revoke site": "Thu hồi",
    "No remote sites yet.": "Chưa có điểm thu thập từ xa.",
    "Add a site": "Thêm điểm thu thập",
    "Create site and token": "Tạo điểm và cấp mã",
    "Site %(id)s revoked: its token no longer works.": (
        "Đã thu hồi điểm %(id)s: mã truy cập của điểm không còn hiệu lực."
    ),
    # form validation
    "%(field)s is required": "Cần nhập %(field)s",
    "%(field)s is too long (at most %(n)d characters)": "%(field)s quá dài (tối đa %(n)d ký tự)",
    "%(field)s has an unknown value": "%(field)s có giá trị không hợp lệ",
    "%(field)s must be a number": "%(field)s phải là số",
    "%(field)s is not a valid date and time": "%(field)s không phải ngày giờ hợp lệ",
    # errors
    "The request could not be understood.": "Yêu cầu không hợp lệ.",
    "Please log in.": "Vui lòng đăng nhập.",
    "Your role does not allow this action.": (
        "Vai trò của bạn không được phép thực hiện thao tác này."
    ),
    "Not found, or not visible to your agency.": (
        "Không tìm thấy, hoặc cơ quan của bạn không có quyền xem."
    ),
    "This action is not allowed here.": "Không được phép thực hiện thao tác này tại đây.",
    "The request is too large.": "Yêu cầu quá lớn.",
    "Too many attempts. Try again later.": "Quá nhiều lần thử. Vui lòng thử lại sau.",
    "Something went wrong on the server.": "Máy chủ gặp lỗi.",
    "The form has expired. Reload the page and retry.": (
        "Biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại."
    ),
    # stored codes
    "severity:informational": "Thông tin",
    "severity:low": "Thấp",
    "severity:medium": "Trung bình",
    "severity:high": "Cao",
    "severity:critical": "Nghiêm trọng",
    "status:new": "Mới",
    "status:acknowledged": "Đã xem",
    "status:escalated": "Đã chuyển sự cố",
    "status:closed": "Đã đóng",
    "status:open": "Đang mở",
    "status:in_progress": "Đang xử lý",
    "status:resolved": "Đã khắc phục",
    "verdict:true_positive": "Tấn công thật",
    "verdict:false_positive": "Cảnh báo nhầm",
    "role:admin": "Quản trị viên",
    "role:analyst": "Chuyên viên phân tích",
    "role:agency_admin": "Quản trị cơ quan",
    "role:manager": "Lãnh đạo",
    "stage:load": "Nạp",
    "stage:compile": "Biên dịch",
    "stage:run": "Chạy",
    "kind:event": "Sự kiện đơn",
    "kind:correlation": "Tương quan",
    "rule_status:enabled": "Đang bật",
    "rule_status:disabled": "Đã tắt",
    "rule_status:failing": "Bị cách ly (lỗi khi chạy)",
    "rule_status:not_compiled": "Không biên dịch được",
    "rule_status:hunt_only": "Chỉ dùng khi săn tìm",
    "retro_state:queued": "Đang chờ",
    "retro_state:running": "Đang chạy",
    "retro_state:done": "Hoàn tất",
    "retro_state:failed": "Thất bại",
    "audit:rule.enabled": "đã bật luật",
    "audit:rule.disabled": "đã tắt luật",
    "audit:rule.retried": "đã cho chạy lại luật",
    "audit:rule.retro_hunt": "đã chạy truy quét hồi tố",
    "audit:alert.acknowledged": "đã xác nhận một cảnh báo",
    "audit:alert.closed": "đã đóng một cảnh báo",
    "audit:alert.escalated": "đã chuyển một cảnh báo vào sự cố",
    "audit:alert.grouped": "đã gộp một cảnh báo vào sự cố",
    "audit:case.opened": "đã mở sự cố",
    "audit:case.updated": "đã cập nhật sự cố",
    "audit:case.merged": "đã đóng sự cố vì mọi cảnh báo đã được chuyển sang sự cố khác",
    "audit:comment.added": "đã thêm bình luận",
    # source health (sources page)
    "Sources": "Nguồn dữ liệu",
    "Every device that sends us data, since this server started: what arrived, and where "
    "data was lost.": (
        "Mọi thiết bị gửi dữ liệu về, tính từ khi máy chủ khởi động: đã nhận được gì "
        "và dữ liệu bị mất ở đâu."
    ),
    "UDP datagrams received (host-wide)": "Gói UDP đã nhận (toàn máy chủ)",
    "UDP receive buffer overflows (host-wide)": "Tràn bộ đệm nhận UDP (toàn máy chủ)",
    "UDP receive errors (host-wide)": "Lỗi nhận UDP (toàn máy chủ)",
    "Kernel counters since boot, for every UDP socket of this machine: they cannot be told "
    "apart per exporter. A growing overflow count means datagrams were dropped before any "
    "collector saw them; raise the receive buffer.": (
        "Bộ đếm của nhân hệ điều hành từ lúc khởi động, cho mọi socket UDP của máy này: "
        "không tách được theo từng thiết bị xuất. Số lần tràn tăng dần nghĩa là gói tin bị "
        "bỏ trước khi bộ thu nhận được; hãy tăng bộ đệm nhận."
    ),
    "NetFlow and IPFIX exporters": "Thiết bị xuất NetFlow và IPFIX",
    "Exporter": "Thiết bị xuất",
    "Protocol": "Giao thức",
    "Last seen": "Lần cuối nhận",
    "Packets": "Gói tin",
    "Flows": "Luồng",
    "Templates": "Mẫu (template)",
    "No template: waiting / dropped": "Thiếu mẫu: đang chờ / bị bỏ",
    "Sequence gaps": "Hụt số thứ tự",
    "Decode errors": "Lỗi giải mã",
    "Sampling": "Lấy mẫu",
    "Sequence gaps: lost export packets for NetFlow v9, lost flow records for v5 and IPFIX. "
    "Waiting and dropped counts are data sets, each holding one or more flows.": (
        "Hụt số thứ tự: số gói xuất bị mất với NetFlow v9, số bản ghi luồng bị mất với v5 "
        "và IPFIX. Số đang chờ và bị bỏ tính theo tập dữ liệu, mỗi tập chứa một hoặc nhiều luồng."
    ),
    "No NetFlow exporter has sent data since the server started.": (
        "Chưa có thiết bị NetFlow nào gửi dữ liệu kể từ khi máy chủ khởi động."
    ),
    "Other sources": "Nguồn khác",
    "Counters": "Bộ đếm",
    # my account and users
    "My account": "Tài khoản của tôi",
    "Role": "Vai trò",
    "Change my password": "Đổi mật khẩu của tôi",
    "After the change, your sessions on other computers are logged out.": (
        "Sau khi đổi, các phiên đăng nhập của bạn trên máy khác sẽ bị đăng xuất."
    ),
    "Current password": "Mật khẩu hiện tại",
    "New password": "Mật khẩu mới",
    "New password again": "Nhập lại mật khẩu mới",
    "Change password": "Đổi mật khẩu",
    "Your password is changed. Your other sessions are logged out.": (
        "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã bị đăng xuất."
    ),
    "The current password is wrong.": "Mật khẩu hiện tại không đúng.",
    "The two new passwords differ.": "Hai lần nhập mật khẩu mới không khớp nhau.",
    "A password has %(low)d to %(high)d characters.": "Mật khẩu có từ %(low)d đến %(high)d ký tự.",
    "This username is already taken.": "Tên đăng nhập này đã được dùng.",
    "A username has 2 to 64 letters, digits or . _ @ - and starts with a letter or digit.": (
        "Tên đăng nhập có từ 2 đến 64 ký tự gồm chữ, số hoặc . _ @ - và bắt đầu bằng chữ hoặc số."
    ),
    "An agency administrator needs an existing agency.": (
        "Quản trị cơ quan phải thuộc một cơ quan đã có trong hệ thống."
    ),
    "You cannot deactivate yourself.": "Bạn không thể tự vô hiệu hóa tài khoản của mình.",
    "Users": "Người dùng",
    "Accounts are deactivated, never deleted, so that their comments and the audit log keep "
    "their author.": (
        "Tài khoản chỉ bị vô hiệu hóa, không bao giờ bị xóa, để các bình luận và nhật ký kiểm "
        "tra vẫn giữ được người thực hiện."
    ),
    "Last login": "Đăng nhập lần cuối",
    "Active": "Đang hoạt động",
    "Deactivated": "Đã vô hiệu hóa",
    "Never": "Chưa bao giờ",
    "Deactivate": "Vô hiệu hóa",
    "Reactivate": "Kích hoạt lại",
    "Set password": "Đặt mật khẩu",
    "Add a user": "Thêm người dùng",
    "Agency (agency administrators only)": "Cơ quan (chỉ cho quản trị cơ quan)",
    "Initial password": "Mật khẩu ban đầu",
    "Create account": "Tạo tài khoản",
    "Account %(name)s created.": "Đã tạo tài khoản %(name)s.",
    "Account %(name)s is active again.": "Tài khoản %(name)s đã được kích hoạt lại.",
    "Account %(name)s is deactivated and logged out.": (
        "Tài khoản %(name)s đã bị vô hiệu hóa và đăng xuất."
    ),
    "Password set; that user's sessions are logged out.": (
        "Đã đặt mật khẩu; các phiên đăng nhập của người dùng đó đã bị đăng xuất."
    ),
}
