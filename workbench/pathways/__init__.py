"""Individual intervention pathways: build, measure, oversee and monitor them.

- :mod:`workbench.pathways.build`: the :class:`~workbench.pathways.build.Pathway` and
  :class:`~workbench.pathways.build.PathwayStep` records and the batch builder;
- :mod:`workbench.pathways.evidence` and :mod:`workbench.pathways.occupations`: what a
  pathway rests on (the approved effectiveness model; region contexts and reachable
  shortage occupations), each read or computed once per batch;
- :mod:`workbench.pathways.outcomes`: return-to-work rates as La Bonne Formation computes
  them;
- :mod:`workbench.pathways.batch`: ``workbench pathways score`` (validate everything,
  pseudonymise, score, build, write atomically).

Nothing is imported here, so importing one module does not load the others.
"""
