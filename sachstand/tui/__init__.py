"""The Textual app for IT staff. Works through ``sachstand.core`` only; there is no SQL here."""
