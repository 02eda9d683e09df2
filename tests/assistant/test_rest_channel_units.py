"""Unit tests of the Rasa server's REST channel (bot/rest_channel.py). They need
rasa, so they run in the Rasa environment with plain unittest:

    .venv-rasa/bin/python -m unittest -v tests.assistant.test_rest_channel_units

(test_action_units_wrapper.py runs exactly that from the app's pytest.)
"""
from __future__ import annotations

import asyncio
import unittest

from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.rest_channel import answered_before, fail_loudly


def heard(text: str, message_id: str) -> UserUttered:
    return UserUttered(text, metadata={"message_id": message_id})


class AnsweredBefore(unittest.TestCase):
    events = [
        heard("你好", "1"), BotUttered("您好"), ActionExecuted("action_listen"),
        heard("确认提交", "2"), ActionExecuted("action_listen"),  # an action failed under it: no answer
        heard("确认提交", "2"), BotUttered("已受理", data={"buttons": [{"title": "查进度", "payload": "/q"}]}),
        BotUttered("谢谢"), ActionExecuted("action_listen"),
    ]

    def test_the_answer_to_a_message_heard_before_is_what_was_said_after_it(self):
        self.assertEqual([e.text for e in answered_before(self.events, "1")], ["您好"])

    def test_a_message_handled_again_after_it_went_unanswered_has_the_later_answer(self):
        self.assertEqual([e.text for e in answered_before(self.events, "2")], ["已受理", "谢谢"])

    def test_a_message_not_heard_or_heard_without_an_answer_is_handled(self):
        self.assertIsNone(answered_before(self.events, "3"))
        self.assertIsNone(answered_before(self.events[:5], "2"))
        self.assertIsNone(answered_before(self.events, None))  # a sender without ids (Rasa called directly)


class FailsLoudly(unittest.TestCase):
    def test_a_tracker_store_error_fails_the_turn_instead_of_starting_the_conversation_afresh(self):
        class Broken(InMemoryTrackerStore):
            async def retrieve(self, sender_id):
                raise ConnectionError("database restarting")

            async def save(self, tracker):
                raise ConnectionError("database restarting")

        store = FailSafeTrackerStore(Broken(Domain.empty()))
        self.assertIsNone(asyncio.run(store.retrieve("web:x")))  # Rasa's own way: a new conversation
        fail_loudly(store)
        with self.assertRaises(ConnectionError):
            asyncio.run(store.retrieve("web:x"))
        with self.assertRaises(ConnectionError):
            asyncio.run(store.save(None))


if __name__ == "__main__":
    unittest.main()
