"""The district's Textual screens (``district-desk ui``): wards, ranking, overdue
dossiers across wards, self-assessments to review. The only part of
``district_desk`` that imports Textual; everything it shows comes from
:mod:`district_desk.views` and :mod:`district_desk.ranking`."""
