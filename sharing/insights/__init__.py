"""Dashboards: what each member gives and gets, and the ISAC's view of its membership.

`kinds` is the registry of what is counted per organisation (reports, indicators,
sightings, comments shared; reports, indicators and sightings received; how many other
organisations read and sighted what it shared). `refresh` computes every figure through
sharing.policy into `InsightFigure` rows on a schedule; `selectors` reads those rows for
the pages; `charts` draws them as SVG on the server.
"""
