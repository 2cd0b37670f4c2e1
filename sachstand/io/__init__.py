"""Excel in and out: the familiar overview sheet, department templates and the report workbook.

Works through ``sachstand.core`` only; there is no SQL here.
"""
