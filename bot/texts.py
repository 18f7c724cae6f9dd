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
    ("autosummary", "群组自动摘要开关：on 或 off"),
    ("help", "使用说明"),
    ("start", "开始使用"),
)
