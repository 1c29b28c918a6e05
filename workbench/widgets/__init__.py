"""ipywidgets of the stakeholder apps. Every form submits through
:class:`workbench.widgets.submitter.Submitter`, which calls the one feedback service."""
