"""JupyterHub deployment of a shared workspace (``workbench hub``).

- :mod:`workbench.hub.config` writes a documented ``jupyterhub_config.py`` for a
  workspace and its team (region groups, facilitators), and starts the Hub;
- :mod:`workbench.hub.rights` derives who may run, publish, facilitate and see the
  dashboard of a case study from the Hub identity (groups and custom scopes).
"""
