"""Pure domain rules of Ward Desk: no I/O, no database, no UI.

Modules: ``text`` (search folding), ``validation`` (IDs, phones, names),
``calendar`` (working days), ``timing`` (due dates, early/on time/late),
``lifecycle`` (states, actions, event folding, apology slips), ``codes``
(dossier codes). Import the module you need; nothing is imported here, so
``import ward_desk.domain.text`` stays cheap on start-up.
"""
