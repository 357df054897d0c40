"""What the audits of other libraries (:func:`theorems.audit`) record: per library, the classes listed with a
reason and the defects found, each a :class:`~theorems.finding.Finding` naming its class (``implementation``)."""
