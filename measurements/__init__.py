"""The project's committed records, installed as ``theorems.measurements`` (package data only).

Each ``*.json`` here is written by a maintainer command (``make record`` copies
``reports/``'s; ``make quadrature-record`` writes ``quadrature.json`` directly) and read by
the report (:mod:`theorems.report.power`) through this package, so that an installed
wheel shows them too. Nothing here is code; the module exists so that the folder installs.
"""
