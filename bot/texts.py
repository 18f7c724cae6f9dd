"""Every Chinese line a user can see, in one place."""

from __future__ import annotations

HELP = """👋 你好！我是 arXiv 中文速递机器人。

<b>发链接，得中文摘要</b>
把 arXiv 链接或编号发给我（可以一次发多个，每条消息最多 {max_papers} 篇），我会回复每篇论文的中文标题、一句话总结、精炼的中文摘要，以及英文标题、链接和英文摘要。
例如：
<code>https://arxiv.org/abs/2403.15176</code>
<code>arXiv:2312.15230</code>
<code>hep-th/9901001</code>

<b>命令</b>
/summary 链接… — 总结这些论文（也可以回复一条含链接的消息发送 /summary）
/autosummary on|off — 群组中是否自动总结普通消息里的链接（仅管理员）
/help — 显示本帮助

<b>每日速递</b>
/subscribe cs.LG cs.CL — 订阅分类，每天推送当天的新论文（群组中仅管理员）
/unsubscribe [分类…] — 取消部分分类或全部订阅
/keywords LLM, agent — 只推送标题或摘要含关键词的论文；/keywords off 关闭
/time 08:00 [Asia/Shanghai] — 推送时间和时区（默认 {default_time}，{default_zone}）
/limit 20 — 每期最多篇数（1-100）
/settings — 查看订阅；/digest — 立即发送今天的速递
频道：在私聊中发送 /subscribe @频道名 cs.LG（需要你是频道管理员，且我是能发消息的管理员）；其他命令同样在最前面加 @频道名。
周末和假日 arXiv 不发布新论文，也就没有速递。

<b>在群组中使用</b>
默认会自动总结群里出现的 arXiv 链接。机器人要看到普通消息，需要在 @BotFather 中关闭隐私模式（/setprivacy → Disable），或把机器人设为群管理员；否则请用 /summary。

每位用户每天最多可新生成 {quota} 篇摘要；已有摘要的论文不计入额度。"""

WORKING = "⏳ 正在获取 {count} 篇论文并生成中文摘要……"
NO_IDS_PRIVATE = (
    "没有在消息中找到 arXiv 链接或编号。\n"
    "请发送例如 https://arxiv.org/abs/2403.15176 或 arXiv:2403.15176，发送 /help 查看用法。"
)
SUMMARY_USAGE = (
    "用法：/summary 后面跟 arXiv 链接或编号，例如 /summary 2403.15176；"
    "或回复一条含 arXiv 链接的消息并发送 /summary。"
)
TOO_MANY = "一条消息最多处理 {limit} 篇论文，已处理前 {limit} 篇，其余 {rest} 篇请另发消息。"
NOT_FOUND = "arXiv 上找不到这些论文：{ids}。请检查编号是否正确。"
ARXIV_DOWN = "暂时无法连接 arXiv，请稍后再试。"
QUOTA_REACHED = (
    "今天的免费摘要额度（{quota} 篇）已用完，以下论文未生成摘要：{ids}。"
    "已有摘要的论文仍可随时查看，额度将于明天（{zone} 时间）重置。"
)
SUMMARY_FAILED = "部分论文的中文摘要暂时无法生成（摘要服务异常），已先发送英文信息，稍后可再试。"
INTERNAL_ERROR = "抱歉，处理时出了点问题，请稍后再试。"
ADMIN_ONLY = "只有群管理员可以修改这个设置。"
GROUP_ONLY = "这个命令只能在群组中使用。"
AUTOSUMMARY_USAGE = "用法：/autosummary on 或 /autosummary off。当前：{state}。"
AUTOSUMMARY_SET = "已{state}本群的自动摘要。"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("summary", "总结 arXiv 论文：/summary 链接…"),
    ("subscribe", "订阅分类的每日速递：/subscribe cs.LG"),
    ("unsubscribe", "取消订阅（全部或部分分类）"),
    ("keywords", "关键词过滤：/keywords LLM, agent 或 off"),
    ("time", "推送时间：/time 08:00 Asia/Shanghai"),
    ("limit", "每期最多篇数：/limit 20"),
    ("settings", "查看本聊天的订阅"),
    ("digest", "立即发送今天的速递"),
    ("autosummary", "群组自动摘要开关：on 或 off"),
    ("help", "使用说明"),
    ("start", "开始使用"),
)

