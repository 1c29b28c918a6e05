"""ipywidgets of the stakeholder apps. Every form submits through
:class:`workbench.widgets.submitter.Submitter`, which calls the one feedback service.

Importing the package installs :func:`workbench.widgets.guard.install` (limits on what a
page may send to its widgets), before the app creates any widget in the kernel."""

from workbench.widgets import guard

guard.install()
