"""The words every part of the hotline shares: the assistant's actions, the
chat gateway and the back office.

Standard library only, so both Python environments import it (the action
server runs beside Rasa on Python 3.10; the back office on 3.11+). Codes are
English identifiers used in storage, logic and the API; the Chinese labels
people read are data next to them.
"""
