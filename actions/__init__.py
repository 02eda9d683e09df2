"""Custom actions of the hotline assistant (rasa_sdk action server).

Talks to the back office only over HTTP (actions/backoffice.py); imports
nothing from the app. Modules by topic: complaint (form, read-back, filing,
retry), status (progress and 回访), handoff (转人工), fallback.
"""
