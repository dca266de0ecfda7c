"""The district's Textual screens (``district-desk ui``): wards, ranking, overdue
dossiers across wards, self-assessments to review. The only part of
``sync_agent`` that imports Textual; everything it shows comes from
:mod:`sync_agent.district.views` and :mod:`sync_agent.district.ranking`."""
