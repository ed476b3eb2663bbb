"""Every change to accounts goes through a function here, one module per area.

organisations (organisations, their domains, people and memberships), agreements, groups
(trust groups and sector communities), invitations, sectors, signin (two factors, password
reset), tokens (API tokens).
"""
