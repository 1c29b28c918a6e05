"""The facilitator's side of a workshop: the live dashboard, its plots and the minutes.

The dashboard is a Voilà app served by the (token-authenticated) JupyterLab server, not
by the public app server: ``<lab>/voila/render/dashboards/facilitator.ipynb?workshop=ID``.
"""
