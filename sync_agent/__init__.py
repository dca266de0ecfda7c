"""The sync protocol: outbox -> signed, encrypted batches -> upload, and the district receiver.

See ``sync_agent/PROTOCOL.md`` for the wire format.
"""
