"""The dossier search index rebuilt for cheaper intakes and faster searches (issue 2).

Measured on a 1,000,000-dossier store (bench/RESULTS.md, "Store (issue 2)"):

- The office's agency id leaves the indexed text: it began every dossier code, so its
  token was in all 1M rows and a code search merged a 1M-row doclist. Codes are now
  found through the ``dossier_code`` index (``services.dossiers.search``); their
  date and sequence parts stay indexed.
- ``prefix='2 3 4'`` (was ``'2 3'``): a last word of four characters ("minh",
  "pham", a phone's last four digits) is read from a prefix index lazily instead of
  merging every token that starts with it.
- ``automerge=0``: FTS5's incremental merging ran inside every intake's commit
  (about half the pages an intake wrote, and reads of old, cold segments); merging
  is done when the desk is idle instead (``ward_desk.store.database.maybe_checkpoint``),
  with FTS5's crisis merge (16 segments on a level) as the bound when it never is.

The rows are re-indexed from the dossiers with the body as ``search_body`` made it
when this migration was written (frozen here; only the folding is shared).

Frozen SQL: a migration never imports the models.
"""

from __future__ import annotations

from peewee import Database

VERSION = 4

STATEMENTS = [
    'DROP TABLE IF EXISTS "dossier_fts"',
    'CREATE VIRTUAL TABLE "dossier_fts" USING fts5(body, content=\'\', contentless_delete=1, '
    "prefix='2 3 4', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO \"dossier_fts\" (\"dossier_fts\", rank) VALUES ('automerge', 0)",
]


def _body(agency: str, name: str, id_number: str, phone: str, code: str, fold) -> str:
    code = code.lower()
    if agency and code.startswith(agency + "-"):
        code = code[len(agency) + 1 :]
    parts = [fold(name), id_number, phone, code]
    parts += [s[-4:] for s in (phone, id_number) if len(s) > 4]
    return " ".join(p for p in parts if p)


def upgrade(db: Database) -> None:
    from ward_desk.domain.text import fold

    for statement in STATEMENTS:
        db.execute_sql(statement)
    row = db.execute_sql('SELECT "agency_id" FROM "office" LIMIT 1').fetchone()
    agency = row[0].lower() if row else ""
    last = 0
    while True:
        rows = db.execute_sql(
            'SELECT "id", "applicant_name", "applicant_id_number", "applicant_phone", "code" FROM "dossier" '
            'WHERE "id" > ? ORDER BY "id" LIMIT 20000',
            (last,),
        ).fetchall()
        if not rows:
            break
        db.cursor().executemany(
            'INSERT INTO "dossier_fts" ("rowid", "body") VALUES (?, ?)',
            [(r[0], _body(agency, r[1], r[2], r[3], r[4], fold)) for r in rows],
        )
        last = rows[-1][0]
    db.execute_sql("INSERT INTO \"dossier_fts\" (\"dossier_fts\") VALUES ('optimize')")  # one segment to start from
