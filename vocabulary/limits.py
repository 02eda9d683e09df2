"""How long a ticket's fields may be: the API refuses longer, the database
columns hold this much, and the assistant cuts what it sends to fit."""

TEXT = 5000  # description, findings, a reply, a field source's text
LONG = 2000  # promise, evidence, reasons, a 回访 comment
SHORT = 200  # respondent, place, reference, sender id, conversation id
PROMISE_DATE = 100
CONTACT_NAME = 100
CONTACT_PHONE = 30
CODE = 64  # category, department
TICKET_NUMBER = 20
QUERY_CODE = 20
HANDOFF_REASON = 500
