"""Every change to accounts goes through a function here, one module per area.

organisations (organisations and their domains), people (people and their memberships),
agreements, groups (trust groups and sector communities), invitations, sectors, signin (two
factors, password reset), tokens (API tokens).

Every service takes the acting membership as `by` (None for the system itself: seed_demo,
management commands) and asks accounts.policy whether it may act.
"""
