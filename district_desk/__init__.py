"""District Desk: the upstream product (the province's receiver of ward batches).

Its store and its two back ends (:mod:`district_desk.store`,
:mod:`district_desk.backends`), keys, the batch ingest rules, quarantine, enrolment of wards, the figures and
ranking, the HTTP receiver, the ``district-desk`` CLI and its Textual desk
(:mod:`district_desk.ui`). It shares only the wire format with the ward
(``sync_agent.envelope``, ``keyfiles``, ``enrol_code``) and the ward's pure rules
(``ward_desk.domain``); it never imports the ward's store or services.
"""
