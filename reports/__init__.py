"""Reports of a ward: the periodic dossier report and the monthly self-assessment,
as terminal text, CSV, JSON, XLSX, PDF and DOCX, and their CLI commands.

The figures come from :mod:`ward_desk.services.reporting` and
:mod:`ward_desk.services.assessment`; this package lays them out. Heavy
libraries (openpyxl, fpdf2, python-docx) are imported inside the functions
that need them, so the CLI and the app start without them.
"""
