"""The theorems, one module per result of the notes: statement, hypotheses, oracles, contract.

Every module here exposes ``THEOREMS`` and, where the notes transcribe a formula wrongly,
``CLAIMS``; :mod:`theorems.registry` discovers them by location (every module of this
package), so adding a theorem never means editing a central list. These modules are
declarations only: the math and the checks they name live in the theorem's own module
(``theorems.fold``, ``theorems.kl``, …) and are imported when first used, so listing
the theorems imports neither torch nor scipy.
"""
