"""The names of the sheets sachstand writes, in a module of their own: the budget and the
workbook's opening (``opening``) need them before the rest of the format (``layout``) is loaded."""

META_SHEET = "_sachstand"
"""The hidden sheet of a template's or register workbook's own details (``layout``)."""
PROJECTS = "Projekte"
"""The sheet of the projects in every workbook sachstand writes (the one a template or register is read from)."""