# Subscriptions
CHANNEL_FROM_PRIVATE = "频道的订阅请在与我的私聊中设置，例如：/subscribe @频道名 cs.LG"
ADMIN_ONLY_SUBSCRIPTION = "只有群管理员可以修改本群的订阅。"
CHANNEL_NOT_FOUND = "找不到 {name}。请确认频道名正确，并已把我加为该频道的管理员。"
NOT_A_CHANNEL = "{name} 不是频道。群组请直接在群里发送订阅命令。"
NOT_CHANNEL_ADMIN = "只有 {name} 的管理员可以设置它的订阅。"
BOT_CANNOT_POST = "我还不能在 {name} 发消息：请把我设为该频道管理员，并授予“发布消息”权限。"
SUBSCRIBE_USAGE = "用法：/subscribe 分类…，例如 /subscribe cs.LG cs.CL（分类名见 https://arxiv.org/category_taxonomy）"
UNKNOWN_CATEGORY = "未知的 arXiv 分类：{name}。"
MORE_UNKNOWN = "……另有 {count} 个未知分类。"
DID_YOU_MEAN = "你是不是想输入：{names}？"
SUBSCRIBED = "✅ 已订阅：{categories}。\n每天 {time}（{zone}）推送当天的新论文，最多 {limit} 篇；第一期将在 {first} 发送。发送 /digest 可立即获取今天的速递。"
NOT_SUBSCRIBED = "这里还没有订阅。先发送 /subscribe 分类，例如 /subscribe cs.LG"
UNSUBSCRIBED_ALL = "已取消全部订阅，不会再推送每日速递。"
UNSUBSCRIBED_SOME = "已取消：{removed}。仍订阅：{left}。"
NOT_IN_SUBSCRIPTION = "当前订阅中没有：{names}。当前订阅：{current}。"
KEYWORDS_USAGE = "用法：/keywords 关键词1, 关键词2（只推送标题或摘要含任一关键词的论文），或 /keywords off 关闭过滤。"
KEYWORDS_SET = (
    "已设置关键词：{keywords}。只推送标题或摘要包含其中任一关键词的论文（不区分大小写）。"
)
KEYWORDS_OFF = "已关闭关键词过滤，推送全部新论文。"
KEYWORDS_TOO_MANY = "关键词最多 {count} 个，每个不超过 {length} 个字符。"
TIME_USAGE = "用法：/time HH:MM [时区]，例如 /time 08:00 或 /time 21:30 Europe/Berlin"
TIME_BAD = "时间格式不对：{value}。请用 24 小时制 HH:MM，例如 08:00。"
ZONE_BAD = (
    "未知的时区：{value}。请用 IANA 时区名，例如 Asia/Shanghai、Europe/Berlin、America/New_York。"
)
TIME_SET = "已改为每天 {time}（{zone}）推送；下一期在 {first}。"
LIMIT_USAGE = "用法：/limit N，每期最多推送 N 篇（1-100），例如 /limit 20"
LIMIT_SET = "已设置每期最多 {limit} 篇。"
SETTINGS = "📋 {title} 的订阅\n分类：{categories}\n关键词：{keywords}\n推送时间：每天 {time}（{zone}）\n每期最多：{limit} 篇\n状态：{state}"
SETTINGS_NONE = "{title} 还没有订阅。发送 /subscribe 分类 开始，例如 /subscribe cs.LG"
DIGEST_NONE = "今天没有新的 arXiv 公告（周末或假日不发布），没有可发送的速递。"
DIGEST_ALREADY = "{day} 的速递已经发送过了。"
DIGEST_BUSY = "{day} 的速递正在发送中。"
DIGEST_ARXIV_DOWN = "暂时无法获取 arXiv 的每日公告，请稍后再试。"
DIGEST_SENT_TO = "已把今天的速递（{count} 条消息）发送到 {title}。"
