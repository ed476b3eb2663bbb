"""Requests for information: members ask, members and the ISAC answer.

`services` holds every change (ask, answer, route, merge, close, turn an answer into a
report), `selectors` the reads (always through sharing.policy), `views`, `forms` and
`urls` the pages; the API lives with the rest in sharing/api/.
"""
