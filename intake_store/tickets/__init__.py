"""Tickets: the thin shell between the HTTP handlers and the pure core, one module per job.

- `backoffice`: what every operation needs (database, catalog, calendar, clock, listeners)
- `viewer`: who is asking, and whether they may see a ticket
- `numbering`: ticket numbers and the citizen's query code
- `lookup`: finding a ticket by its number
- `history`: a ticket's events and the life and clocks replayed from them
- `commands`: what changes a ticket (submit, dispatch, accept, reply, amend …)
- `citizen`: what a citizen holding the number and query code sees
- `views`: a ticket and its events as a member of staff may see them
- `listing`: the one listing of tickets, for the API, the console and the portal
- `seeding`: the catalog's data files mirrored into the tables
"""
