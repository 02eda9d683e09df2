"""Tests of the conversation: dialogue stories, actions, end to end."""
