"""One spelling of an e-mail address for every comparison: sign-in, lockout, reset,
invitations. Addresses are stored lower case; what a person types is normalised the same way
before it is looked up or counted, so `Analyst@X.example ` is the same account (and the
same lockout counter) as `analyst@x.example`."""


def normalise_email(value: str) -> str:
    """Trimmed and lower case. The local part is case-sensitive in theory only: no member's
    mail system treats `Analyst@` and `analyst@` as two people, and one account per address
    is what lockout and invitations rely on."""
    return value.strip().lower()
