"""What the ward and its upstream share, and the ward's half of the sync.

Shared, pure (no store): the wire format (:mod:`sync_agent.envelope`), key files
(:mod:`sync_agent.keyfiles`), enrolment codes (:mod:`sync_agent.enrol_code`) and
the errors they raise (:mod:`sync_agent.errors`). The ward's agent: outbox ->
signed, encrypted batches -> upload (:mod:`sync_agent.agent`), ``ward-desk
sync`` (:mod:`sync_agent.ward_cli`), applying the downlink
(:mod:`sync_agent.downlink`) and enrolment (:mod:`sync_agent.enrolment`). The
upstream product is :mod:`district_desk`, which this package never imports.
See ``sync_agent/PROTOCOL.md`` for the wire format.
"""
