"""What the gateway itself says to citizens (the assistant says everything else)."""

SAVED_NOTICE = (
    "您的消息已保存。智能助手暂时无法及时回复，我们会尽快处理并在这里答复您，"
    "工作人员也会查看这段对话。请勿重复发送。"
)
HANDOFF_REASON = "智能助手暂时无法应答，群众消息已保存，待人工跟进"
EMPTY_HINT = "没有收到文字内容。请直接输入您要反映的问题，例如：某某单位拖欠我们的工程款。"
SYMBOLS_HINT = "我暂时只能看懂文字。请用文字说明您要反映的问题，或者输入“转人工”。"
NON_TEXT_HINT = "目前只能处理文字消息。图片、文件等材料请先保存好，在对话中用文字说明，工作人员需要时会联系您。"
LONG_NOTE = (
    "您的消息较长（共{length}字），已完整保存，工作人员可以看到全文；"
    "智能助手只读取前{limit}字，其余内容如有要点，请分段补充。"
)
GROUP_REFUSED = (
    "为保护您的个人信息，本热线不在群聊中受理投诉和查询。请点开本机器人，单独发消息给我们。"
)
WECHAT_CHOOSE = "请回复数字选择："
STALE_BUTTON = "这个按钮已失效，请直接输入您的回答。"

# What the web page shows when it cannot reach the app at all.
WEB_UNREACHABLE = "网络连接中断，消息未发送，请稍后重试。"
